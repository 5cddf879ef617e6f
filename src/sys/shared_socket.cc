#include "sys/shared_socket.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <utility>

#include <fmt/format.h>

namespace tend {

namespace {

constexpr std::string_view k_unix_scheme = "unix://";
constexpr std::string_view k_tcp_scheme = "tcp://";

int backlog_of(int configured) { return configured > 0 ? configured : SOMAXCONN; }

}  // namespace

std::string python_os_error(int err, std::string_view path) {
  std::string text = fmt::format("[Errno {}] {}", err, strerror(err));
  if (!path.empty()) {
    text += fmt::format(": '{}'", path);
  }
  return text;
}

Result<SharedSocket> SharedSocket::open(std::string_view url, const SharedSocketOptions& opts) {
  SharedSocket s;
  s.m_url = std::string(url);
  Status st = make_error(fmt::format("Bad socket format {}", url));
  if (url.substr(0, k_unix_scheme.size()) == k_unix_scheme) {
    st = s.open_unix(std::string(url.substr(k_unix_scheme.size())), opts);
  } else if (url.substr(0, k_tcp_scheme.size()) == k_tcp_scheme) {
    std::string_view rest = url.substr(k_tcp_scheme.size());
    size_t colon = rest.rfind(':');
    std::string_view port = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (!port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string_view::npos) {
      st = s.open_tcp(rest.substr(0, colon), std::stoi(std::string(port)), opts.backlog);
    }
  }
  if (!st) {
    return Error{st.error()};
  }
  return s;
}

Status SharedSocket::open_unix(const std::string& path, const SharedSocketOptions& opts) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return make_error("AF_UNIX path too long");  // Python's words
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return make_error(fmt::format("{} exists and is not a socket", path));
    }
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return make_error(python_os_error(errno, path));
    }
  }
  m_fd = Fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!m_fd) {
    return make_error(python_os_error(errno));
  }
  // No permission bits until chmod: nobody connects before the socket has
  // its final owner and mode. tend is single-threaded, so no other thread
  // creates a file under this umask.
  mode_t old_umask = umask(0777);
  int rc = bind(m_fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int bind_errno = errno;
  umask(old_umask);
  if (rc != 0) {
    m_fd.close();
    return make_error(python_os_error(bind_errno));
  }
  auto fail = [&](std::string message) {
    m_fd.close();
    unlink(path.c_str());
    return make_error(std::move(message));
  };
  if (opts.owner_uid && chown(path.c_str(), *opts.owner_uid, opts.owner_gid.value_or(static_cast<gid_t>(-1))) != 0) {
    return fail("Could not change ownership of socket file: " + python_os_error(errno, path));
  }
  if (chmod(path.c_str(), opts.mode) != 0) {
    return fail("Could not change permissions of socket file: " + python_os_error(errno, path));
  }
  if (listen(m_fd.get(), backlog_of(opts.backlog)) != 0 || lstat(path.c_str(), &st) != 0) {
    return fail(python_os_error(errno));
  }
  m_path = path;
  m_dev = st.st_dev;
  m_ino = st.st_ino;
  return ok_status();
}

Status SharedSocket::open_tcp(std::string_view host, int port, int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  // "localhost" is answered here: a static build cannot load the NSS modules
  // a name lookup may need.
  std::string node = host == "localhost" ? "127.0.0.1" : std::string(host);
  addrinfo* res = nullptr;
  int rc = getaddrinfo(node.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) {
    return make_error(rc == EAI_SYSTEM ? python_os_error(errno) : fmt::format("[Errno {}] {}", rc, gai_strerror(rc)));
  }
  sockaddr_in addr{};
  memcpy(&addr, res->ai_addr, sizeof addr);
  freeaddrinfo(res);
  m_fd = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!m_fd) {
    return make_error(python_os_error(errno));
  }
  int one = 1;
  (void)setsockopt(m_fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(m_fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(m_fd.get(), backlog_of(backlog)) != 0) {
    int err = errno;
    m_fd.close();
    return make_error(python_os_error(err));
  }
  socklen_t len = sizeof addr;
  if (getsockname(m_fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    m_port = ntohs(addr.sin_port);
  }
  return ok_status();
}

SharedSocket::SharedSocket(SharedSocket&& o) noexcept { *this = std::move(o); }

SharedSocket& SharedSocket::operator=(SharedSocket&& o) noexcept {
  if (this != &o) {
    close();
    m_fd = std::move(o.m_fd);
    m_url = std::move(o.m_url);
    m_path = std::exchange(o.m_path, std::string());
    m_dev = o.m_dev;
    m_ino = o.m_ino;
    m_port = o.m_port;
  }
  return *this;
}

SharedSocket::~SharedSocket() { close(); }

void SharedSocket::close() {
  m_fd.close();
  if (!m_path.empty()) {
    struct stat st {};
    if (lstat(m_path.c_str(), &st) == 0 && st.st_dev == m_dev && st.st_ino == m_ino) {
      unlink(m_path.c_str());
    }
    m_path.clear();
  }
}

}  // namespace tend
