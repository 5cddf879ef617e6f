#include "rpc/supervisor_api.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "log/logger.h"
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
constexpr double k_stop_report_interval_s = 2.0;

double wall_now() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Value config_info(const GroupConfig& g, const ProcessConfig& p, bool inuse, const Process* live) {
  auto logfile = [&](Stream s) -> Value {
    const ChannelConfig& ch = s == Stream::Stdout ? p.stdout_ch : p.stderr_ch;
    if (s == Stream::Stderr && p.redirect_stderr) {
      return Value("none");
    }
    switch (ch.logfile.kind) {
      case LogTarget::Kind::Path:
        return Value(ch.logfile.path);
      case LogTarget::Kind::Auto:
        if (live != nullptr) {
          if (std::optional<std::string> path = process_logfile(live->config(), s)) {
            return Value(*path);
          }
        }
        return Value("auto");
      default:
        return Value("none");
    }
  };
  auto syslog = [&](const ChannelConfig& ch) { return Value(ch.syslog || ch.logfile.kind == LogTarget::Kind::Syslog); };
  Array exitcodes;
  for (int c : p.exitcodes) {
    exitcodes.emplace_back(c);
  }
  std::string serverurl = p.serverurl.empty() || p.serverurl == "AUTO" ? "none" : p.serverurl;
  return Value(Struct{
      {"autostart", Value(p.autostart)},
      {"directory", p.directory ? Value(*p.directory) : Value("none")},
      {"uid", p.uid ? Value(static_cast<int64_t>(*p.uid)) : Value("none")},
      {"command", Value(p.command)},
      {"exitcodes", Value(std::move(exitcodes))},
      {"group", Value(g.name)},
      {"group_prio", Value(g.priority)},
      {"inuse", Value(inuse)},
      {"killasgroup", Value(p.killasgroup)},
      {"name", Value(p.name)},
      {"process_prio", Value(p.priority)},
      {"redirect_stderr", Value(p.redirect_stderr)},
      {"startretries", Value(p.startretries)},
      {"startsecs", Value(p.startsecs)},
      {"stdout_capture_maxbytes", Value(p.stdout_ch.capture_maxbytes)},
      {"stdout_events_enabled", Value(p.stdout_ch.events_enabled)},
      {"stdout_logfile", logfile(Stream::Stdout)},
      {"stdout_logfile_backups", Value(p.stdout_ch.logfile_backups)},
      {"stdout_logfile_maxbytes", Value(p.stdout_ch.logfile_maxbytes)},
      {"stdout_syslog", syslog(p.stdout_ch)},
      {"stopsignal", Value(p.stopsignal)},
      {"stopwaitsecs", Value(p.stopwaitsecs)},
      {"stderr_capture_maxbytes", Value(p.stderr_ch.capture_maxbytes)},
      {"stderr_events_enabled", Value(p.stderr_ch.events_enabled)},
      {"stderr_logfile", logfile(Stream::Stderr)},
      {"stderr_logfile_backups", Value(p.stderr_ch.logfile_backups)},
      {"stderr_logfile_maxbytes", Value(p.stderr_ch.logfile_maxbytes)},
      {"stderr_syslog", syslog(p.stderr_ch)},
      {"serverurl", Value(serverurl)},
  });
}

}  // namespace

SupervisorApi::SupervisorApi(Supervisor& sup, EventLoop& loop) : m_sup(sup), m_loop(loop) {}

SupervisorApi::~SupervisorApi() {
  *m_alive = false;
  for (auto& [id, w] : m_waits) {
    m_sup.remove_state_listener(id);
    m_loop.cancel_timer(w.report_timer);
    w.reply.abandon();
  }
}

// --- helpers -----------------------------------------------------------------------

bool SupervisorApi::shutting_down() const { return m_sup.mood() != Supervisor::Mood::Running; }

