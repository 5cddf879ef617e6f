#include "core/supervisor.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "sys/descendants.h"
#include "log/auto_log.h"
#include "log/logger.h"
#include "util/signals.h"

namespace tend {

namespace {

constexpr double k_report_interval_s = 3.0;
// docker stop's default grace; Kubernetes gives 30 s.
constexpr double k_container_grace_s = 10.0;

// Signals whose default action would end tend but that mean nothing to it.
// Synchronous faults (SEGV, BUS, FPE, ILL, TRAP, ABRT, SYS) are left alone so
// a real crash still crashes.
bool is_ignored_async_signal(int sig) {
  switch (sig) {
    case SIGKILL:
    case SIGSTOP:
    case SIGSEGV:
    case SIGBUS:
    case SIGFPE:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGSYS:
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
    case SIGHUP:
    case SIGUSR2:
    case SIGCHLD:
      return false;
    default:
      return true;
  }
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return WEXITSTATUS(wait_status);
  }
  if (WIFSIGNALED(wait_status)) {
    return 128 + WTERMSIG(wait_status);
  }
  return 1;
}

}  // namespace

Supervisor::Supervisor(EventLoop& loop, Config cfg, ConfigLoader reload)
    : m_loop(loop), m_config(std::move(cfg)), m_reload(std::move(reload)), m_base_env(process_environ()) {
  m_is_pid1 = getpid() == 1;
  m_start_wall = loop.clock().wall_now();
}

Supervisor::~Supervisor() {
  *m_alive = false;
  for (int sig : m_signals) {
    m_loop.forget_signal(sig);
  }
  m_loop.cancel_timer(m_grace_timer);
  m_loop.cancel_timer(m_report_timer);
}

Status Supervisor::start() {
  install_signals();
  if (!m_is_pid1) {
    // Orphans of our programs are re-parented to us instead of the host's init,
    // so the reaper and the final sweep see them exactly as they would as PID 1.
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
      main_logger().warn("unable to become a child subreaper: {}", strerror(errno));
    }
  }
  const SupervisordConfig& sc = m_config.supervisord;
  m_console_on = sc.console_output == SupervisordConfig::ConsoleOutput::On ||
                 (sc.console_output == SupervisordConfig::ConsoleOutput::Auto && m_is_pid1);
  size_t width = 0;
  for (const GroupConfig& g : m_config.groups) {
    for (const ProcessConfig& p : g.processes) {
      width = std::max(width, p.name.size());
    }
  }
  m_console.set_name_width(width);
  warn_stop_budget();
  for (const GroupConfig& g : m_config.groups) {
    if (Status st = add_group(g); !st) {
      return st;
    }
  }
  return ok_status();
}

// --- signals and reaping --------------------------------------------------------

void Supervisor::install_signals() {
  for (int sig = 1; sig < 32; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) {
      continue;
    }
    if (!is_ignored_async_signal(sig) && sig != SIGTERM && sig != SIGINT && sig != SIGQUIT && sig != SIGHUP &&
        sig != SIGUSR2 && sig != SIGCHLD) {
      continue;
    }
    Status st = m_loop.handle_signal(sig, [this](const signalfd_siginfo& si) { on_signal(static_cast<int>(si.ssi_signo)); });
    m_signals.push_back(sig);
    if (!st) {
      main_logger().warn("{}", st.error());
    }
  }
}

void Supervisor::on_signal(int sig) {
  std::string name = signal_name(sig);
  switch (sig) {
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
      request_shutdown(fmt::format("received {} indicating exit request", name));
      break;
    case SIGHUP:
      request_update(fmt::format("received {} indicating restart request", name));
      break;
    case SIGUSR2:
      main_logger().info("received {} indicating log reopen request", name);
      reopen_logs();
      break;
    case SIGCHLD:
      reap();
      break;
    default:
      // supervisord dies of these (USR1, ALRM, ...); a supervisor must not.
      if (sig == SIGCONT || sig == SIGWINCH || sig == SIGURG) {
        main_logger().debug("received {}, ignored", name);
      } else {
        main_logger().info("received {}, ignored", name);
      }
      break;
  }
}

