#include "rpc/tend_api.h"

#include "config/datatypes.h"
#include "core/dependencies.h"
#include "rpc/config_info.h"
#include "rpc/faults.h"
#include "rpc/process_info.h"

namespace tend::rpc {

namespace {

const char* health_name(const Process& p) {
  if (p.config().healthcheck.kind == ProbeSpec::Kind::None) {
    return "none";
  }
  switch (p.notes().health) {
    case ProcessNotes::Health::Healthy:
      return "healthy";
    case ProcessNotes::Health::Unhealthy:
      return "unhealthy";
    case ProcessNotes::Health::Unknown:
      break;
  }
  return "unknown";
}

Fault bad_name(const std::string& name) { return Fault{faults::k_bad_name, "BAD_NAME: " + name}; }

}  // namespace

Value process_health(const std::string& group, const Process& p) {
  const ProcessConfig& cfg = p.config();
  ProcessState state = p.state();
  ProbeSpec::Kind ready_kind = cfg.ready.kind == ProbeSpec::Kind::None ? ProbeSpec::Kind::Running : cfg.ready.kind;
  Array deps;
  for (const Dependency& d : cfg.depends_on) {
    deps.emplace_back(Struct{{"name", Value(d.name)}, {"condition", Value(condition_name(d.condition))}});
  }
  Struct s;
  s.reserve(23);
  s.emplace_back("name", Value(cfg.name));
  s.emplace_back("group", Value(group));
  s.emplace_back("state", Value(static_cast<int>(state)));
  s.emplace_back("statename", Value(state_name(state)));
  s.emplace_back("autostart", Value(cfg.autostart));
  s.emplace_back("ready", Value(state == ProcessState::Running && p.ready()));
  s.emplace_back("ready_check", Value(probe_kind_name(ready_kind)));
  s.emplace_back("healthcheck", Value(probe_kind_name(cfg.healthcheck.kind)));
  s.emplace_back("health", Value(health_name(p)));
  s.emplace_back("health_detail", Value(p.notes().health_detail));
  s.emplace_back("status", Value(p.notes().status));
  s.emplace_back("waiting_for", Value(p.notes().waiting_for));
  s.emplace_back("completed", Value(p.exited_expected()));
  s.emplace_back("depends_on", Value(std::move(deps)));
  // Restart policy and lifecycle: the wait before an automatic restart
  // (-1: none pending), the failed starts and crashes it counts.
  const ProcessFsm& fsm = p.fsm();
  s.emplace_back("restart_in", Value(fsm.restart_in().value_or(-1.0)));
  s.emplace_back("failed_starts", Value(fsm.backoff()));
  s.emplace_back("crashes", Value(fsm.crashes()));
  s.emplace_back("oneshot", Value(cfg.oneshot));
  s.emplace_back("critical", Value(cfg.critical));
  s.emplace_back("schedule", Value(cfg.schedule));
  s.emplace_back("next_run", Value(static_cast<int64_t>(p.notes().next_run)));
  s.emplace_back("skipped_runs", Value(static_cast<int64_t>(p.notes().skipped_runs)));
  return Value(std::move(s));
}

Status install_tend_api(Dispatcher& d, const Supervisor& sup) {
  const Supervisor* s = &sup;
  MethodSpec one;
  one.name = "tend.getProcessHealth";
  one.min_params = 1;
  one.max_params = 1;
  one.signature = {"struct", "string"};
  one.help =
      "Readiness, health, notes and dependencies of one process.\n@param string name process name or group:name\n"
      "@return struct process health";
  one.handler = [s](const Array& params, Reply reply) {
    if (!params[0].is_string()) {
      reply.fail(make_fault(faults::k_incorrect_parameters));
      return;
    }
    const std::string& name = params[0].as_string();
    Namespec n = split_namespec(name);
    const Process* p = n.process ? s->table().find(n.group, *n.process) : nullptr;
    if (p == nullptr) {
      reply.fail(bad_name(name));
      return;
    }
    reply.ok(process_health(n.group, *p));
  };
  if (Status st = d.add(std::move(one)); !st) {
    return st;
  }
  Status all = d.add_sync(
      "tend.getAllProcessHealth", 0, 0,
      [s](const Array&) -> Outcome {
        Array out;
        out.reserve(s->table().process_count());
        s->table().for_each([&](const Group& g, const Process& p) { out.push_back(process_health(g.name(), p)); });
        return Value(std::move(out));
      },
      "Readiness, health, notes and dependencies of every process.\n@return array process health structs",
      {"array"});
  if (!all) {
    return all;
  }
  return d.add_sync(
      "tend.getAllConfigInfo", 0, 0,
      [s](const Array&) -> Outcome { return Value(all_config_info(*s, ConfigMembers::WithTend)); },
      "What supervisor.getAllConfigInfo returns, in its order, each struct followed by the effective value of "
      "every tend key of the process's section (restart policy, rlimit_*, start order, readiness, health, "
      "lifecycle).\n@return array process configuration structs",
      {"array"});
}

}  // namespace tend::rpc
