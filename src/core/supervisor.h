// Supervisor: the daemon's core. Owns the process groups, the one reaper, the
// signal policy, the staged shutdown and the final sweep of every leftover
// descendant. Everything runs on the EventLoop; nothing here blocks or polls.
//
// Shutdown (TERM/INT/QUIT or the shutdown RPC): groups are stopped by
// descending priority, all groups of one priority at once, each process with
// its stopsignal and stopwaitsecs. When a process's main pid exits, members of
// its process group that outlived it get its stopsignal at once. When every
// program is down, the sweep sends SIGTERM to every remaining descendant
// (forked children, setsid daemons, adopted orphans), SIGKILL after
// shutdown_grace, and tend exits the moment it has no children left.
//
// Update (SIGHUP, or reloadConfig and add/remove over XML-RPC): the new
// configuration is compared per program (core/config_diff.h); only the
// processes whose configuration changed are stopped and started again, the
// others keep running. supervisor.restart still stops everything.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model.h"
#include "core/config_diff.h"
#include "sys/event_loop.h"
#include "core/process.h"
#include "log/console.h"

namespace tend {

class Supervisor final : public ProcessHost {
 public:
  enum class Mood { Running, Restarting, Shutdown };

  struct Group {
    GroupConfig cfg;
    std::vector<std::unique_ptr<Process>> processes;  // in (priority, name) order
  };
  using ConfigLoader = std::function<Result<Config>()>;
  using StateListener = std::function<void(Process&, ProcessState from, ProcessState to)>;

  Supervisor(EventLoop& loop, Config cfg, ConfigLoader reload);
  ~Supervisor() override;

  // Installs signal handling, becomes a subreaper when not PID 1, adds every
  // group (autostart programs spawn now).
  Status start();
  // The status tend exits with once the loop stops.
  int exit_code() const { return m_exit_code; }

  Mood mood() const { return m_mood; }
  const Config& config() const { return m_config; }
  double start_wall() const { return m_start_wall; }

  // --- groups and processes (the RPC layer's view) ---
  const std::vector<std::unique_ptr<Group>>& groups() const { return m_groups; }
  Group* find_group(const std::string& name);
  Process* find_process(const std::string& group, const std::string& name);
  // Adds a group from the current config (autostarting its programs).
  Status add_group(const GroupConfig& cfg);
  // Fails unless every process of the group is in a stopped state.
  Status remove_group(const std::string& name);
  // Adds one process of an existing group (`pc` must name the group);
  // starts it when autostart. Fails when the group is unknown or the process present.
  Status add_process(const ProcessConfig& pc);
  // Fails unless the process exists and is in a stopped state.
  Status remove_process(const std::string& group, const std::string& name);
  // The running groups' configurations, in group order.
  std::vector<const GroupConfig*> running_groups() const;
  // What `next` changes against what runs now.
  ConfigDiff diff_against(const Config& next) const { return diff_groups(running_groups(), next.groups); }
  // Replaces the config used by later add_group/add_process calls
  // (reloadConfig). Settings that only a new tend applies (logfile, pidfile,
  // control sockets, ...) keep their running values, with a warning.
  void set_config(Config cfg);
  // Makes the running programs match `next`: stops what was removed or
  // changed, starts each changed or added process as soon as its old one is
  // down. Unchanged processes are not touched. Returns what it applies.
  ConfigDiff update(Config next);
  // Re-reads the configuration and updates (SIGHUP); a bad file keeps the
  // running configuration and is logged.
  void request_update(const std::string& reason);
  // Re-reads the config file(s) with the command-line overrides; applies nothing.
  Result<Config> load_new_config() { return m_reload(); }

  void request_shutdown(const std::string& reason);
  void request_restart(const std::string& reason);
  void reopen_logs();

  uint64_t add_state_listener(StateListener l);
  void remove_state_listener(uint64_t id);

  // --- ProcessHost ---
  EnvList inherited_environment(const ProcessConfig& cfg) override;
  const EnvList& global_environment() override { return m_config.supervisord.environment; }
  void process_spawned(Process& p, pid_t pid) override;
  void process_state_changed(Process& p, ProcessState from, ProcessState to) override;

 private:
  void install_signals();
  // Logs `reason` and re-reads the config; nullopt (logged) when shutting
  // down or when the new file has an error.
  std::optional<Config> reread_for(const std::string& reason);
  void on_signal(int sig);
  void reap();
  void schedule_advance();
  void advance_stop();
  void finish_restart();
  void begin_sweep();
  void sweep_signal_new(int sig);
  void sweep_kill_rest();
  // Sends each group's stop signal to its members that outlived the group leader.
  void signal_group_leftovers(const std::vector<std::pair<pid_t, int>>& groups);
  void report_waiting();
  void maybe_finish();
  void finish();
  void warn_stop_budget();
  std::unique_ptr<Process> make_process(const ProcessConfig& pc);
  void insert_process(Group& g, const ProcessConfig& pc);
  // Adds a group or process of the entry from the current config, if present.
  void add_from_config(const DiffEntry& e);
  // Drops every pid mapping to `p` (it is about to be destroyed).
  void forget(Process* p);
  void schedule_apply_pending();
  // Finishes every pending update whose processes are all down.
  void apply_pending();
  void refresh_console_width();
  std::string server_url() const;

  EventLoop& m_loop;
  Config m_config;
  ConfigLoader m_reload;
  std::optional<Config> m_pending_config;
  // Update entries waiting for their processes to stop; `replace`: start the
  // new version afterwards (changed), else only remove (removed).
  struct PendingUpdate {
    DiffEntry entry;
    bool replace = false;
  };
  std::vector<PendingUpdate> m_pending_updates;
  bool m_apply_scheduled = false;
  std::vector<std::unique_ptr<Group>> m_groups;  // sorted by (priority, name)
  std::unordered_map<pid_t, Process*> m_by_pid;
  std::map<uint64_t, StateListener> m_listeners;
  uint64_t m_next_listener = 1;
  ConsoleMux m_console;
  bool m_console_on = false;
  EnvList m_base_env;
  Mood m_mood = Mood::Running;
  bool m_advance_scheduled = false;
  bool m_sweeping = false;
  bool m_no_children = false;
  bool m_finished = false;
  std::set<pid_t> m_swept;  // descendants already sent SIGTERM by the sweep
  EventLoop::TimerId m_grace_timer = 0;
  EventLoop::TimerId m_report_timer = 0;
  int m_exit_code = 0;
  bool m_is_pid1 = false;
  std::vector<int> m_signals;                               // handled through the loop
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);  // guards deferred callbacks
  double m_start_wall = 0;
};

}  // namespace tend
