#include "http/server.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <fmt/format.h>

namespace tend::http {

namespace {
constexpr int k_accepts_per_event = 64;  // then let the loop serve others
constexpr Duration k_accept_pause = std::chrono::milliseconds(100);
// Largest answer buffer kept for reuse (getAllProcessInfo with 1000 programs
// is about 1.1 MB); bigger ones are rare, their memory goes back.
constexpr size_t k_max_spare_answer = 8 * 1024 * 1024;

// RLIMIT_NOFILE's soft value; UINT64_MAX when unlimited or unknown.
uint64_t fd_limit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
    return UINT64_MAX;
  }
  return static_cast<uint64_t>(rl.rlim_cur);
}
}  // namespace

bool leaves_fd_reserve(int fd, uint64_t limit, size_t reserve) {
  if (fd < 0 || static_cast<uint64_t>(fd) >= limit) {
    return false;
  }
  return limit - 1 - static_cast<uint64_t>(fd) >= reserve;
}

AccessPolicy access_policy(const HttpServerConfig& config) {
  AccessPolicy access;
  access.credentials = Credentials{config.username, config.password};
  if (config.kind == HttpServerConfig::Kind::Inet && !access.credentials.required() &&
      !config.allow_remote_without_auth && !is_loopback_host(config.host)) {
    access.refuse_remote = true;
    access.remote_refusal = fmt::format(
        "401: this tend control server ([{0}], port {1}) has no username/password, so it answers only clients\n"
        "on its own host (loopback addresses).\n"
        "To use it from here, set both keys in [{0}] of tend's configuration:\n"
        "  username = <name>\n"
        "  password = <password, or {{SHA}} and its hex SHA-1>\n"
        "and restart tend. To serve every host without credentials instead (anyone who can reach the port\n"
        "can then control tend), set allow_remote_without_auth = true there.\n",
        config.section, config.port);
  }
  return access;
}

HttpServer::HttpServer(EventLoop& loop, HttpLimits limits)
    : m_loop(loop),
      m_limits(limits),
      m_request_memory(limits.max_request_bytes_total),
      m_spare_answer(k_max_spare_answer),
      m_spare_fd(open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  m_dispatch = [this](const Request& request, const Response& response) { dispatch(request, response); };
  m_is_public = [this](const std::string& path) {
    const Route* r = find_route(path);
    return r != nullptr && r->access == Access::Public;
  };
}

HttpServer::~HttpServer() { close_all(); }

void HttpServer::route(std::string prefix, RequestHandler handler, Access access) {
  for (Route& r : m_routes) {
    if (r.prefix == prefix) {
      r.handler = std::move(handler);
      r.access = access;
      return;
    }
  }
  m_routes.push_back(Route{std::move(prefix), std::move(handler), access});
}

const HttpServer::Route* HttpServer::find_route(const std::string& path) const {
  const Route* best = nullptr;
  for (const Route& r : m_routes) {
    if (path.compare(0, r.prefix.size(), r.prefix) == 0 && (best == nullptr || r.prefix.size() > best->prefix.size())) {
      best = &r;
    }
  }
  return best;
}

void HttpServer::dispatch(const Request& request, const Response& response) const {
  const Route* r = find_route(request.path);
  if (r == nullptr) {
    response.send_error(404);
    return;
  }
  r->handler(request, response);
}

Status HttpServer::listen(const HttpServerConfig& config) {
  if (config.kind == HttpServerConfig::Kind::Unix) {
    UnixListenOptions options;
    options.path = config.file;
    options.mode = config.chmod;
    options.uid = config.chown_uid;
    options.gid = config.chown_gid;
    return listen_unix(options, Credentials{config.username, config.password});
  }
  return listen_tcp(config.host, config.port, access_policy(config));
}

Status HttpServer::listen_unix(const UnixListenOptions& options, Credentials credentials) {
  Result<ListeningSocket> socket = http::listen_unix(options);
  if (!socket.ok()) {
    return make_error(socket.error());
  }
  if (socket->replaced_stale()) {
    notice(fmt::format("Unlinked stale socket {}", options.path));
  }
  AccessPolicy access;
  access.credentials = std::move(credentials);
  return add_listener(std::move(*socket), std::move(access));
}