void Supervisor::reap() {
  std::vector<std::pair<pid_t, int>> leftover_groups;  // (pgid, stop signal)
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      auto it = m_by_pid.find(pid);
      if (it == m_by_pid.end()) {
        main_logger().info("reaped unknown pid {} ({})", pid, describe_wait_status(status));
        continue;
      }
      Process* p = it->second;
      m_by_pid.erase(it);
      bool stopping_all = m_mood != Mood::Running;
      int stopsignal = p->config().stopsignal;
      bool grouped = p->config().stopasgroup;
      p->reaped(status);
      // kill(-pgid, 0) is a cheap emptiness test; only a group with members
      // left costs a scan of /proc.
      if (stopping_all && !grouped && ::kill(-pid, 0) == 0) {
        leftover_groups.emplace_back(pid, stopsignal);
      }
      continue;
    }
    if (pid == 0) {
      m_no_children = false;
    } else if (errno == EINTR) {
      continue;
    } else {
      m_no_children = errno == ECHILD;
    }
    break;
  }
  if (!leftover_groups.empty()) {
    signal_group_leftovers(leftover_groups);
  }
  if (m_sweeping) {
    if (!m_no_children) {
      sweep_signal_new(SIGTERM);  // no children means no descendants: nothing to scan for
    }
    maybe_finish();
  }
}

void Supervisor::process_spawned(Process& p, pid_t pid) {
  m_no_children = false;
  m_by_pid[pid] = &p;
}

void Supervisor::process_state_changed(Process& p, ProcessState from, ProcessState to) {
  for (auto& [id, l] : std::map<uint64_t, StateListener>(m_listeners)) {
    if (m_listeners.count(id) != 0) {
      l(p, from, to);
    }
  }
  const std::string& main_program = m_config.supervisord.main_program;
  bool is_main = !main_program.empty() &&
                 (p.config().name == main_program || p.config().group + ":" + p.config().name == main_program);
  if (m_mood == Mood::Running && is_main &&
      (to == ProcessState::Exited || to == ProcessState::Fatal)) {
    m_exit_code = p.has_exited() ? exit_code_of(p.last_wait_status()) : 127;
    request_shutdown(fmt::format("main program {} ended ({}), exit status {}", p.config().name,
                                 p.has_exited() ? describe_wait_status(p.last_wait_status()) : p.fsm().spawnerr(),
                                 m_exit_code));
    return;
  }
  if (m_mood != Mood::Running && is_stopped_state(to)) {
    schedule_advance();
  }
  if (!m_pending_updates.empty() && is_stopped_state(to)) {
    schedule_apply_pending();
  }
}

// --- groups ----------------------------------------------------------------------

std::unique_ptr<Process> Supervisor::make_process(const ProcessConfig& given) {
  ProcessConfig pc = given;
  const std::string& main_program = m_config.supervisord.main_program;
  if (pc.name == main_program || pc.group + ":" + pc.name == main_program) {
    pc.autorestart = AutoRestart::Never;  // its exit ends tend instead
  }
  const SupervisordConfig& sc = m_config.supervisord;
  auto make_channel = [&](ChannelConfig& ch, Stream stream) {
    OutputChannelOptions o;
    o.process_name = pc.name;
    o.stream = stream;
    o.maxbytes = ch.logfile_maxbytes;
    o.backups = ch.logfile_backups;
    o.strip_ansi = sc.strip_ansi;
    o.syslog = ch.syslog || ch.logfile.kind == LogTarget::Kind::Syslog;
    o.console = m_console_on;
    bool used = stream == Stream::Stdout || !pc.redirect_stderr;
    if (used && ch.logfile.kind == LogTarget::Kind::Auto) {
      if (ch.logfile.path.empty()) {
        Result<std::string> path = create_auto_log(sc.childlogdir, pc.name, stream, sc.identifier);
        if (path) {
          ch.logfile.path = *path;
        } else {
          main_logger().error("{}", path.error());
        }
      }
      o.logfile = ch.logfile.path;
    } else if (used && ch.logfile.kind == LogTarget::Kind::Path) {
      o.logfile = ch.logfile.path;
    }
    OutputSinks sinks;
    sinks.logger = &main_logger();
    sinks.console = &m_console;
    return std::make_unique<OutputChannel>(o, sinks);
  };
  auto out = make_channel(pc.stdout_ch, Stream::Stdout);
  auto err = make_channel(pc.stderr_ch, Stream::Stderr);
  return std::make_unique<Process>(std::move(pc), m_loop, *this, std::move(out), std::move(err));
}

