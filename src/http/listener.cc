#include "http/listener.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tend::http {

namespace {

constexpr int k_backlog = 1024;

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return make_error(fmt::format("unable to listen on unix socket {}: path is empty or too long", path));
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

enum class Liveness { Live, Stale, Absent, NotSocket };

// Whether a server is listening at `path`. Connecting to a listening unix
// socket succeeds as soon as it is queued in the backlog, so a successful
// connect already proves a live listener; the request we send is a courtesy
// so the other side sees an ordinary HTTP exchange.
Liveness probe_unix(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? Liveness::Absent : Liveness::NotSocket;
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Liveness::NotSocket;
  }
  Result<sockaddr_un> addr = unix_address(path);
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!addr.ok() || !fd) {
    return Liveness::Live;  // cannot tell: never steal
  }
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(sockaddr_un)) != 0) {
    // EAGAIN: the backlog is full, so somebody is listening.
    return errno == EAGAIN ? Liveness::Live : Liveness::Stale;
  }
  static const char k_probe[] = "GET / HTTP/1.0\r\n\r\n";
  (void)!send(fd.get(), k_probe, sizeof(k_probe) - 1, MSG_NOSIGNAL);
  pollfd p{fd.get(), POLLIN, 0};
  (void)poll(&p, 1, 1000);
  return Liveness::Live;
}

Status bind_and_listen(int fd, const sockaddr* addr, socklen_t len, const std::string& what) {
  if (bind(fd, addr, len) != 0) {
    return make_error(fmt::format("unable to bind {}: {}", what, strerror(errno)));
  }
  if (listen(fd, k_backlog) != 0) {
    return make_error(fmt::format("unable to listen on {}: {}", what, strerror(errno)));
  }
  return ok_status();
}

// Moves the bound temporary name to `path`, clearing a stale socket once.
Status link_into_place(const std::string& tmp, const std::string& path, bool& replaced_stale) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (link(tmp.c_str(), path.c_str()) == 0) {
      return ok_status();
    }
    if (errno != EEXIST) {
      return make_error(fmt::format("unable to link {} to {}: {}", tmp, path, strerror(errno)));
    }
    switch (probe_unix(path)) {
      case Liveness::Live:
        return make_error(fmt::format(
            "unable to listen on unix socket {}: another program is already listening there; stop it first",
            path));
      case Liveness::NotSocket:
        return make_error(fmt::format("unable to listen on unix socket {}: the path exists and is not a socket", path));
      case Liveness::Stale:
        if (unlink(path.c_str()) != 0 && errno != ENOENT) {
          return make_error(fmt::format("unable to remove stale socket {}: {}", path, strerror(errno)));
        }
        replaced_stale = true;
        break;
      case Liveness::Absent:
        break;
    }
  }
  return make_error(fmt::format("unable to listen on unix socket {}: the path keeps reappearing", path));
}

}  // namespace

ListeningSocket::ListeningSocket(ListeningSocket&& o) noexcept { *this = std::move(o); }

ListeningSocket& ListeningSocket::operator=(ListeningSocket&& o) noexcept {
  if (this != &o) {
    close();
    m_fd = std::move(o.m_fd);
    m_path = std::exchange(o.m_path, std::string());
    m_dev = o.m_dev;
    m_ino = o.m_ino;
    m_port = o.m_port;
    m_replaced_stale = o.m_replaced_stale;
  }
  return *this;
}

ListeningSocket::~ListeningSocket() { close(); }

void ListeningSocket::close() {
  m_fd.close();
  if (!m_path.empty()) {
    struct stat st {};
    if (lstat(m_path.c_str(), &st) == 0 && st.st_dev == m_dev && st.st_ino == m_ino) {
      unlink(m_path.c_str());
    }
    m_path.clear();
  }
}

Result<ListeningSocket> listen_unix(const UnixListenOptions& opts) {
  std::string tmp = fmt::format("{}.{}", opts.path, getpid());
  Result<sockaddr_un> tmp_addr = unix_address(tmp);
  if (!tmp_addr.ok()) {
    return make_error(fmt::format("unable to listen on unix socket {}: path is empty or too long", opts.path));
  }
  ListeningSocket ls;
  ls.m_fd = Fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!ls.m_fd) {
    return make_error(fmt::format("unable to create unix socket: {}", strerror(errno)));
  }
  unlink(tmp.c_str());  // left over by an earlier process with our pid
  Status st = bind_and_listen(ls.m_fd.get(), reinterpret_cast<const sockaddr*>(&*tmp_addr), sizeof(sockaddr_un), tmp);
  if (st.ok() && chmod(tmp.c_str(), opts.mode) != 0) {
    st = make_error(fmt::format("unable to chmod {}: {}", tmp, strerror(errno)));
  }
  if (st.ok() && (opts.uid || opts.gid) &&
      chown(tmp.c_str(), opts.uid.value_or(static_cast<uid_t>(-1)), opts.gid.value_or(static_cast<gid_t>(-1))) != 0) {
    st = make_error(fmt::format("unable to chown {}: {}", tmp, strerror(errno)));
  }
  if (st.ok()) {
    st = link_into_place(tmp, opts.path, ls.m_replaced_stale);
  }
  unlink(tmp.c_str());
  if (!st.ok()) {
    return make_error(st.error());
  }
  struct stat sb {};
  if (lstat(opts.path.c_str(), &sb) != 0) {
    return make_error(fmt::format("unable to stat {}: {}", opts.path, strerror(errno)));
  }
  ls.m_path = opts.path;
  ls.m_dev = sb.st_dev;
  ls.m_ino = sb.st_ino;
  return ls;
}

Result<ListeningSocket> listen_tcp(const std::string& host, int port) {
  std::string what = fmt::format("{}:{}", host.empty() ? "*" : host, port);
  addrinfo hints{};
  hints.ai_family = host.empty() ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  // "localhost" is answered here: in the static build a name lookup may go
  // through NSS modules that a static binary cannot load.
  std::string node = host == "localhost" ? "127.0.0.1" : host;
  int rc = getaddrinfo(node.empty() ? nullptr : node.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    return make_error(fmt::format("unable to resolve {}: {}", what, gai_strerror(rc)));
  }
  std::string last_error = fmt::format("unable to listen on {}: no address", what);
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    ListeningSocket ls;
    ls.m_fd = Fd(socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!ls.m_fd) {
      last_error = fmt::format("unable to create socket for {}: {}", what, strerror(errno));
      continue;
    }
    int one = 1;
    setsockopt(ls.m_fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    Status st = bind_and_listen(ls.m_fd.get(), ai->ai_addr, ai->ai_addrlen, what);
    if (!st.ok()) {
      last_error = st.error();
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (getsockname(ls.m_fd.get(), reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
      ls.m_port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                               : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    }
    freeaddrinfo(res);
    return ls;
  }
  freeaddrinfo(res);
  return make_error(last_error);
}

}  // namespace tend::http
