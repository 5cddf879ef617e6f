// supervisor.start*/stop*/signal*: the process control methods, including the
// waits of wait=True and the per-process results of the group and "all" forms.
#include <fmt/format.h>

#include "core/spawn.h"
#include "rpc/process_info.h"
#include "rpc/supervisor_api.h"
#include "rpc/supervisor_api_internal.h"
#include "util/signals.h"

namespace tend::rpc {

using detail::as_text;
using detail::Batch;
using detail::fault;
using detail::truthy;

namespace {

// supervisord accepts a signal as a name ("HUP", "sigterm") or a number, and
// also 0 (it lists SIG_DFL among the signal numbers).
std::optional<int> parse_signal_param(const Value& v, std::string* text) {
  if (v.is_int()) {
    *text = std::to_string(v.as_int());
  } else if (v.is_string()) {
    *text = v.as_string();
  } else {
    *text = detail::param_text(v);
    return std::nullopt;
  }
  if (*text == "0") {
    return 0;
  }
  return signal_number(*text);
}

}  // namespace

// --- one process ------------------------------------------------------------------------------

void SupervisorApi::start_one(Process& p, const std::string& name, bool wait, const Reply& reply) {
  // A command that cannot run fails now instead of after startretries spawns.
  const ProcessConfig& cfg = p.config();
  EnvList configured = m_sup.global_environment();
  env_merge(configured, cfg.environment);
  std::string search_path = env_get(configured, "PATH", env_get(m_sup.inherited_environment(cfg), "PATH"));
  Result<ResolvedCommand> cmd = resolve_command(cfg.command, search_path);
  if (!cmd) {
    bool missing = cmd.error().rfind("can't find command", 0) == 0;
    reply.fail(fault(missing ? faults::k_no_file : faults::k_not_executable, cmd.error()));
    return;
  }
  if (is_running_state(p.state())) {
    reply.fail(fault(faults::k_already_started, name));
    return;
  }
  if (p.state() == ProcessState::Unknown) {
    reply.fail(fault(faults::k_failed, fmt::format("{} is in an unknown process state", name)));
    return;
  }
  p.start();
  if (!p.fsm().spawnerr().empty()) {
    reply.fail(fault(faults::k_spawn_error, name));
    return;
  }
  if (!wait || p.state() == ProcessState::Running) {
    reply.ok(Value(true));
    return;
  }
  wait_for(p, reply, [name](const Process& q) -> std::optional<Outcome> {
    if (!q.fsm().spawnerr().empty()) {
      return fault(faults::k_spawn_error, name);
    }
    if (q.state() == ProcessState::Running) {
      return Value(true);
    }
    if (q.state() != ProcessState::Starting) {
      return fault(faults::k_abnormal_termination, name);
    }
    return std::nullopt;
  }, false);
}

void SupervisorApi::stop_one(Process& p, const std::string& name, bool wait, const Reply& reply) {
  if (!is_running_state(p.state())) {
    reply.fail(fault(faults::k_not_running, name));
    return;
  }
  if (Status st = p.stop(); !st) {
    reply.fail(fault(faults::k_failed, st.error()));
    return;
  }
  if (!wait || is_stopped_state(p.state())) {
    reply.ok(Value(true));
    return;
  }
  wait_for(p, reply, [](const Process& q) -> std::optional<Outcome> {
    if (is_stopped_state(q.state())) {
      return Value(true);
    }
    return std::nullopt;
  }, true);
}

void SupervisorApi::signal_one(Process& p, const std::string& name, const Value& sig_param, const Reply& reply) {
  std::string text;
  std::optional<int> sig = parse_signal_param(sig_param, &text);
  if (!sig) {
    reply.fail(fault(faults::k_bad_signal, text));
    return;
  }
  if (!is_signallable_state(p.state())) {
    reply.fail(fault(faults::k_not_running, name));
    return;
  }
  if (Status st = p.signal(*sig); !st) {
    reply.fail(fault(faults::k_failed, st.error()));
    return;
  }
  reply.ok(Value(true));
}

// --- groups and everything ----------------------------------------------------------------------

namespace {

using ProcessList = std::vector<std::pair<std::string, Process*>>;

ProcessList processes_of(Supervisor::Group& g) {
  ProcessList out;
  for (const auto& p : g.processes) {
    out.emplace_back(g.cfg.name, p.get());
  }
  return out;
}

// Runs `op` on each process that `wanted` accepts at its turn; the entries
// of the others are left out, as supervisord leaves them out.
template <typename Pred, typename Op>
void for_each_into(const ProcessList& procs, const Reply& reply, Pred wanted, Op op) {
  auto batch = std::make_shared<Batch>(reply);
  for (const auto& [group, p] : procs) {
    if (wanted(p->state())) {
      op(*p, make_namespec(group, p->config().name), batch->slot(group, p->config().name));
    }
  }
  batch->close();
}

bool not_running(ProcessState s) { return !is_running_state(s); }

}  // namespace

void SupervisorApi::start_group(Supervisor::Group& g, bool wait, const Reply& reply) {
  for_each_into(processes_of(g), reply, not_running,
                [&](Process& p, const std::string& name, const Reply& r) { start_one(p, name, wait, r); });
}

void SupervisorApi::stop_group(Supervisor::Group& g, bool wait, const Reply& reply) {
  for_each_into(processes_of(g), reply, is_running_state,
                [&](Process& p, const std::string& name, const Reply& r) { stop_one(p, name, wait, r); });
}

void SupervisorApi::signal_group(Supervisor::Group& g, const Value& sig, const Reply& reply) {
  for_each_into(processes_of(g), reply, is_signallable_state,
                [&](Process& p, const std::string& name, const Reply& r) { signal_one(p, name, sig, r); });
}

// --- method entry points -----------------------------------------------------------------------

// The namespec in params[0], resolved; on failure the reply carries the fault.
std::optional<SupervisorApi::Target> SupervisorApi::namespec_param(const Array& params, const Reply& reply) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    reply.fail(fault(faults::k_incorrect_parameters));
    return std::nullopt;
  }
  std::variant<Target, Fault> t = resolve(*name, false);
  if (const Fault* f = std::get_if<Fault>(&t)) {
    reply.fail(*f);
    return std::nullopt;
  }
  return std::get<Target>(t);
}