Status Supervisor::add_group(const GroupConfig& cfg) {
  if (find_group(cfg.name) != nullptr) {
    return make_error(fmt::format("group {} already added", cfg.name));
  }
  auto g = std::make_unique<Group>();
  g->cfg = cfg;
  for (const ProcessConfig& pc : cfg.processes) {
    g->processes.push_back(make_process(pc));
  }
  Group* raw = g.get();
  auto pos = std::upper_bound(m_groups.begin(), m_groups.end(), g, [](const auto& a, const auto& b) {
    return std::tie(a->cfg.priority, a->cfg.name) < std::tie(b->cfg.priority, b->cfg.name);
  });
  m_groups.insert(pos, std::move(g));
  if (m_mood == Mood::Running) {
    for (auto& p : raw->processes) {
      p->added();
    }
  }
  return ok_status();
}

Status Supervisor::remove_group(const std::string& name) {
  for (auto it = m_groups.begin(); it != m_groups.end(); ++it) {
    if ((*it)->cfg.name != name) {
      continue;
    }
    for (auto& p : (*it)->processes) {
      if (!is_stopped_state(p->state())) {
        return make_error(fmt::format("process {} of group {} is still running", p->config().name, name));
      }
    }
    for (auto& p : (*it)->processes) {
      forget(p.get());
    }
    m_groups.erase(it);
    return ok_status();
  }
  return make_error(fmt::format("no such group: {}", name));
}

void Supervisor::insert_process(Group& g, const ProcessConfig& pc) {
  auto order = [](const ProcessConfig& a, const ProcessConfig& b) {
    return std::tie(a.priority, a.name) < std::tie(b.priority, b.name);
  };
  g.cfg.processes.insert(std::upper_bound(g.cfg.processes.begin(), g.cfg.processes.end(), pc, order), pc);
  std::unique_ptr<Process> proc = make_process(pc);
  Process* raw = proc.get();
  auto pos = std::upper_bound(g.processes.begin(), g.processes.end(), proc,
                              [&](const auto& a, const auto& b) { return order(a->config(), b->config()); });
  g.processes.insert(pos, std::move(proc));
  if (m_mood == Mood::Running) {
    raw->added();
  }
}

Status Supervisor::add_process(const ProcessConfig& pc) {
  Group* g = find_group(pc.group);
  if (g == nullptr) {
    return make_error(fmt::format("no such group: {}", pc.group));
  }
  if (find_process(pc.group, pc.name) != nullptr) {
    return make_error(fmt::format("process {}:{} already added", pc.group, pc.name));
  }
  insert_process(*g, pc);
  return ok_status();
}

Status Supervisor::remove_process(const std::string& group, const std::string& name) {
  Group* g = find_group(group);
  auto it = g == nullptr ? decltype(g->processes.begin()){}
                         : std::find_if(g->processes.begin(), g->processes.end(),
                                        [&](const auto& p) { return p->config().name == name; });
  if (g == nullptr || it == g->processes.end()) {
    return make_error(fmt::format("no such process: {}:{}", group, name));
  }
  if (!is_stopped_state((*it)->state())) {
    return make_error(fmt::format("process {}:{} is still running", group, name));
  }
  forget(it->get());
  g->processes.erase(it);
  std::erase_if(g->cfg.processes, [&](const ProcessConfig& pc) { return pc.name == name; });
  return ok_status();
}

void Supervisor::forget(Process* p) {
  std::erase_if(m_by_pid, [p](const auto& entry) { return entry.second == p; });
}

std::vector<const GroupConfig*> Supervisor::running_groups() const {
  std::vector<const GroupConfig*> out;
  out.reserve(m_groups.size());
  for (const auto& g : m_groups) {
    out.push_back(&g->cfg);
  }
  return out;
}

