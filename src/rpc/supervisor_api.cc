#include "rpc/supervisor_api.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "log/logger.h"
#include "rpc/config_info.h"
#include "rpc/faults.h"
#include "rpc/process_info.h"
#include "rpc/supervisor_api_internal.h"

namespace tend::rpc {

namespace detail {

std::optional<int64_t> as_integer(const Value& v) {
  if (v.is_int()) {
    return v.as_int();
  }
  if (v.is_bool()) {
    return v.as_bool() ? 1 : 0;
  }
  if (v.is_double()) {
    double d = v.as_double();
    if (d != d || d > 9e18 || d < -9e18) {
      return std::nullopt;
    }
    return static_cast<int64_t>(d);
  }
  if (v.is_string()) {
    const std::string& s = v.as_string();
    errno = 0;
    char* end = nullptr;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (end == s.c_str() || errno != 0) {
      return std::nullopt;
    }
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r') {
      ++end;
    }
    if (*end != '\0') {
      return std::nullopt;
    }
    return static_cast<int64_t>(n);
  }
  return std::nullopt;
}

bool truthy(const Value& v) {
  if (v.is_bool()) {
    return v.as_bool();
  }
  if (v.is_int()) {
    return v.as_int() != 0;
  }
  if (v.is_double()) {
    return v.as_double() != 0;
  }
  if (v.is_string()) {
    return !v.as_string().empty();
  }
  if (v.is_array()) {
    return !v.as_array().empty();
  }
  if (v.is_struct()) {
    return !v.as_struct().empty();
  }
  return true;
}

std::string param_text(const Value& v) {
  if (v.is_string()) {
    return v.as_string();
  }
  if (v.is_int()) {
    return std::to_string(v.as_int());
  }
  if (v.is_bool()) {
    return v.as_bool() ? "True" : "False";
  }
  if (v.is_double()) {
    return fmt::format("{}", v.as_double());
  }
  return v.is_array() ? "[...]" : "{...}";
}

Value result_entry(const std::string& group, const std::string& name, const Outcome& outcome) {
  int status = faults::k_success;
  std::string description = "OK";
  if (const Fault* f = std::get_if<Fault>(&outcome)) {
    status = f->code;
    description = f->string;
  } else if (const InternalError* e = std::get_if<InternalError>(&outcome)) {
    status = faults::k_failed;
    description = fault(faults::k_failed, e->message).string;
  }
  return Value(Struct{{"name", Value(name)},
                      {"group", Value(group)},
                      {"status", Value(status)},
                      {"description", Value(std::move(description))}});
}

Reply Batch::slot(const std::string& group, const std::string& name) {
  ++m_pending;
  std::shared_ptr<Batch> self = shared_from_this();
  return Reply([self, group, name](Outcome o) {
    self->m_results.push_back(result_entry(group, name, o));
    --self->m_pending;
    self->maybe_finish();
  });
}

Status add_methods(Dispatcher& d, std::vector<MethodDef> defs) {
  for (MethodDef& def : defs) {
    MethodSpec spec;
    spec.name = std::string("supervisor.") + def.name;
    spec.min_params = def.min_params;
    spec.max_params = def.max_params;
    spec.signature = std::move(def.signature);
    spec.help = def.help;
    spec.handler = std::move(def.handler);
    if (Status st = d.add(std::move(spec)); !st) {
      return st;
    }
  }
  return ok_status();
}

void Batch::close() {
  m_closed = true;
  maybe_finish();
}

void Batch::maybe_finish() {
  if (m_closed && m_pending == 0) {
    m_outer.ok(Value(std::move(m_results)));
  }
}

}  // namespace detail

using detail::as_integer;
using detail::as_text;
using detail::fault;

