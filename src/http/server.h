// HttpServer: the HTTP/1.1 server behind every [unix_http_server] and
// [inet_http_server] section, running on the daemon's EventLoop. It never
// blocks the loop: sockets are non-blocking, requests are parsed
// incrementally, answers are written as the client reads them.
//
// Routing: handlers are registered by path prefix; the longest matching prefix
// wins; no match is 404. Authentication is per listener (each config section
// has its own credentials and remote rule, AccessPolicy) and is checked
// before any handler runs, except for routes registered as public (the
// probes), which every client of every listener reaches without it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model.h"
#include "sys/event_loop.h"
#include "http/auth.h"
#include "http/connection.h"
#include "http/listener.h"
#include "http/message.h"
#include "http/peer.h"
#include "util/result.h"

namespace tend::http {

// Whether keeping a connection accepted on `fd` leaves at least `reserve` of
// `limit` descriptors (RLIMIT_NOFILE's soft value) free. accept() gives the
// lowest free number, so every fd below it is taken and at most limit - 1 - fd
// remain.
bool leaves_fd_reserve(int fd, uint64_t limit, size_t reserve);

// The access rule of one config section: its credentials; and when it is an
// [inet_http_server] without credentials on a host other hosts can reach,
// unless allow_remote_without_auth, a refusal of non-loopback clients with a
// text that says how to open the server to them.
AccessPolicy access_policy(const HttpServerConfig& config);

class HttpServer {
 public:
  explicit HttpServer(EventLoop& loop, HttpLimits limits = {});
  // Closes every connection (pending responses are aborted) and listener
  // (unix socket files are removed).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  enum class Access {
    Protected,  // the listener's AccessPolicy applies
    Public,     // answered without credentials, from any host (reveal nothing but states)
  };
  // Requests whose path starts with `prefix` go to `handler` (longest prefix
  // wins); the winning route's `access` decides whether credentials are asked.
  void route(std::string prefix, RequestHandler handler, Access access = Access::Protected);

  // How an accepted TCP client's address is classified (default:
  // is_loopback_peer). Tests replace it to play a remote client from
  // 127.0.0.1. Applies to connections accepted afterwards.
  using PeerClassifier = std::function<bool(const sockaddr*, socklen_t)>;
  void set_peer_classifier(PeerClassifier classify) { m_classify_peer = std::move(classify); }

  // Opens a listener for one config section: unix (file, chmod, chown) or
  // inet (host, port), with that section's username/password.
  Status listen(const HttpServerConfig& config);
  Status listen_unix(const UnixListenOptions& options, Credentials credentials = {});
  Status listen_tcp(const std::string& host, int port, AccessPolicy access = {});

  // Informational messages (a stale socket file replaced, accept failures).
  void set_notice_sink(std::function<void(const std::string&)> sink) { m_notice = std::move(sink); }

  // Stops accepting and removes unix socket files; open connections go on.
  void close_listeners();
  // close_listeners() and closes every connection.
  void close_all();

  size_t connection_count() const { return m_connections.size(); }
  // Bytes of requests being received now (see HttpLimits::max_request_bytes_total).
  size_t request_bytes() const { return m_request_memory.used(); }
  // TCP port of the most recently opened TCP listener (for port 0), else 0.
  int last_tcp_port() const { return m_last_tcp_port; }
  const HttpLimits& limits() const { return m_limits; }

 private:
  struct Listener {
    ListeningSocket socket;
    std::shared_ptr<const AccessPolicy> access;
    EventLoop::TimerId pause_timer = 0;  // set while accepting is paused (out of fds)
  };
  struct Route {
    std::string prefix;
    RequestHandler handler;
    Access access;
  };
  Status add_listener(ListeningSocket socket, AccessPolicy access);
  void on_acceptable(Listener* listener);
  void accept_one(Listener* listener, Fd fd, bool peer_loopback);
  // The route for `path`, or nullptr.
  const Route* find_route(const std::string& path) const;
  bool accept_without_fds(Listener* listener);
  void dispatch(const Request& request, const Response& response) const;
  void notice(const std::string& message) const;

  EventLoop& m_loop;
  HttpLimits m_limits;
  RequestMemory m_request_memory;  // shared by the connections
  SpareBuffer m_spare_answer;      // likewise
  std::vector<Route> m_routes;
  RequestHandler m_dispatch;  // what connections call: routes the request
  PublicPath m_is_public;     // what connections ask before checking credentials
  PeerClassifier m_classify_peer = is_loopback_peer;
  std::vector<std::unique_ptr<Listener>> m_listeners;
  std::unordered_map<Connection*, std::shared_ptr<Connection>> m_connections;
  // Kept open so that when the process runs out of fds we can still accept
  // and close a pending connection instead of spinning on a readable listener.
  Fd m_spare_fd;
  int m_last_tcp_port = 0;
  std::function<void(const std::string&)> m_notice;
};

}  // namespace tend::http