std::variant<SupervisorApi::Target, Fault> SupervisorApi::resolve(const std::string& namespec,
                                                                  bool process_required) {
  Namespec n = split_namespec(namespec);
  Target t;
  t.group = m_sup.find_group(n.group);
  if (t.group == nullptr) {
    return fault(faults::k_bad_name, namespec);
  }
  if (!n.process) {
    if (process_required) {
      return fault(faults::k_bad_name, namespec);
    }
    return t;
  }
  t.process = m_sup.find_process(n.group, *n.process);
  if (t.process == nullptr) {
    return fault(faults::k_bad_name, namespec);
  }
  return t;
}

std::vector<std::pair<std::string, Process*>> SupervisorApi::all_processes() const {
  std::vector<std::pair<std::string, Process*>> out;
  for (const auto& g : m_sup.groups()) {
    for (const auto& p : g->processes) {
      out.emplace_back(g->cfg.name, p.get());
    }
  }
  return out;
}

void SupervisorApi::complete_later(const Reply& reply, Outcome outcome) {
  // Completing runs the requester's code (an HTTP answer, or the next call of
  // a multicall); never do that from inside a state change of the core.
  m_loop.defer([alive = m_alive, reply, outcome = std::move(outcome)]() mutable {
    if (*alive) {
      reply.complete(std::move(outcome));
    } else {
      reply.abandon();
    }
  });
}

void SupervisorApi::wait_for(Process& p, const Reply& reply, WaitCheck check, bool stop_report) {
  auto id_holder = std::make_shared<uint64_t>(0);
  uint64_t id = m_sup.add_state_listener(
      [this, id_holder](Process& changed, ProcessState, ProcessState) { on_state(*id_holder, changed); });
  *id_holder = id;
  m_waits.emplace(id, Wait{&p, reply, std::move(check), 0});
  if (stop_report) {
    this->stop_report(id);
  }
}

void SupervisorApi::on_state(uint64_t id, const Process& p) {
  auto it = m_waits.find(id);
  if (it == m_waits.end() || it->second.process != &p) {
    return;
  }
  if (!it->second.reply.wanted()) {
    drop_wait(id);
    return;
  }
  std::optional<Outcome> outcome = it->second.check(p);
  if (!outcome) {
    return;
  }
  Reply reply = it->second.reply;
  drop_wait(id);
  complete_later(reply, std::move(*outcome));
}

void SupervisorApi::drop_wait(uint64_t id) {
  auto it = m_waits.find(id);
  if (it == m_waits.end()) {
    return;
  }
  m_loop.cancel_timer(it->second.report_timer);
  m_sup.remove_state_listener(id);
  m_waits.erase(it);
}

// While a stopProcess waits: "waiting for x to stop" at once, then every 2 s,
// as long as the process is STOPPING and someone still waits for the answer.
void SupervisorApi::stop_report(uint64_t id) {
  auto it = m_waits.find(id);
  if (it == m_waits.end()) {
    return;
  }
  Wait& w = it->second;
  w.report_timer = 0;
  if (!w.reply.wanted()) {
    drop_wait(id);
    return;
  }
  if (w.process->state() == ProcessState::Stopping) {
    main_logger().info("waiting for {} to stop", w.process->config().name);
  }
  w.report_timer = m_loop.add_timer_after(seconds_d(k_stop_report_interval_s), [this, id] { stop_report(id); });
}

// --- state and configuration ---------------------------------------------------

Outcome SupervisorApi::reload_config() {
  Result<Config> next = m_sup.load_new_config();
  if (!next) {
    return fault(faults::k_cant_reread, next.error());
  }
  // Per program where a group keeps some processes unchanged ("web:x"), per
  // group otherwise, so that supervisorctl's update restarts only what changed.
  ConfigDiff diff = m_sup.diff_against(*next);
  auto names = [](const std::vector<DiffEntry>& entries) {
    Array out;
    for (const DiffEntry& e : entries) {
      out.emplace_back(e.name());
    }
    return Value(std::move(out));
  };
  m_sup.set_config(std::move(*next));
  return Value(Array{Value(Array{names(diff.added), names(diff.changed), names(diff.removed)})});
}