namespace {

constexpr const char* k_api_version = "3.0";
// The supervisord release whose API this one reproduces (supervisorctl and
// tools compare it); tend's own version is in its log and --version.
constexpr const char* k_supervisor_version = "4.2.5";

double wall_now() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

SupervisorApi::SupervisorApi(Supervisor& sup) : m_sup(sup) {}

// --- helpers -----------------------------------------------------------------------

std::variant<SupervisorApi::Target, Fault> SupervisorApi::resolve(const std::string& namespec,
                                                                  bool process_required) const {
  Namespec n = split_namespec(namespec);
  Target t;
  t.group = m_sup.table().find_group(n.group);
  if (t.group == nullptr) {
    return fault(faults::k_bad_name, namespec);
  }
  if (!n.process) {
    if (process_required) {
      return fault(faults::k_bad_name, namespec);
    }
    return t;
  }
  t.process = m_sup.table().find(n.group, *n.process);
  if (t.process == nullptr) {
    return fault(faults::k_bad_name, namespec);
  }
  return t;
}

SupervisorApi::ProcessList SupervisorApi::all_processes() const {
  ProcessList out;
  out.reserve(m_sup.table().process_count());
  m_sup.table().for_each([&](const Group& g, const Process& p) { out.emplace_back(g.name(), &p); });
  return out;
}

// --- state and configuration ---------------------------------------------------

Outcome SupervisorApi::reload_config() {
  Result<ConfigDiff> diff = m_sup.commands().reload_config();
  if (!diff) {
    return fault(faults::k_cant_reread, diff.error());
  }
  // Per program where a group keeps some processes unchanged ("web:x"), per
  // group otherwise, so that supervisorctl's update restarts only what changed.
  auto names = [](const std::vector<DiffEntry>& entries) {
    Array out;
    for (const DiffEntry& e : entries) {
      out.emplace_back(e.name());
    }
    return Value(std::move(out));
  };
  return Value(Array{Value(Array{names(diff->added), names(diff->changed), names(diff->removed)})});
}

// addProcessGroup and removeProcessGroup also take "group:process", the
// per-program entries reloadConfig reports (a tend extension).
Outcome SupervisorApi::add_group(const Array& params) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    return fault(faults::k_incorrect_parameters);
  }
  CommandResult r = m_sup.commands().add(*name);
  return r.ok() ? Outcome(Value(true)) : Outcome(detail::fault_for(r, *name));
}

Outcome SupervisorApi::remove_group(const Array& params) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    return fault(faults::k_incorrect_parameters);
  }
  CommandResult r = m_sup.commands().remove(*name);
  return r.ok() ? Outcome(Value(true)) : Outcome(detail::fault_for(r, *name));
}

// --- process information ----------------------------------------------------------------

Outcome SupervisorApi::process_info(const Array& params) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    return fault(faults::k_incorrect_parameters);
  }
  std::variant<Target, Fault> t = resolve(*name, true);
  if (const Fault* f = std::get_if<Fault>(&t)) {
    return *f;
  }
  const Target& target = std::get<Target>(t);
  return rpc::process_info(target.group->cfg.name, *target.process, wall_now());
}

Outcome SupervisorApi::all_process_info() {
  // Sorted by (group, name) through pointers: the names stay where they are.
  std::vector<std::pair<const std::string*, const Process*>> sorted;
  sorted.reserve(m_sup.table().process_count());
  m_sup.table().for_each([&](const Group& g, const Process& p) { sorted.emplace_back(&g.cfg.name, &p); });
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    int by_group = a.first->compare(*b.first);
    return by_group != 0 ? by_group < 0 : a.second->config().name < b.second->config().name;
  });
  double now = wall_now();
  Array out;
  out.reserve(sorted.size());
  for (const auto& [group, p] : sorted) {
    out.push_back(rpc::process_info(*group, *p, now));
  }
  return Value(std::move(out));
}

Outcome SupervisorApi::all_config_info() {
  return Value(rpc::all_config_info(m_sup, ConfigMembers::Supervisord));
}

Outcome SupervisorApi::send_stdin(const Array& params) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    return fault(faults::k_incorrect_parameters);
  }
  std::string chars;
  if (params[1].is_string()) {
    chars = params[1].as_string();
  } else if (std::holds_alternative<Base64>(params[1].storage())) {
    chars = std::get<Base64>(params[1].storage()).bytes;
  } else {
    return fault(faults::k_incorrect_parameters, detail::param_text(params[1]));
  }
  std::variant<Target, Fault> t = resolve(*name, true);
  if (const Fault* f = std::get_if<Fault>(&t)) {
    return *f;
  }
  CommandResult r = m_sup.commands().send_stdin(*std::get<Target>(t).process, chars);
  if (r.refusal == Refusal::NoFile) {
    return fault(faults::k_no_file, *name);
  }
  return r.ok() ? Outcome(Value(true)) : Outcome(detail::fault_for(r, *name));
}

Outcome SupervisorApi::remote_comm(const Array& params) {
  // supervisord takes any value and formats it into the event.
  m_sup.commands().remote_comm(detail::param_text(params[0]), detail::param_text(params[1]));
  return Value(true);
}

// --- registration ------------------------------------------------------------------------------


Status SupervisorApi::install(Dispatcher& d) {
  if (Status st = install_info_methods(d); !st) {
    return st;
  }
  if (Status st = install_log_methods(d); !st) {
    return st;
  }
  return install_control_methods(d);
}

// Every method but sendRemoteCommEvent (and signalAllProcesses, which checks
// afterwards) refuses to work once a shutdown or restart has begun
// (SHUTDOWN_STATE), as supervisord does.
Handler SupervisorApi::guarded(std::function<Outcome(const Array&)> fn) {
  return [this, fn = std::move(fn)](const Array& params, const Reply& reply) {
    if (shutting_down()) {
      reply.fail(fault(faults::k_shutdown_state));
      return;
    }
    reply.complete(fn(params));
  };
}