namespace {

// The [supervisord] and server settings of `next` that differ from `cur` but
// only take effect when tend starts (the logger, the pidfile, the control
// sockets, privileges and limits are set up once).
std::vector<std::string> startup_only_changes(const Config& cur, const Config& next) {
  std::vector<std::string> out;
  const SupervisordConfig& a = cur.supervisord;
  const SupervisordConfig& b = next.supervisord;
  auto check = [&out](bool same, const char* key) {
    if (!same) {
      out.emplace_back(key);
    }
  };
  check(a.logfile == b.logfile, "logfile");
  check(a.logfile_maxbytes == b.logfile_maxbytes, "logfile_maxbytes");
  check(a.logfile_backups == b.logfile_backups, "logfile_backups");
  check(a.loglevel == b.loglevel, "loglevel");
  check(a.pidfile == b.pidfile, "pidfile");
  check(a.umask == b.umask, "umask");
  check(a.nodaemon == b.nodaemon, "nodaemon");
  check(a.silent == b.silent, "silent");
  check(a.minfds == b.minfds, "minfds");
  check(a.minprocs == b.minprocs, "minprocs");
  check(a.nocleanup == b.nocleanup, "nocleanup");
  check(a.uid == b.uid, "user");
  check(a.directory == b.directory, "directory");
  check(a.identifier == b.identifier, "identifier");
  check(a.console_output == b.console_output, "console_output");
  auto same_server = [](const HttpServerConfig& x, const HttpServerConfig& y) {
    return x.kind == y.kind && x.file == y.file && x.chmod == y.chmod && x.chown_uid == y.chown_uid &&
           x.chown_gid == y.chown_gid && x.host == y.host && x.port == y.port && x.username == y.username &&
           x.password == y.password;
  };
  check(std::equal(cur.http_servers.begin(), cur.http_servers.end(), next.http_servers.begin(),
                   next.http_servers.end(), same_server),
        "[unix_http_server]/[inet_http_server]");
  return out;
}

}  // namespace

void Supervisor::set_config(Config next) {
  std::vector<std::string> fixed = startup_only_changes(m_config, next);
  if (!fixed.empty()) {
    main_logger().warn("the new configuration changes {}; these take effect only when tend is started again",
                       fmt::join(fixed, ", "));
  }
  // Keep what runs; take what later spawns and the shutdown read.
  SupervisordConfig live = m_config.supervisord;
  live.environment = std::move(next.supervisord.environment);
  live.childlogdir = std::move(next.supervisord.childlogdir);
  live.strip_ansi = next.supervisord.strip_ansi;
  live.shutdown_grace = next.supervisord.shutdown_grace;
  live.main_program = std::move(next.supervisord.main_program);
  next.supervisord = std::move(live);
  next.http_servers = m_config.http_servers;
  m_config = std::move(next);
}

std::optional<Config> Supervisor::reread_for(const std::string& reason) {
  if (m_mood != Mood::Running) {
    main_logger().warn("ignored {} (shutdown in progress)", reason.substr(reason.find(' ') + 1));
    return std::nullopt;
  }
  main_logger().warn("{}", reason);
  Result<Config> next = m_reload();
  if (!next) {
    // Deliberate difference from supervisord, which exits here: the running
    // programs are worth more than a typo in the new file.
    main_logger().error("unable to reload the configuration, keeping the current one: {}", next.error());
    return std::nullopt;
  }
  return std::move(*next);
}

void Supervisor::request_update(const std::string& reason) {
  std::optional<Config> next = reread_for(reason);
  if (!next) {
    return;
  }
  ConfigDiff d = update(std::move(*next));
  main_logger().info("configuration reloaded from {}: {} added, {} changed, {} removed", m_config.path,
                     d.added.size(), d.changed.size(), d.removed.size());
}

ConfigDiff Supervisor::update(Config next) {
  ConfigDiff d = diff_against(next);
  set_config(std::move(next));
  if (m_mood != Mood::Running) {
    return d;
  }
  // The diff is against what runs now, so it replaces any earlier plan.
  m_pending_updates.clear();
  auto stop_entry = [this](const DiffEntry& e) {
    Group* g = find_group(e.group);
    for (auto& p : g->processes) {
      if ((!e.process || p->config().name == *e.process) && p->state() != ProcessState::Stopping &&
          p->state() != ProcessState::Stopped) {
        (void)p->stop();  // also cancels a pending autorestart of an EXITED process
      }
    }
  };
  for (const DiffEntry& e : d.removed) {
    main_logger().info("removing {}: no longer in the configuration", e.name());
    m_pending_updates.push_back({e, false});
    stop_entry(e);
  }
  for (const DiffEntry& e : d.changed) {
    main_logger().info("restarting {}: its configuration changed", e.name());
    m_pending_updates.push_back({e, true});
    stop_entry(e);
  }
  for (const DiffEntry& e : d.added) {
    main_logger().info("adding {}: new in the configuration", e.name());
    add_from_config(e);
  }
  refresh_console_width();
  warn_stop_budget();
  apply_pending();
  return d;
}