void SupervisorApi::start(const Array& params, const Reply& reply) {
  std::optional<Target> target = namespec_param(params, reply);
  if (!target) {
    return;
  }
  bool wait = params.size() < 2 || truthy(params[1]);
  if (target->process == nullptr) {
    start_group(*target->group, wait, reply);
  } else {
    start_one(*target->process, params[0].as_string(), wait, reply);
  }
}

void SupervisorApi::stop(const Array& params, const Reply& reply) {
  std::optional<Target> target = namespec_param(params, reply);
  if (!target) {
    return;
  }
  bool wait = params.size() < 2 || truthy(params[1]);
  if (target->process == nullptr) {
    stop_group(*target->group, wait, reply);
  } else {
    stop_one(*target->process, params[0].as_string(), wait, reply);
  }
}

void SupervisorApi::signal(const Array& params, const Reply& reply) {
  std::optional<Target> target = namespec_param(params, reply);
  if (!target) {
    return;
  }
  if (target->process == nullptr) {
    signal_group(*target->group, params[1], reply);
  } else {
    signal_one(*target->process, params[0].as_string(), params[1], reply);
  }
}

// startProcessGroup and friends take a group name, not a namespec.
Supervisor::Group* SupervisorApi::group_param(const Value& v, const Reply& reply) {
  const std::string* name = as_text(v);
  if (name == nullptr) {
    reply.fail(fault(faults::k_incorrect_parameters));
    return nullptr;
  }
  Supervisor::Group* g = m_sup.find_group(*name);
  if (g == nullptr) {
    reply.fail(fault(faults::k_bad_name, *name));
  }
  return g;
}

void SupervisorApi::start_group_call(const Array& params, const Reply& reply) {
  if (Supervisor::Group* g = group_param(params[0], reply)) {
    start_group(*g, params.size() < 2 || truthy(params[1]), reply);
  }
}

void SupervisorApi::stop_group_call(const Array& params, const Reply& reply) {
  bool wait = params.size() < 2 || truthy(params[1]);
  // "group:process", as reloadConfig reports a per-program change, stops that
  // process alone (a tend extension; supervisorctl's update sends it here).
  if (const std::string* name = as_text(params[0]); name != nullptr && name->find(':') != std::string::npos) {
    Namespec n = split_namespec(*name);
    if (Process* p = n.process ? m_sup.find_process(n.group, *n.process) : nullptr) {
      for_each_into({{n.group, p}}, reply, is_running_state,
                    [&](Process& proc, const std::string& spec, const Reply& r) { stop_one(proc, spec, wait, r); });
      return;
    }
  }
  if (Supervisor::Group* g = group_param(params[0], reply)) {
    stop_group(*g, wait, reply);
  }
}

