#include "daemon/probe_routes.h"

#include <fmt/format.h>

#include "rpc/process_info.h"

namespace tend::rpc {

namespace {

// "" when `p` is up (probe_routes.h), else what it is instead.
std::string not_up(const Process& p) {
  ProcessState s = p.state();
  if (s == ProcessState::Running) {
    CheckView checks = check_view(p);
    if (checks.ready_check && !checks.ready) {
      return "RUNNING, not ready";
    }
    if (checks.health_check) {
      switch (p.notes().health) {
        case ProcessNotes::Health::Healthy:
          return "";
        case ProcessNotes::Health::Unhealthy:
          return "RUNNING, unhealthy";  // not the detail: the probes answer anyone
        case ProcessNotes::Health::Unknown:
          return "RUNNING, health unknown";
      }
    }
    return "";
  }
  if (p.exited_expected()) {
    return "";
  }
  if (!p.notes().waiting_for.empty()) {
    return fmt::format("{}, waiting for {}", state_name(s), p.notes().waiting_for);
  }
  return state_name(s);
}

bool probe_method(const http::Request& rq, const http::Response& rs, const char* path) {
  if (rq.path != path) {
    rs.send_error(404);
    return false;
  }
  if (rq.method != "GET" && rq.method != "HEAD") {
    rs.send_error(405);
    return false;
  }
  return true;
}

const http::Headers& no_store() {
  static const http::Headers h{{"Cache-Control", "no-store"}};
  return h;
}

}  // namespace

std::string readiness_problems(const Supervisor& sup) {
  SupervisorState st = sup.state();
  if (st != SupervisorState::Running) {
    return fmt::format("tend is {}\n", st == SupervisorState::Restarting ? "restarting" : "shutting down");
  }
  std::string out;
  for (const auto& g : sup.table().groups()) {
    for (const auto& p : g->processes) {
      const ProcessConfig& c = p->config();
      if (!c.autostart || !c.schedule.empty()) {
        continue;
      }
      std::string why = not_up(*p);
      if (!why.empty()) {
        out += fmt::format("{} {}\n", make_namespec(p->group(), p->name()), why);
      }
    }
  }
  return out;
}

void install_probe_routes(http::HttpServer& server, const Supervisor& sup) {
  using Access = http::HttpServer::Access;
  server.route(
      "/healthz",
      [](const http::Request& rq, const http::Response& rs) {
        if (probe_method(rq, rs, "/healthz")) {
          rs.send(200, "text/plain; charset=utf-8", "ok\n", no_store());
        }
      },
      Access::Public);
  server.route(
      "/readyz",
      [&sup](const http::Request& rq, const http::Response& rs) {
        if (!probe_method(rq, rs, "/readyz")) {
          return;
        }
        std::string problems = readiness_problems(sup);
        if (problems.empty()) {
          rs.send(200, "text/plain; charset=utf-8", "ready\n", no_store());
        } else {
          rs.send(503, "text/plain; charset=utf-8", "not ready:\n" + problems, no_store());
        }
      },
      Access::Public);
}

}  // namespace tend::rpc