void Supervisor::add_from_config(const DiffEntry& e) {
  for (const GroupConfig& g : m_config.groups) {
    if (g.name != e.group) {
      continue;
    }
    Status st = ok_status();
    if (!e.process) {
      st = add_group(g);
    } else {
      for (const ProcessConfig& pc : g.processes) {
        if (pc.name == *e.process) {
          st = add_process(pc);
        }
      }
    }
    if (!st) {
      main_logger().error("unable to add {}: {}", e.name(), st.error());
    }
  }
}

void Supervisor::schedule_apply_pending() {
  if (m_apply_scheduled) {
    return;
  }
  m_apply_scheduled = true;
  // Deferred: the state change that triggers it is reported from inside the
  // process, which must not be destroyed under its own feet.
  m_loop.defer([this, alive = std::weak_ptr<bool>(m_alive)] {
    if (auto a = alive.lock(); a && *a) {
      m_apply_scheduled = false;
      apply_pending();
    }
  });
}

void Supervisor::apply_pending() {
  if (m_mood != Mood::Running) {
    m_pending_updates.clear();
    return;
  }
  std::vector<PendingUpdate> waiting;
  for (const PendingUpdate& u : std::vector<PendingUpdate>(std::move(m_pending_updates))) {
    Group* g = find_group(u.entry.group);
    bool down = true;
    bool present = false;
    if (g != nullptr) {
      for (auto& p : g->processes) {
        if (!u.entry.process || p->config().name == *u.entry.process) {
          present = true;
          down = down && is_stopped_state(p->state());
        }
      }
    }
    if (!down) {
      waiting.push_back(u);
      continue;
    }
    if (present) {
      Status st = u.entry.process ? remove_process(u.entry.group, *u.entry.process) : remove_group(u.entry.group);
      if (!st) {
        main_logger().error("unable to remove {}: {}", u.entry.name(), st.error());
        continue;
      }
    }
    if (u.replace) {
      add_from_config(u.entry);
    } else {
      main_logger().info("removed {}", u.entry.name());
    }
  }
  m_pending_updates = std::move(waiting);
  refresh_console_width();
}

void Supervisor::refresh_console_width() {
  size_t width = 0;
  for (const auto& g : m_groups) {
    for (const auto& p : g->processes) {
      width = std::max(width, p->config().name.size());
    }
  }
  m_console.set_name_width(width);
}

Supervisor::Group* Supervisor::find_group(const std::string& name) {
  for (auto& g : m_groups) {
    if (g->cfg.name == name) {
      return g.get();
    }
  }
  return nullptr;
}

Process* Supervisor::find_process(const std::string& group, const std::string& name) {
  Group* g = find_group(group);
  if (g == nullptr) {
    return nullptr;
  }
  for (auto& p : g->processes) {
    if (p->config().name == name) {
      return p.get();
    }
  }
  return nullptr;
}

uint64_t Supervisor::add_state_listener(StateListener l) {
  uint64_t id = m_next_listener++;
  m_listeners.emplace(id, std::move(l));
  return id;
}

void Supervisor::remove_state_listener(uint64_t id) { m_listeners.erase(id); }

std::string Supervisor::server_url() const {
  for (const HttpServerConfig& s : m_config.http_servers) {
    if (s.kind == HttpServerConfig::Kind::Unix) {
      return "unix://" + s.file;
    }
  }
  for (const HttpServerConfig& s : m_config.http_servers) {
    return fmt::format("http://{}:{}", s.host.empty() ? "localhost" : s.host, s.port);
  }
  return "";
}

EnvList Supervisor::inherited_environment(const ProcessConfig& cfg) {
  EnvList env = m_base_env;
  EnvList extra{{"SUPERVISOR_ENABLED", "1"}};
  std::string url = cfg.serverurl.empty() || cfg.serverurl == "AUTO" ? server_url() : cfg.serverurl;
  if (!url.empty()) {
    extra.emplace_back("SUPERVISOR_SERVER_URL", url);
  }
  extra.emplace_back("SUPERVISOR_PROCESS_NAME", cfg.name);
  extra.emplace_back("SUPERVISOR_GROUP_NAME", cfg.group);
  env_merge(env, extra);
  return env;
}