// addProcessGroup and removeProcessGroup also take "group:process", the
// per-program entries reloadConfig reports (a tend extension).
Outcome SupervisorApi::add_group(const Array& params) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    return fault(faults::k_incorrect_parameters);
  }
  size_t colon = name->find(':');
  std::string group = name->substr(0, colon);
  for (const GroupConfig& g : m_sup.config().groups) {
    if (g.name != group) {
      continue;
    }
    if (colon == std::string::npos) {
      if (m_sup.find_group(g.name) != nullptr) {
        return fault(faults::k_already_added, *name);
      }
      GroupConfig copy = g;  // add_group may change the config it came from
      if (Status st = m_sup.add_group(copy); !st) {
        return fault(faults::k_failed, st.error());
      }
      return Value(true);
    }
    std::string process = name->substr(colon + 1);
    for (const ProcessConfig& pc : g.processes) {
      if (pc.name != process) {
        continue;
      }
      if (m_sup.find_group(group) == nullptr) {
        break;  // a process joins a running group; a new group is added whole
      }
      if (m_sup.find_process(group, process) != nullptr) {
        return fault(faults::k_already_added, *name);
      }
      ProcessConfig copy = pc;
      if (Status st = m_sup.add_process(copy); !st) {
        return fault(faults::k_failed, st.error());
      }
      return Value(true);
    }
  }
  return fault(faults::k_bad_name, *name);
}

Outcome SupervisorApi::remove_group(const Array& params) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    return fault(faults::k_incorrect_parameters);
  }
  size_t colon = name->find(':');
  if (colon != std::string::npos) {
    std::string group = name->substr(0, colon);
    std::string process = name->substr(colon + 1);
    if (m_sup.find_process(group, process) == nullptr) {
      return fault(faults::k_bad_name, *name);
    }
    if (Status st = m_sup.remove_process(group, process); !st) {
      return fault(faults::k_still_running, *name);
    }
    return Value(true);
  }
  if (m_sup.find_group(*name) == nullptr) {
    return fault(faults::k_bad_name, *name);
  }
  if (Status st = m_sup.remove_group(*name); !st) {
    return fault(faults::k_still_running, *name);
  }
  return Value(true);
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
  for (const auto& g : m_sup.groups()) {
    for (const auto& p : g->processes) {
      sorted.emplace_back(&g->cfg.name, p.get());
    }
  }
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
  std::vector<std::pair<std::string, Value>> entries;
  for (const GroupConfig& g : m_sup.config().groups) {
    Supervisor::Group* live_group = m_sup.find_group(g.name);
    // A running group shows its resolved AUTO log paths only while it runs
    // the configuration being listed (supervisord resolves them in place).
    bool same = live_group != nullptr && live_group->cfg == g;
    for (const ProcessConfig& p : g.processes) {
      const Process* live = same ? m_sup.find_process(g.name, p.name) : nullptr;
      entries.emplace_back(p.name, config_info(g, p, live_group != nullptr, live));
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Array out;
  for (auto& [name, v] : entries) {
    out.push_back(std::move(v));
  }
  return Value(std::move(out));
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
  Process& p = *std::get<Target>(t).process;
  if (p.pid() == 0 || p.state() == ProcessState::Stopping) {
    return fault(faults::k_not_running, *name);
  }
  if (Status st = p.write_stdin(chars); !st) {
    // A closed stdin is NO_FILE, as in supervisord; a refusal (too much is
    // waiting for a slow reader) is tend's own and says why.
    return p.stdin_open() ? fault(faults::k_failed, st.error()) : fault(faults::k_no_file, *name);
  }
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
                    m_sup.request_shutdown("shutdown requested over XML-RPC");
                    return Outcome(Value(true));
                  })});
  defs.push_back({"restart", 0, 0, {"boolean"},
                  "Stop every process, read the configuration again and start over in the same server process.\n"
                  "@return boolean true",
                  sync([this](const Array&) {
                    m_sup.request_restart("restart requested over XML-RPC");
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
                  [](const Array&, const Reply& reply) { reply.ok(Value(true)); }});
  return detail::add_methods(d, std::move(defs));
}

}  // namespace tend::rpc
