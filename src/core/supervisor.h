// Supervisor: the daemon's core, as the wiring of parts with one job each.
//
//   ProcessTable   the groups and processes (query side: table())
//   EventBus       every event (bus()); the parts below are subscribers
//   Commands       every change requested from outside (commands())
//   Lifecycle      the supervisor's own state machine (running, restarting,
//                  stopping by stages, sweeping, killing, done)
//   DependencyScheduler  depends_on: holds back, starts when met, orders stops
//   Updater        per-program update on SIGHUP / reloadConfig
//   ExitPolicy     main_program=, critical=, exit_when=: when tend ends by itself
//   Sweep          the tree stop of leftovers once every program is down
//   Ticker         TICK_5/60/3600 events, armed only while someone listens
//
// Everything runs on the EventLoop; nothing here blocks or polls. The one
// reaper is here: child_exited() dispatches each reaped pid to its process
// and tells the sweep.
//
// Shutdown (TERM/INT/QUIT or the shutdown RPC): groups are stopped by
// descending priority, all groups of one priority at once, a program only
// once every program that depends on it has exited, each process with
// its stopsignal (then SIGCONT) and stopwaitsecs. When a process's main pid
// exits, members of its process group that outlived it get its stopsignal at
// once. When every program is down, the sweep stops every remaining
// descendant (sys/tree_stop.h), and tend exits the moment it has no children.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model.h"
#include "core/commands.h"
#include "core/config_diff.h"
#include "core/event_bus.h"
#include "core/lifecycle.h"
#include "core/process.h"
#include "core/process_table.h"
#include "log/console.h"
#include "sys/event_loop.h"

namespace tend {

class Updater;
class ExitPolicy;
class DependencyScheduler;
class Sweep;
class Ticker;

class Supervisor final : public ProcessHost, private Lifecycle::Hooks {
 public:
  using ConfigLoader = std::function<Result<Config>()>;

  // `runtime`: how processes are spawned and signalled (nullptr: the real
  // one); tests pass a fake to drive the supervisor without processes.
  Supervisor(EventLoop& loop, Config cfg, ConfigLoader reload, ProcessRuntime* runtime = nullptr);
  ~Supervisor() override;

  // Installs signal handling, becomes a subreaper when not PID 1, adds every
  // group (autostart programs spawn now).
  Status start();
  // The status tend exits with once the loop stops.
  int exit_code() const { return m_exit_code; }
  void set_exit_code(int code) { m_exit_code = code; }

  SupervisorState state() const { return m_lifecycle.state(); }
  // The configuration last read, but for its groups: see configured_groups().
  const Config& config() const { return m_config; }
  // The groups of the configuration last read (getAllConfigInfo, add, update).
  // Right after a start or restart they are exactly what runs, and are then
  // rebuilt from the process table on demand instead of kept twice (with a
  // thousand programs that copy was a tenth of tend's memory).
  std::vector<GroupConfig> configured_groups() const;
  // One of them by name, or nullopt.
  std::optional<GroupConfig> configured_group(std::string_view name) const;
  double start_wall() const { return m_start_wall; }

  // --- the parts ---
  const ProcessTable& table() const { return m_table; }
  ProcessTable& table_mut() { return m_table; }
  EventBus& bus() override { return m_bus; }
  Commands& commands() { return *m_commands; }
  DependencyScheduler& dependencies() { return *m_deps; }
  EventLoop& loop() { return m_loop; }

  // --- operations of the core (Commands, Updater) ---
  // Adds a group from `cfg`; with `start`, its autostart programs start now.
  // An fcgi group's socket is bound first; if that fails, nothing is added
  // and the error is supervisord's "Could not create FastCGI socket <url>: <reason>".
  Status add_group(const GroupConfig& cfg, bool start = true);
  // Fails unless every process of the group is in a stopped state.
  Status remove_group(const std::string& name);
  // Adds one process of an existing group (`pc` names the group).
  Status add_process(const ProcessConfig& pc);
  // Fails unless the process exists and is in a stopped state.
  Status remove_process(const std::string& group, const std::string& name);
  // What `next` changes against what runs now.
  ConfigDiff diff_against(const Config& next) const;
  // Replaces the config later adds use (reloadConfig). Settings only a new
  // tend applies (logfile, pidfile, control sockets, ...) keep their running
  // values, with a warning.
  void set_config(Config cfg);
  // Makes the running programs match `next`, restarting only what changed.
  ConfigDiff update(Config next);
  // Re-reads the configuration and updates (SIGHUP); a bad file keeps the
  // running configuration and is logged.
  void request_update(const std::string& reason);
  // Re-reads the config file(s) with the command-line overrides; applies nothing.
  Result<Config> load_new_config() { return m_reload(); }
  void request_shutdown(const std::string& reason);
  void request_restart(const std::string& reason);
  void reopen_logs();