void Supervisor::reopen_logs() {
  if (Status st = main_logger().reopen(); !st) {
    main_logger().error("{}", st.error());
  }
  for (auto& g : m_groups) {
    for (auto& p : g->processes) {
      for (Stream s : {Stream::Stdout, Stream::Stderr}) {
        if (OutputChannel* ch = p->sink(s); ch != nullptr && ch->file() != nullptr) {
          if (Status st = ch->reopen(); !st) {
            main_logger().error("{}", st.error());
          }
        }
      }
    }
  }
}

// --- shutdown and reload ------------------------------------------------------------

void Supervisor::request_shutdown(const std::string& reason) {
  main_logger().warn("{}", reason);
  if (m_mood == Mood::Shutdown) {
    return;
  }
  m_mood = Mood::Shutdown;
  m_pending_updates.clear();
  for (auto& g : m_groups) {
    for (auto& p : g->processes) {
      p->set_shutting_down(true);
    }
  }
  m_loop.cancel_timer(m_report_timer);
  m_report_timer = m_loop.add_timer_after(seconds_d(k_report_interval_s), [this] { report_waiting(); });
  advance_stop();
}

void Supervisor::request_restart(const std::string& reason) {
  std::optional<Config> next = reread_for(reason);
  if (!next) {
    return;
  }
  m_pending_config = std::move(*next);
  m_pending_updates.clear();
  m_mood = Mood::Restarting;
  for (auto& g : m_groups) {
    for (auto& p : g->processes) {
      p->set_shutting_down(true);
    }
  }
  advance_stop();
}

void Supervisor::schedule_advance() {
  if (m_advance_scheduled) {
    return;
  }
  m_advance_scheduled = true;
  m_loop.defer([this, alive = std::weak_ptr<bool>(m_alive)] {
    if (auto a = alive.lock(); a && *a) {
      advance_stop();
    }
  });
}

void Supervisor::advance_stop() {
  m_advance_scheduled = false;
  if (m_mood == Mood::Running || m_sweeping) {
    return;
  }
  bool any = false;
  int stage = INT_MIN;
  for (auto& g : m_groups) {
    for (auto& p : g->processes) {
      if (!is_stopped_state(p->state())) {
        any = true;
        stage = std::max(stage, g->cfg.priority);
      }
    }
  }
  if (!any) {
    if (m_mood == Mood::Shutdown) {
      begin_sweep();
    } else {
      finish_restart();
    }
    return;
  }
  for (auto& g : m_groups) {
    if (g->cfg.priority != stage) {
      continue;
    }
    for (auto& p : g->processes) {
      p->stop_for_shutdown();
    }
  }
}

void Supervisor::finish_restart() {
  m_groups.clear();
  m_by_pid.clear();
  m_config = std::move(*m_pending_config);
  m_pending_config.reset();
  m_mood = Mood::Running;
  main_logger().info("configuration reloaded from {}", m_config.path);
  refresh_console_width();
  warn_stop_budget();
  for (const GroupConfig& g : m_config.groups) {
    if (Status st = add_group(g); !st) {
      main_logger().error("{}", st.error());
    }
  }
}

void Supervisor::signal_group_leftovers(const std::vector<std::pair<pid_t, int>>& groups) {
  // Whatever is left in a program's group descends from the program, and its
  // orphans come back to us (PID 1 or a child subreaper, see start()): our own
  // tree holds them all, and walking it is cheaper than reading every process
  // on the machine.
  Result<std::vector<ProcEntry>> table = list_descendant_entries(getpid());
  if (!table) {
    return;
  }
  for (const ProcEntry& e : *table) {
    for (const auto& [pgid, sig] : groups) {
      if (e.pgrp == pgid && e.pid != pgid && e.state != 'Z' && m_swept.count(e.pid) == 0) {
        if (::kill(e.pid, sig) == 0) {
          m_swept.insert(e.pid);
          main_logger().info("sent {} to pid {}, left behind in the process group of pid {}", signal_name(sig), e.pid,
                             pgid);
        }
      }
    }
  }
}

void Supervisor::begin_sweep() {
  if (m_sweeping) {
    return;
  }
  m_sweeping = true;
  m_loop.cancel_timer(m_report_timer);
  m_report_timer = 0;
  reap();  // also signals what is there and may finish at once
  if (m_finished) {
    return;
  }
  double grace = m_config.supervisord.shutdown_grace;
  main_logger().info("all programs stopped; waiting up to {}s for leftover processes", grace);
  m_grace_timer = m_loop.add_timer_after(seconds_d(grace), [this] {
    m_grace_timer = 0;
    sweep_kill_rest();
  });
}

