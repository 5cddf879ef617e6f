#include "core/supervisor.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/dependency_scheduler.h"
#include "core/exit_policy.h"
#include "core/stop_budget.h"
#include "core/sweep.h"
#include "core/ticker.h"
#include "core/updater.h"
#include "log/logger.h"
#include "sys/exit_status.h"
#include "sys/reaper.h"
#include "sys/signal_takeover.h"
#include "util/signals.h"

namespace tend {

namespace {

constexpr double k_report_interval_s = 3.0;

}  // namespace

Supervisor::Supervisor(EventLoop& loop, Config cfg, ConfigLoader reload, ProcessRuntime* runtime)
    : m_loop(loop), m_config(std::move(cfg)), m_reload(std::move(reload)), m_base_env(process_environ()) {
  if (runtime == nullptr) {
    m_own_runtime = std::make_unique<PosixRuntime>();
    runtime = m_own_runtime.get();
  }
  m_runtime = runtime;
  m_is_pid1 = getpid() == 1;
  m_start_wall = loop.clock().wall_now();
  m_commands = std::make_unique<Commands>(*this, loop);
  // Subscription order is delivery order: the core's own reactions first.
  m_state_sub = m_bus.subscribe(mask_of(EventKind::ProcessState),
                                [this](const Event& e) { on_process_state(std::get<ProcessStateChanged>(e)); });
  m_exit_policy = std::make_unique<ExitPolicy>(*this);
  m_deps = std::make_unique<DependencyScheduler>(*this);
  m_updater = std::make_unique<Updater>(*this);
  m_sweep = std::make_unique<Sweep>(loop, Sweep::Callbacks{[this] { m_lifecycle.handle(LifecycleEvent::SweepKilling); },
                                                     [this] { m_lifecycle.handle(LifecycleEvent::SweepDone); }});
  m_ticker = std::make_unique<Ticker>(loop, m_bus);
}

Supervisor::~Supervisor() {
  *m_alive = false;
  for (int sig : m_signals) {
    m_loop.forget_signal(sig);
  }
  m_loop.cancel_timer(m_report_timer);
  m_table.clear();
}

Status Supervisor::start() {
  install_signals();
  // Orphans of our programs come back to us instead of the host's init, so the
  // reaper and the final sweep see them exactly as they would as PID 1.
  if (Status st = become_subreaper(); !st) {
    main_logger().warn("{}", st.error());
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
  m_console.set_format(sc.console_output_format == SupervisordConfig::ConsoleOutputFormat::Json
                           ? ConsoleFormat::Json
                           : ConsoleFormat::Prefix);
  warn_stop_budget(m_config, m_is_pid1);
  return add_groups_and_run(true);
}

Status Supervisor::add_groups_and_run(bool strict) {
  bool all_added = true;
  for (const GroupConfig& g : m_config.groups) {
    if (Status st = add_group(g, false); !st) {
      if (strict) {
        return st;
      }
      all_added = false;
      main_logger().critical("{}", st.error());
    }
  }
  // The run begins: the report that supervisord makes SUPERVISOR_STATE_CHANGE_RUNNING,
  // after every PROCESS_GROUP_ADDED and before the first spawn.
  m_bus.publish(SupervisorStateChanged{SupervisorState::Running, SupervisorState::Running});
  for (const GroupConfig& g : m_config.groups) {
    if (Group* group = m_table.mutable_group(g.name)) {
      for (const auto& p : group->processes) {
        m_deps->added(*p);
      }
    }
  }
  if (all_added) {
    m_config.groups.clear();
    m_config.groups.shrink_to_fit();
    m_config_is_running = true;
  }
  return ok_status();
}

std::optional<GroupConfig> Supervisor::configured_group(std::string_view name) const {
  if (m_config_is_running) {
    const Group* g = m_table.find_group(name);
    return g != nullptr ? std::optional(m_table.configured(*g)) : std::nullopt;
  }
  for (const GroupConfig& g : m_config.groups) {
    if (g.name == name) {
      return g;
    }
  }
  return std::nullopt;
}

std::vector<GroupConfig> Supervisor::configured_groups() const {
  if (!m_config_is_running) {
    return m_config.groups;
  }
  std::vector<GroupConfig> out;
  out.reserve(m_table.groups().size());
  for (const auto& g : m_table.groups()) {
    out.push_back(m_table.configured(*g));
  }
  return out;
}

// --- signals and reaping --------------------------------------------------------

void Supervisor::install_signals() {
  // Every catchable signal comes through the loop: tend survives each one it
  // does not act on (real faults still end it: the kernel forces those).
  pid_t self = getpid();
  Status st = route_catchable_signals(m_loop, [this, self](const signalfd_siginfo& si) {
    // A SIGPIPE from our own write to a closed client is not news.
    if (!raised_by_self(si, self)) {
      on_signal(static_cast<int>(si.ssi_signo));
    }
  });
  if (!st) {
    main_logger().warn("{}", st.error());
  }
  m_signals = catchable_signals();
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
  ReapBatch batch = reap_children();
  for (const ReapedChild& c : batch.children) {
    Process* p = m_table.by_pid(c.pid);
    if (p == nullptr) {
      if (auto w = m_watched.find(c.pid); w != m_watched.end()) {
        std::function<void(int)> on_exit = std::move(w->second);
        m_watched.erase(w);
        on_exit(c.status);
        continue;
      }
      main_logger().info("reaped unknown pid {} ({})", c.pid, describe_wait_status(c.status));
      continue;
    }
    bool stopping_all = !m_lifecycle.running();
    int stopsignal = p->config().stopsignal;
    bool grouped = p->config().stopasgroup;
    child_exited(c.pid, c.status);
    // kill(-pgid, 0) is a cheap emptiness test; only a group with members
    // left costs a scan of /proc.
    if (stopping_all && !grouped && ::kill(-c.pid, 0) == 0) {
      leftover_groups.emplace_back(c.pid, stopsignal);
    }
  }
  if (!leftover_groups.empty()) {
    m_sweep->signal_group_leftovers(leftover_groups);
  }
  m_sweep->reaped(batch);
}

void Supervisor::child_exited(pid_t pid, int wait_status) {
  Process* p = m_table.by_pid(pid);
  if (p == nullptr) {
    return;
  }
  m_table.unmap_pid(pid);
  p->reaped(wait_status);
}

void Supervisor::process_spawned(Process& p, pid_t pid) { m_table.map_pid(pid, &p); }

void Supervisor::watch_child(pid_t pid, std::function<void(int wait_status)> on_exit) {
  m_watched[pid] = std::move(on_exit);
}

uint64_t Supervisor::add_spawn_hook(SpawnHook hook) {
  uint64_t id = m_next_hook++;
  m_spawn_hooks.emplace_back(id, std::move(hook));
  return id;
}

void Supervisor::remove_spawn_hook(uint64_t id) {
  std::erase_if(m_spawn_hooks, [id](const auto& h) { return h.first == id; });
}

void Supervisor::prepare_spawn(const Process& p, SpawnSpec& spec) {
  for (const auto& [id, hook] : m_spawn_hooks) {
    hook(p, spec);
  }
}

void Supervisor::on_process_state(const ProcessStateChanged& e) {
  if (!m_lifecycle.running() && is_stopped_state(e.to)) {
    schedule_process_down();
  }
}

void Supervisor::schedule_process_down() {
  if (m_down_scheduled) {
    return;
  }
  m_down_scheduled = true;
  // Deferred: the change is reported from inside the process, and the next
  // step may destroy it (restart) or stop others.
  m_loop.defer([this, alive = std::weak_ptr<bool>(m_alive)] {
    if (auto a = alive.lock(); a && *a) {
      m_down_scheduled = false;
      m_lifecycle.handle(LifecycleEvent::ProcessDown);
    }
  });
}

// --- configuration ------------------------------------------------------------------

void Supervisor::set_config(Config next) {
  std::vector<std::string> fixed = startup_only_changes(m_config, next);
  if (!fixed.empty()) {
    main_logger().warn("the new configuration changes {}; these take effect only when tend is started again",
                       fmt::join(fixed, ", "));
  }
  // Keep what runs; take what later spawns and the shutdown read.
  SupervisordConfig live = m_config.supervisord;
  live.environment = std::move(next.supervisord.environment);
  live.environment_file = std::move(next.supervisord.environment_file);
  live.childlogdir = std::move(next.supervisord.childlogdir);
  live.strip_ansi = next.supervisord.strip_ansi;
  live.shutdown_grace = next.supervisord.shutdown_grace;
  live.main_program = std::move(next.supervisord.main_program);
  live.exit_when = next.supervisord.exit_when;
  next.supervisord = std::move(live);
  next.http_servers = m_config.http_servers;
  m_config = std::move(next);
  m_config_is_running = false;
}

std::optional<Config> Supervisor::reread_for(const std::string& reason) {
  if (!m_lifecycle.running()) {
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
  if (!m_lifecycle.running()) {
    return d;
  }
  m_updater->apply(d);
  refresh_console_width();
  warn_stop_budget(m_config, m_is_pid1);
  return d;
}

// --- shutdown and restart -----------------------------------------------------------

void Supervisor::request_shutdown(const std::string& reason) {
  main_logger().warn("{}", reason);
  m_lifecycle.handle(LifecycleEvent::Shutdown);
}

void Supervisor::request_restart(const std::string& reason) {
  std::optional<Config> next = reread_for(reason);
  if (!next) {
    return;
  }
  m_pending_config = std::move(*next);
  m_lifecycle.handle(LifecycleEvent::Restart);
}

void Supervisor::entered(SupervisorState from, SupervisorState to) {
  if (to == SupervisorState::Stopping || to == SupervisorState::Restarting) {
    m_updater->cancel();
    for (const auto& g : m_table.groups()) {
      for (const auto& p : g->processes) {
        p->set_shutting_down(true);
      }
    }
  }
  if (to == SupervisorState::Stopping) {
    m_pending_config.reset();
    m_loop.cancel_timer(m_report_timer);
    m_report_timer = m_loop.add_timer_after(seconds_d(k_report_interval_s), [this] { report_waiting(); });
  }
  if (from == SupervisorState::Stopping) {
    m_loop.cancel_timer(m_report_timer);
    m_report_timer = 0;
  }
  m_bus.publish(SupervisorStateChanged{from, to});
}

std::optional<StopStage> Supervisor::live_stage() { return m_deps->shutdown_stage(); }

void Supervisor::stop_stage(const StopStage& stage) {
  for (const Process* member : stage.members) {
    if (Process* p = m_table.mutable_process(member)) {
      p->stop_for_shutdown();
    }
  }
}

void Supervisor::restart_now() {
  m_table.clear();
  m_config = std::move(*m_pending_config);
  m_pending_config.reset();
  main_logger().info("configuration reloaded from {}", m_config.path);
  refresh_console_width();
  warn_stop_budget(m_config, m_is_pid1);
  (void)add_groups_and_run(false);
}

void Supervisor::begin_sweep() {
  reap();  // the last programs' exits may still wait to be collected
  m_sweep->begin(m_config.supervisord.shutdown_grace);
}

void Supervisor::finish() {
  // Every descendant is gone, so every pipe has all its bytes and an EOF.
  for (const auto& g : m_table.groups()) {
    for (const auto& p : g->processes) {
      p->drain_all();
    }
  }
  m_loop.stop(m_exit_code);
}

void Supervisor::report_waiting() {
  m_report_timer = 0;
  if (m_lifecycle.state() != SupervisorState::Stopping) {
    return;
  }
  std::vector<std::string> names;
  m_table.for_each([&](const Group&, const Process& p) {
    if (!is_stopped_state(p.state())) {
      names.push_back(p.name());
    }
  });
  if (!names.empty()) {
    main_logger().info("waiting for {} to die", fmt::join(names, ", "));
  }
  m_report_timer = m_loop.add_timer_after(seconds_d(k_report_interval_s), [this] { report_waiting(); });
}

}  // namespace tend
