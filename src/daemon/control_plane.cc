// The control plane: one HttpServer with a listener per configured
// [unix_http_server] / [inet_http_server] section (each with its own
// credentials), serving /RPC2 (system.*, supervisor.* and tend.*), /logtail/...,
// /mainlogtail and /ok.html.
#include "daemon/control_plane.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "http/logtail.h"
#include "http/server.h"
#include "daemon/xmlrpc_route.h"
#include "log/logger.h"
#include "rpc/dispatcher.h"
#include "rpc/process_info.h"
#include "rpc/supervisor_api.h"
#include "rpc/system_api.h"
#include "rpc/tend_api.h"
#include "web/console.h"

namespace tend::rpc {

namespace {

// True when `host` is a loopback address or "localhost". Other names count as
// reachable from outside: resolving them would need NSS, which a static tend
// cannot load, and a name can change what it points to anyway.
bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "ip6-localhost") {
    return true;
  }
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
  in6_addr v6{};
  return inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

std::string where(const HttpServerConfig& s) {
  if (s.pos.file.empty()) {
    return fmt::format("[{}]", s.section);
  }
  return fmt::format("{}:{}: [{}]", s.pos.file, s.pos.line, s.section);
}

// Connections may use what the fd limit leaves after a reserve for the
// processes' pipes and logs, so that idle clients can never make spawning
// fail for lack of descriptors. Under a low limit (where the reserve leaves
// less than the floor of 16 connections) the check at accept time keeps the
// last k_spawn_fd_reserve descriptors free: a few spawns' worth (each takes
// three pipes, two log files and maybe a notification socket, and while the
// child starts, one more pipe: launch_child's done pipe, core/spawn_child.h).
constexpr size_t k_spawn_fd_reserve = 32;

http::HttpLimits limits_for_fd_budget() {
  http::HttpLimits limits;
  limits.fd_reserve = k_spawn_fd_reserve;
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    int64_t total = static_cast<int64_t>(rl.rlim_cur);
    int64_t reserve = std::max<int64_t>(256, total / 4);
    limits.max_connections = static_cast<size_t>(std::max<int64_t>(16, total - reserve));
  } else {
    limits.max_connections = 65536;
  }
  return limits;
}

class ControlPlaneImpl final : public ControlPlane {
 public:
  ControlPlaneImpl(EventLoop& loop, Supervisor& sup) : m_sup(sup), m_api(sup), m_tails(loop) {
    m_server = std::make_unique<http::HttpServer>(loop, limits_for_fd_budget());
  }

  Status start(const std::vector<HttpServerConfig>& servers) {
    if (Status st = install_system_api(m_dispatcher); !st) {
      return st;
    }
    // Like supervisord, supervisor.* exists only when the configuration asks
    // for it ([rpcinterface:supervisor]); system.* is always there. tend.*
    // (tend's own state: readiness, health, dependencies) comes with
    // supervisor.*, as an extension of the same interface.
    bool with_api = m_sup.config().has_rpcinterface_supervisor;
    if (with_api) {
      if (Status st = m_api.install(m_dispatcher); !st) {
        return st;
      }
      if (Status st = install_tend_api(m_dispatcher, m_sup); !st) {
        return st;
      }
    }
    for (const HttpServerConfig& s : servers) {
      if (s.kind == HttpServerConfig::Kind::Inet && s.username.empty() && !is_loopback_host(s.host)) {
        return make_error(fmt::format(
            "{} port {}:{} is reachable from other hosts but has no username/password; set both, or bind it "
            "to 127.0.0.1",
            where(s), s.host.empty() ? "*" : s.host, s.port));
      }
    }
    http::install_xmlrpc_route(*m_server, m_dispatcher);
    http::install_ok_route(*m_server);
    m_server->route("/logtail", [this](const http::Request& rq, const http::Response& rs) { logtail(rq, rs); });
    m_server->route("/mainlogtail",
                    [this](const http::Request& rq, const http::Response& rs) { mainlogtail(rq, rs); });
    m_web.install(*m_server);  // "/": the page, its query API, tail.html, assets and api/*
    m_server->set_notice_sink([](const std::string& m) { main_logger().info("{}", m); });
    for (const HttpServerConfig& s : servers) {
      if (Status st = m_server->listen(s); !st) {
        return make_error(fmt::format("{} {}", where(s), st.error()));
      }
      if (with_api) {
        main_logger().info("RPC interface 'supervisor' initialized");
      }
      if (s.username.empty()) {
        main_logger().critical("Server '{}' running without any HTTP authentication checking", s.section);
      }
    }
    return ok_status();
  }

 private:
  void logtail(const http::Request& rq, const http::Response& rs) {
    if (rq.method != "GET") {
      rs.send_error(400);
      return;
    }
    std::optional<http::LogTailTarget> t = http::parse_logtail_path(rq.path);
    if (!t || (t->channel != "stdout" && t->channel != "stderr")) {
      rs.send_error(404);
      return;
    }
    Namespec n = split_namespec(t->namespec);
    const Process* p = n.process ? m_sup.table().find(n.group, *n.process) : nullptr;
    if (p == nullptr) {
      rs.send_error(404);
      return;
    }
    std::optional<std::string> path =
        process_logfile(p->config(), t->channel == "stdout" ? Stream::Stdout : Stream::Stderr);
    if (!path) {
      rs.send_error(404);
      return;
    }
    m_tails.serve(rq, rs, *path);
  }

  void mainlogtail(const http::Request& rq, const http::Response& rs) {
    if (rq.method != "GET") {
      rs.send_error(400);
      return;
    }
    const std::string& path = main_logger().path();
    if (path.empty() || path == "syslog") {
      rs.send_error(404);
      return;
    }
    m_tails.serve(rq, rs, path);
  }

  Supervisor& m_sup;
  web::WebConsole m_web{m_sup.loop(), m_sup};  // outlives m_server's connections
  Dispatcher m_dispatcher;
  SupervisorApi m_api;
  http::LogTailService m_tails;
  // Last: destroyed first, so no request reaches the members above once
  // they start going away.
  std::unique_ptr<http::HttpServer> m_server;
};

}  // namespace

Result<std::unique_ptr<ControlPlane>> start_control_plane(EventLoop& loop, Supervisor& sup,
                                                          const std::vector<HttpServerConfig>& servers) {
  auto cp = std::make_unique<ControlPlaneImpl>(loop, sup);
  if (Status st = cp->start(servers); !st) {
    return make_error(st.error());
  }
  return std::unique_ptr<ControlPlane>(std::move(cp));
}

}  // namespace tend::rpc