void Supervisor::sweep_signal_new(int sig) {
  Result<std::vector<ProcEntry>> entries = list_descendant_entries(getpid());
  if (!entries) {
    // No usable /proc (e.g. a PID namespace without its own /proc mounted).
    // As PID 1 every process in the namespace is ours to stop.
    if (m_is_pid1 && m_swept.insert(-1).second) {
      main_logger().warn("unable to list leftover processes ({}); signalling all with {}", entries.error(),
                         signal_name(sig));
      ::kill(-1, sig);
    }
    return;
  }
  for (const ProcEntry& e : *entries) {
    if (e.state == 'Z' || m_swept.count(e.pid) != 0) {
      continue;
    }
    if (::kill(e.pid, sig) == 0) {
      m_swept.insert(e.pid);
      main_logger().info("sent {} to leftover process {}", signal_name(sig), e.pid);
    }
  }
}

void Supervisor::sweep_kill_rest() {
  Result<std::vector<ProcEntry>> entries = list_descendant_entries(getpid());
  if (!entries) {
    if (m_is_pid1) {
      ::kill(-1, SIGKILL);
    }
    return;
  }
  for (const ProcEntry& e : *entries) {
    if (e.state != 'Z') {
      main_logger().warn("killing leftover process {} with SIGKILL (shutdown_grace of {}s elapsed)", e.pid,
                         m_config.supervisord.shutdown_grace);
      ::kill(e.pid, SIGKILL);
    }
  }
}

void Supervisor::report_waiting() {
  m_report_timer = 0;
  if (m_mood == Mood::Running || m_sweeping) {
    return;
  }
  std::vector<std::string> names;
  for (auto& g : m_groups) {
    for (auto& p : g->processes) {
      if (!is_stopped_state(p->state())) {
        names.push_back(p->config().name);
      }
    }
  }
  if (!names.empty()) {
    main_logger().info("waiting for {} to die", fmt::join(names, ", "));
  }
  m_report_timer = m_loop.add_timer_after(seconds_d(k_report_interval_s), [this] { report_waiting(); });
}

void Supervisor::maybe_finish() {
  if (m_sweeping && m_no_children && !m_finished) {
    finish();
  }
}

void Supervisor::finish() {
  m_finished = true;
  // Every descendant is gone, so every pipe has all its bytes and an EOF.
  for (auto& g : m_groups) {
    for (auto& p : g->processes) {
      p->drain_all();
    }
  }
  m_loop.cancel_timer(m_grace_timer);
  m_grace_timer = 0;
  m_loop.stop(m_exit_code);
}

void Supervisor::warn_stop_budget() {
  // Worst case: each priority stage waits for its slowest stopwaitsecs, then
  // the sweep may wait shutdown_grace. Past the runtime's grace, the kernel
  // SIGKILLs whatever is left, clean-up or not.
  std::map<int, std::vector<const ProcessConfig*>> stages;
  for (const GroupConfig& g : m_config.groups) {
    for (const ProcessConfig& p : g.processes) {
      stages[g.priority].push_back(&p);
    }
  }
  double total = m_config.supervisord.shutdown_grace;
  std::vector<const ProcessConfig*> slowest;
  for (auto& [prio, procs] : stages) {
    const ProcessConfig* worst = *std::max_element(
        procs.begin(), procs.end(), [](const auto* a, const auto* b) { return a->stopwaitsecs < b->stopwaitsecs; });
    total += worst->stopwaitsecs;
    slowest.push_back(worst);
  }
  // Only a container runtime imposes this deadline; on a host it is noise.
  if (!m_is_pid1 || total <= k_container_grace_s) {
    return;
  }
  std::sort(slowest.begin(), slowest.end(), [](const auto* a, const auto* b) { return a->stopwaitsecs > b->stopwaitsecs; });
  std::vector<std::string> names;
  for (const ProcessConfig* p : slowest) {
    if (names.size() == 5) {
      break;
    }
    names.push_back(fmt::format("{} (stopwaitsecs={}, priority={})", p->name, p->stopwaitsecs, p->priority));
  }
  main_logger().warn(
      "worst-case stop time is {}s ({} priority stage(s) plus shutdown_grace={}s), more than the {}s docker stop "
      "allows before SIGKILL; slowest: {}",
      total, stages.size(), m_config.supervisord.shutdown_grace, k_container_grace_s, fmt::join(names, ", "));
}

}  // namespace tend
