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

HttpServer::HttpServer(EventLoop& loop, HttpLimits limits)
    : m_loop(loop),
      m_limits(limits),
      m_request_memory(limits.max_request_bytes_total),
      m_spare_answer(k_max_spare_answer),
      m_spare_fd(open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  m_dispatch = [this](const Request& request, const Response& response) { dispatch(request, response); };
}

HttpServer::~HttpServer() { close_all(); }

void HttpServer::route(std::string prefix, RequestHandler handler) {
  for (auto& [p, h] : m_routes) {
    if (p == prefix) {
      h = std::move(handler);
      return;
    }
  }
  m_routes.emplace_back(std::move(prefix), std::move(handler));
}

void HttpServer::dispatch(const Request& request, const Response& response) const {
  const RequestHandler* best = nullptr;
  size_t best_len = 0;
  for (const auto& [prefix, handler] : m_routes) {
    if (request.path.compare(0, prefix.size(), prefix) == 0 && (best == nullptr || prefix.size() > best_len)) {
      best = &handler;
      best_len = prefix.size();
    }
  }
  if (best == nullptr) {
    response.send_error(404);
    return;
  }
  (*best)(request, response);
}

Status HttpServer::listen(const HttpServerConfig& config) {
  Credentials credentials{config.username, config.password};
  if (config.kind == HttpServerConfig::Kind::Unix) {
    UnixListenOptions options;
    options.path = config.file;
    options.mode = config.chmod;
    options.uid = config.chown_uid;
    options.gid = config.chown_gid;
    return listen_unix(options, std::move(credentials));
  }
  return listen_tcp(config.host, config.port, std::move(credentials));
}

Status HttpServer::listen_unix(const UnixListenOptions& options, Credentials credentials) {
  Result<ListeningSocket> socket = http::listen_unix(options);
  if (!socket.ok()) {
    return make_error(socket.error());
  }
  if (socket->replaced_stale()) {
    notice(fmt::format("Unlinked stale socket {}", options.path));
  }
  return add_listener(std::move(*socket), std::move(credentials));
}

Status HttpServer::listen_tcp(const std::string& host, int port, Credentials credentials) {
  Result<ListeningSocket> socket = http::listen_tcp(host, port);
  if (!socket.ok()) {
    return make_error(socket.error());
  }
  m_last_tcp_port = socket->port();
  return add_listener(std::move(*socket), std::move(credentials));
}

Status HttpServer::add_listener(ListeningSocket socket, Credentials credentials) {
  auto listener = std::make_unique<Listener>();
  listener->socket = std::move(socket);
  listener->credentials = std::make_shared<const Credentials>(std::move(credentials));
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
    int fd = accept4(listener->socket.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      accept_one(listener, Fd(fd));
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

void HttpServer::accept_one(Listener* listener, Fd fd) {
  if (m_connections.size() >= m_limits.max_connections) {
    return;  // `fd` closes here: the client sees EOF
  }
  if (m_limits.fd_reserve > 0 && !m_connections.empty() &&
      !leaves_fd_reserve(fd.get(), fd_limit(), m_limits.fd_reserve)) {
    return;  // the same: idle clients must not take what a spawn needs
  }
  auto conn = std::make_shared<Connection>(m_loop, std::move(fd), m_limits, m_request_memory, m_spare_answer,
                                           listener->credentials,
                                           m_dispatch, [this](Connection* c) { m_connections.erase(c); });
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