  // The reaper's dispatch: `pid` was reaped with `wait_status`.
  void child_exited(pid_t pid, int wait_status);
  // A child of tend that is not a program (an exec probe): `on_exit` runs
  // when the reaper collects it. The one reaper stays the only waitpid.
  void watch_child(pid_t pid, std::function<void(int wait_status)> on_exit);
  // Called before every spawn, in registration order (readiness adds
  // NOTIFY_SOCKET or a notification fd). Returns an id for remove_spawn_hook.
  using SpawnHook = std::function<void(const Process&, SpawnSpec&)>;
  uint64_t add_spawn_hook(SpawnHook hook);
  void remove_spawn_hook(uint64_t id);

  // --- ProcessHost ---
  EnvList inherited_environment(const ProcessConfig& cfg) override;
  EnvList configured_environment(const ProcessConfig& cfg) override {
    return tend::configured_environment(m_config.supervisord, cfg);
  }
  void process_spawned(Process& p, pid_t pid) override;
  ProcessRuntime& runtime() override { return *m_runtime; }
  void prepare_spawn(const Process& p, SpawnSpec& spec) override;

 private:
  friend class Updater;

  // --- Lifecycle::Hooks ---
  std::optional<StopStage> live_stage() override;
  void stop_stage(const StopStage& stage) override;
  void restart_now() override;
  void begin_sweep() override;
  void finish() override;
  void entered(SupervisorState from, SupervisorState to) override;

  // Adds every configured group, publishes the start of the run
  // (SupervisorStateChanged Running -> Running), then starts the programs.
  // A group that cannot be added (its fcgi socket cannot be bound): with
  // `strict` (tend's start) the run fails before any program starts, and tend
  // exits as supervisord does; otherwise (a restart) it is left out and logged.
  Status add_groups_and_run(bool strict);
  void install_signals();
  void on_signal(int sig);
  void reap();
  // Logs `reason` and re-reads the config; nullopt (logged) when not running
  // or when the new file has an error.
  std::optional<Config> reread_for(const std::string& reason);
  void on_process_state(const ProcessStateChanged& e);
  void schedule_process_down();
  void report_waiting();
  std::unique_ptr<Process> make_process(const ProcessConfig& pc, const Group& group);
  void insert_process(Group& g, const ProcessConfig& pc);
  void refresh_console_width();
  std::string server_url() const;

  EventLoop& m_loop;
  Config m_config;
  ConfigLoader m_reload;
  std::unique_ptr<ProcessRuntime> m_own_runtime;
  ProcessRuntime* m_runtime;
  EventBus m_bus;
  ProcessTable m_table{m_bus};
  Lifecycle m_lifecycle{*this};
  std::unique_ptr<Commands> m_commands;
  std::unique_ptr<DependencyScheduler> m_deps;
  std::unique_ptr<Updater> m_updater;
  std::unique_ptr<ExitPolicy> m_exit_policy;
  std::unique_ptr<Sweep> m_sweep;
  std::unique_ptr<Ticker> m_ticker;
  std::optional<Config> m_pending_config;  // restart: what starts once all is down
  bool m_config_is_running = false;        // m_config.groups dropped: the table has them
  EventBus::Subscription m_state_sub;
  ConsoleMux m_console;
  bool m_console_on = false;
  EnvList m_base_env;
  bool m_down_scheduled = false;
  EventLoop::TimerId m_report_timer = 0;
  int m_exit_code = 0;
  std::unordered_map<pid_t, std::function<void(int)>> m_watched;  // watch_child
  std::vector<std::pair<uint64_t, SpawnHook>> m_spawn_hooks;
  uint64_t m_next_hook = 1;
  bool m_is_pid1 = false;
  std::vector<int> m_signals;  // handled through the loop
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);  // guards deferred callbacks
  double m_start_wall = 0;
};

}  // namespace tend
