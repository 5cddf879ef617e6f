// supervisor.start*/stop*/signal*: the process control methods, including the
// waits of wait=True and the per-process results of the group and "all" forms.
// Thin: each maps its parameters to a command (core/commands.h) and the
// command's refusal to supervisord's fault.
#include <fmt/format.h>

#include "rpc/process_info.h"
#include "rpc/supervisor_api.h"
#include "rpc/supervisor_api_internal.h"
#include "util/signals.h"

namespace tend::rpc {

using detail::as_text;
using detail::Batch;
using detail::fault;
using detail::truthy;

namespace detail {

Fault fault_for(const CommandResult& r, const std::string& name) {
  switch (r.refusal) {
    case Refusal::None:
      break;
    case Refusal::BadName:
      return fault(faults::k_bad_name, name);
    case Refusal::AlreadyStarted:
      return fault(faults::k_already_started, name);
    case Refusal::NotRunning:
      return fault(faults::k_not_running, name);
    case Refusal::SpawnError:
      return fault(faults::k_spawn_error, name);
    case Refusal::NoFile:
      return fault(faults::k_no_file, r.detail);
    case Refusal::NotExecutable:
      return fault(faults::k_not_executable, r.detail);
    case Refusal::UnknownState:
      return fault(faults::k_failed, fmt::format("{} is in an unknown process state", name));
    case Refusal::AbnormalTermination:
      return fault(faults::k_abnormal_termination, name);
    case Refusal::ShuttingDown:
      return fault(faults::k_shutdown_state);
    case Refusal::StillRunning:
      return fault(faults::k_still_running, name);
    case Refusal::AlreadyAdded:
      return fault(faults::k_already_added, name);
    case Refusal::CantReread:
      return fault(faults::k_cant_reread, r.detail);
    case Refusal::Failed:
      return fault(faults::k_failed, r.detail);
  }
  return fault(faults::k_failed, name);
}

Waiter waiter_for(const Reply& reply, const std::string& name) {
  return Waiter{[reply, name](CommandResult r) {
                  if (r.ok()) {
                    reply.ok(Value(true));
                  } else {
                    reply.fail(fault_for(r, name));
                  }
                },
                [reply] { return reply.wanted(); }};
}

}  // namespace detail

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

void SupervisorApi::start_one(const Process& p, const std::string& name, bool wait, const Reply& reply) {
  m_sup.commands().start(p, wait, detail::waiter_for(reply, name));
}

void SupervisorApi::stop_one(const Process& p, const std::string& name, bool wait, const Reply& reply) {
  m_sup.commands().stop(p, wait, detail::waiter_for(reply, name));
}

void SupervisorApi::signal_one(const Process& p, const std::string& name, const Value& sig_param,
                               const Reply& reply) {
  std::string text;
  std::optional<int> sig = parse_signal_param(sig_param, &text);
  if (!sig) {
    reply.fail(fault(faults::k_bad_signal, text));
    return;
  }
  detail::waiter_for(reply, name).done(m_sup.commands().signal(p, *sig));
}

// --- groups and everything ----------------------------------------------------------------------

namespace {

SupervisorApi::ProcessList processes_of(const Group& g) {
  SupervisorApi::ProcessList out;
  for (const auto& p : g.processes) {
    out.emplace_back(g.name(), p.get());
  }
  return out;
}

// Runs `op` on each process that `wanted` selects; the entries of the others
// are left out, as supervisord leaves them out.
template <typename Pred, typename Op>
void for_each_into(const SupervisorApi::ProcessList& procs, const Reply& reply, Pred wanted, Op op) {
  auto batch = std::make_shared<Batch>(reply);
  for (const auto& [group, p] : procs) {
    if (wanted(*p)) {
      op(*p, make_namespec(group, p->name()), batch->slot(group, p->name()));
    }
  }
  batch->close();
}

}  // namespace

void SupervisorApi::start_group(const Group& g, bool wait, const Reply& reply) {
  start_many(processes_of(g), wait, reply);
}

void SupervisorApi::start_many(const ProcessList& procs, bool wait, const Reply& reply) {
  // One command for the whole list, so that dependencies start before their
  // dependents (core/commands.h: start_together).
  auto batch = std::make_shared<Batch>(reply);
  std::vector<Commands::StartItem> items;
  for (const auto& [group, p] : procs) {
    if (Commands::startable(*p)) {
      items.push_back({p, detail::waiter_for(batch->slot(group, p->name()), make_namespec(group, p->name()))});
    }
  }
  m_sup.commands().start_together(std::move(items), wait);
  batch->close();
}

void SupervisorApi::stop_group(const Group& g, bool wait, const Reply& reply) { stop_many(processes_of(g), wait, reply); }

void SupervisorApi::stop_many(const ProcessList& procs, bool wait, const Reply& reply) {
  // One command for the whole list, so that dependents stop before what
  // they depend on (core/commands.h: stop_together).
  auto batch = std::make_shared<Batch>(reply);
  std::vector<Commands::StopItem> items;
  for (const auto& [group, p] : procs) {
    if (Commands::stoppable(*p)) {
      items.push_back({p, detail::waiter_for(batch->slot(group, p->name()), make_namespec(group, p->name()))});
    }
  }
  m_sup.commands().stop_together(std::move(items), wait);
  batch->close();
}

void SupervisorApi::signal_group(const Group& g, const Value& sig, const Reply& reply) {
  for_each_into(processes_of(g), reply, Commands::signallable,
                [&](const Process& p, const std::string& name, const Reply& r) { signal_one(p, name, sig, r); });
}

// --- method entry points -----------------------------------------------------------------------

// The namespec in params[0], resolved; on failure the reply carries the fault.
std::optional<SupervisorApi::Target> SupervisorApi::namespec_param(const Array& params, const Reply& reply) const {
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
const Group* SupervisorApi::group_param(const Value& v, const Reply& reply) const {
  const std::string* name = as_text(v);
  if (name == nullptr) {
    reply.fail(fault(faults::k_incorrect_parameters));
    return nullptr;
  }
  const Group* g = m_sup.table().find_group(*name);
  if (g == nullptr) {
    reply.fail(fault(faults::k_bad_name, *name));
  }
  return g;
}

void SupervisorApi::start_group_call(const Array& params, const Reply& reply) {
  if (const Group* g = group_param(params[0], reply)) {
    start_group(*g, params.size() < 2 || truthy(params[1]), reply);
  }
}

void SupervisorApi::stop_group_call(const Array& params, const Reply& reply) {
  bool wait = params.size() < 2 || truthy(params[1]);
  // "group:process", as reloadConfig reports a per-program change, stops that
  // process alone (a tend extension; supervisorctl's update sends it here).
  if (const std::string* name = as_text(params[0]); name != nullptr && name->find(':') != std::string::npos) {
    Namespec n = split_namespec(*name);
    if (const Process* p = n.process ? m_sup.table().find(n.group, *n.process) : nullptr) {
      for_each_into({{n.group, p}}, reply, Commands::stoppable,
                    [&](const Process& proc, const std::string& spec, const Reply& r) { stop_one(proc, spec, wait, r); });
      return;
    }
  }
  if (const Group* g = group_param(params[0], reply)) {
    stop_group(*g, wait, reply);
  }
}

void SupervisorApi::signal_group_call(const Array& params, const Reply& reply) {
  if (const Group* g = group_param(params[0], reply)) {
    signal_group(*g, params[1], reply);
  }
}

void SupervisorApi::start_all(const Array& params, const Reply& reply) {
  start_many(all_processes(), params.empty() || truthy(params[0]), reply);
}

void SupervisorApi::stop_all(const Array& params, const Reply& reply) {
  stop_many(all_processes(), params.empty() || truthy(params[0]), reply);
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
  for_each_into(all_processes(), inner, Commands::signallable,
                [&](const Process& p, const std::string& name, const Reply& r) { signal_one(p, name, params[0], r); });
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