void SupervisorApi::signal_group_call(const Array& params, const Reply& reply) {
  if (Supervisor::Group* g = group_param(params[0], reply)) {
    signal_group(*g, params[1], reply);
  }
}

void SupervisorApi::start_all(const Array& params, const Reply& reply) {
  bool wait = params.empty() || truthy(params[0]);
  for_each_into(all_processes(), reply, not_running,
                [&](Process& p, const std::string& name, const Reply& r) { start_one(p, name, wait, r); });
}

void SupervisorApi::stop_all(const Array& params, const Reply& reply) {
  bool wait = params.empty() || truthy(params[0]);
  for_each_into(all_processes(), reply, is_running_state,
                [&](Process& p, const std::string& name, const Reply& r) { stop_one(p, name, wait, r); });
}

void SupervisorApi::signal_all(const Array& params, const Reply& reply) {
  // supervisord signals first and checks for a shutdown afterwards.
  Reply inner(Reply::Sink([reply, this](Outcome o) {
    if (shutting_down()) {
      reply.fail(fault(faults::k_shutdown_state));
    } else {
      reply.complete(std::move(o));
    }
  }));
  for_each_into(all_processes(), inner, is_signallable_state,
                [&](Process& p, const std::string& name, const Reply& r) { signal_one(p, name, params[0], r); });
}

Status SupervisorApi::install_control_methods(Dispatcher& d) {
  // Deferred methods check the mood themselves, then may complete later.
  auto checked = [this](void (SupervisorApi::*fn)(const Array&, const Reply&)) -> Handler {
    return [this, fn](const Array& params, const Reply& reply) {
      if (shutting_down()) {
        reply.fail(fault(faults::k_shutdown_state));
        return;
      }
      (this->*fn)(params, reply);
    };
  };
  std::vector<detail::MethodDef> defs = {
      {"startProcess", 1, 2, {"boolean", "string", "boolean"},
       "Start a process (or every stopped process of a group, for group:* ). With wait, answer once it is RUNNING.\n"
       "@param string name process name, group:name or group:*\n@param boolean wait wait until it runs\n"
       "@return boolean true",
       checked(&SupervisorApi::start)},
      {"startProcessGroup", 1, 2, {"array", "string", "boolean"},
       "Start every process of a group that is not running.\n@param string name group name\n"
       "@param boolean wait wait until each runs\n@return array result structs",
       checked(&SupervisorApi::start_group_call)},
      {"startAllProcesses", 0, 1, {"array", "boolean"},
       "Start every process that is not running, by priority.\n@param boolean wait wait until each runs\n"
       "@return array result structs",
       checked(&SupervisorApi::start_all)},
      {"stopProcess", 1, 2, {"boolean", "string", "boolean"},
       "Stop a process (or a whole group, for group:* ). With wait, answer once it has stopped.\n"
       "@param string name process name, group:name or group:*\n@param boolean wait wait until it stops\n"
       "@return boolean true",
       checked(&SupervisorApi::stop)},
      {"stopProcessGroup", 1, 2, {"array", "string", "boolean"},
       "Stop every running process of a group.\n@param string name group name\n"
       "@param boolean wait wait until each stops\n@return array result structs",
       checked(&SupervisorApi::stop_group_call)},
      {"stopAllProcesses", 0, 1, {"array", "boolean"},
       "Stop every running process.\n@param boolean wait wait until each stops\n@return array result structs",
       checked(&SupervisorApi::stop_all)},
      {"signalProcess", 2, 2, {"boolean", "string", "string"},
       "Send a signal to a process (or a whole group, for group:* ).\n"
       "@param string name process name, group:name or group:*\n"
       "@param string signal signal name (HUP, SIGHUP) or number\n@return boolean true",
       checked(&SupervisorApi::signal)},
      {"signalProcessGroup", 2, 2, {"array", "string", "string"},
       "Send a signal to every process of a group that has a pid.\n@param string name group name\n"
       "@param string signal signal name or number\n@return array result structs",
       checked(&SupervisorApi::signal_group_call)},
      {"signalAllProcesses", 1, 1, {"array", "string"},
       "Send a signal to every process that has a pid.\n@param string signal signal name or number\n"
       "@return array result structs",
       [this](const Array& params, const Reply& reply) { signal_all(params, reply); }},
  };
  return detail::add_methods(d, std::move(defs));
}

}  // namespace tend::rpc