Status SupervisorApi::install_info_methods(Dispatcher& d) {
  auto sync = [this](std::function<Outcome(const Array&)> fn) { return guarded(std::move(fn)); };
  auto version = sync([](const Array&) { return Outcome(Value(k_api_version)); });
  std::vector<detail::MethodDef> defs;
  defs.push_back({"getAPIVersion", 0, 0, {"string"},
                  "Return the version of the XML-RPC API this server implements.\n@return string version", version});
  defs.push_back({"getVersion", 0, 0, {"string"},
                  "Same as getAPIVersion (kept for old clients).\n@return string version", version});
  defs.push_back({"getSupervisorVersion", 0, 0, {"string"},
                  "Return the supervisord release whose API this server reproduces.\n@return string version",
                  sync([](const Array&) { return Outcome(Value(k_supervisor_version)); })});
  defs.push_back({"getIdentification", 0, 0, {"string"},
                  "Return the identifier configured for this server.\n@return string identifier",
                  sync([this](const Array&) { return Outcome(Value(m_sup.config().supervisord.identifier)); })});
  defs.push_back({"getState", 0, 0, {"struct"},
                  "Return the server's state as a struct with statecode (int) and statename (string).\n"
                  "@return struct state",
                  sync([](const Array&) {
                    return Outcome(Value(Struct{{"statecode", Value(1)}, {"statename", Value("RUNNING")}}));
                  })});
  defs.push_back({"getPID", 0, 0, {"int"}, "Return the process id of the server.\n@return int pid",
                  sync([](const Array&) { return Outcome(Value(static_cast<int64_t>(getpid()))); })});
  defs.push_back({"shutdown", 0, 0, {"boolean"},
                  "Stop every process and then the server itself.\n@return boolean true",
                  sync([this](const Array&) {
                    m_sup.commands().shutdown("shutdown requested over XML-RPC");
                    return Outcome(Value(true));
                  })});
  defs.push_back({"restart", 0, 0, {"boolean"},
                  "Stop every process, read the configuration again and start over in the same server process.\n"
                  "@return boolean true",
                  sync([this](const Array&) {
                    m_sup.commands().restart("restart requested over XML-RPC");
                    return Outcome(Value(true));
                  })});
  defs.push_back({"reloadConfig", 0, 0, {"array"},
                  "Read the configuration file again without applying it. The result is one array holding three "
                  "arrays of names: added, changed and removed. A name is a group, or group:process when only "
                  "some processes of a kept group differ.\n@return array [[added, changed, removed]]",
                  sync([this](const Array&) { return reload_config(); })});
  defs.push_back({"addProcessGroup", 1, 1, {"boolean", "string"},
                  "Start managing a group (or one process of a running group) from the configuration last read.\n"
                  "@param string name group name or group:process\n@return boolean true",
                  sync([this](const Array& p) { return add_group(p); })});
  defs.push_back({"removeProcessGroup", 1, 1, {"boolean", "string"},
                  "Stop managing a group (or one process of it) whose processes are all stopped.\n"
                  "@param string name group name or group:process\n@return boolean true",
                  sync([this](const Array& p) { return remove_group(p); })});
  defs.push_back({"getProcessInfo", 1, 1, {"struct", "string"},
                  "Return the state of one process.\n@param string name process name or group:name\n"
                  "@return struct process information",
                  sync([this](const Array& p) { return process_info(p); })});
  defs.push_back({"getAllProcessInfo", 0, 0, {"array"},
                  "Return the state of every process, sorted by group and process name.\n"
                  "@return array process information structs",
                  sync([this](const Array&) { return all_process_info(); })});
  defs.push_back({"getAllConfigInfo", 0, 0, {"array"},
                  "Return the configuration of every process of the configuration last read, sorted by name.\n"
                  "@return array process configuration structs",
                  sync([this](const Array&) { return all_config_info(); })});
  defs.push_back({"sendProcessStdin", 2, 2, {"boolean", "string", "string"},
                  "Write text to the standard input of a running process.\n"
                  "@param string name process name or group:name\n@param string chars text to write\n"
                  "@return boolean true",
                  sync([this](const Array& p) { return send_stdin(p); })});
  defs.push_back({"sendRemoteCommEvent", 2, 2, {"boolean", "string", "string"},
                  "Emit a REMOTE_COMMUNICATION event for event listeners.\n@param string type event type\n"
                  "@param string data event body\n@return boolean true",
                  [this](const Array& p, const Reply& reply) { reply.complete(remote_comm(p)); }});
  return detail::add_methods(d, std::move(defs));
}

}  // namespace tend::rpc