Status HttpServer::listen_tcp(const std::string& host, int port, AccessPolicy access) {
  Result<ListeningSocket> socket = http::listen_tcp(host, port);
  if (!socket.ok()) {
    return make_error(socket.error());
  }
  m_last_tcp_port = socket->port();
  return add_listener(std::move(*socket), std::move(access));
}

Status HttpServer::add_listener(ListeningSocket socket, AccessPolicy access) {
  auto listener = std::make_unique<Listener>();
  listener->socket = std::move(socket);
  listener->access = std::make_shared<const AccessPolicy>(std::move(access));
  Listener* raw = listener.get();
  Status st = m_loop.add_fd(raw->socket.fd(), EPOLLIN, [this, raw](uint32_t) { on_acceptable(raw); });
  if (!st.ok()) {
    return st;
  }
  m_listeners.push_back(std::move(listener));
  return ok_status();
}

void HttpServer::on_acceptable(Listener* listener) {
  for (int i = 0; i < k_accepts_per_event; ++i) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    int fd = accept4(listener->socket.fd(), reinterpret_cast<sockaddr*>(&peer), &peer_len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      // A unix socket's clients are on this host whatever the classifier says.
      bool local = !listener->socket.unix_path().empty() ||
                   m_classify_peer(reinterpret_cast<const sockaddr*>(&peer), peer_len);
      accept_one(listener, Fd(fd), local);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) {
      continue;
    }
    if (errno == EMFILE || errno == ENFILE) {
      if (accept_without_fds(listener)) {
        continue;
      }
      return;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      notice(fmt::format("unable to accept a connection: {}", strerror(errno)));
    }
    return;
  }
}

// Out of fds: accept the waiting client with the spare fd's slot and close it
// at once, so the client sees EOF and the listener stops being readable.
// Without a spare, stop watching the listener briefly instead of spinning.
bool HttpServer::accept_without_fds(Listener* listener) {
  if (m_spare_fd) {
    m_spare_fd.close();
    Fd victim(accept4(listener->socket.fd(), nullptr, nullptr, SOCK_CLOEXEC));
    victim.close();
    m_spare_fd = Fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (m_spare_fd) {
      return true;
    }
  }
  notice("unable to accept a connection: too many open files");
  int fd = listener->socket.fd();
  m_loop.remove_fd(fd);
  listener->pause_timer = m_loop.add_timer_after(k_accept_pause, [this, listener, fd] {
    listener->pause_timer = 0;
    (void)m_loop.add_fd(fd, EPOLLIN, [this, listener](uint32_t) { on_acceptable(listener); });
  });
  return false;
}

void HttpServer::accept_one(Listener* listener, Fd fd, bool peer_loopback) {
  if (m_connections.size() >= m_limits.max_connections) {
    return;  // `fd` closes here: the client sees EOF
  }
  if (m_limits.fd_reserve > 0 && !m_connections.empty() &&
      !leaves_fd_reserve(fd.get(), fd_limit(), m_limits.fd_reserve)) {
    return;  // the same: idle clients must not take what a spawn needs
  }
  auto conn = std::make_shared<Connection>(m_loop, std::move(fd), m_limits, m_request_memory, m_spare_answer,
                                           listener->access, peer_loopback, m_dispatch, m_is_public,
                                           [this](Connection* c) { m_connections.erase(c); });
  m_connections.emplace(conn.get(), conn);
  Status st = conn->start();
  if (!st.ok()) {
    notice(st.error());
    conn->close();
  }
}

void HttpServer::close_listeners() {
  for (const auto& l : m_listeners) {
    m_loop.cancel_timer(l->pause_timer);
    m_loop.remove_fd(l->socket.fd());
    l->socket.close();
  }
  m_listeners.clear();
}

void HttpServer::close_all() {
  close_listeners();
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
  connections.swap(m_connections);
  for (auto& [raw, conn] : connections) {
    conn->close();
  }
}

void HttpServer::notice(const std::string& message) const {
  if (m_notice) {
    m_notice(message);
  }
}

}  // namespace tend::http
