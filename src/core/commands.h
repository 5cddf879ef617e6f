// Commands: the one way to change what the supervisor runs. Every caller
// outside core (XML-RPC, the web console, tendctl's server side, signals
// mapped to actions) goes through here; none touches a Process itself.
//
// A command either answers at once or, when it waits (start/stop with wait),
// later. Its answer is a CommandResult: success, or a typed Refusal with the
// detail the caller may show. The rules that decide a refusal (which states
// may be started, stopped, signalled; what a wait waits for) live here and in
// the state machine's table, nowhere else.
//
// Contract for waits: `Waiter::done` is called exactly once, unless the
// waiter stops being wanted first (then never). It is called either before
// the command returns or later from a deferred loop callback, never from
// inside a state change, so the caller's code never runs under the core's feet.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config_diff.h"
#include "core/event_bus.h"
#include "core/process.h"
#include "sys/event_loop.h"

namespace tend {

class Supervisor;

enum class Refusal : uint8_t {
  None,
  BadName,              // no such group or process
  AlreadyStarted,       // start: STARTING, RUNNING or BACKOFF
  NotRunning,           // stop, signal, stdin: nothing to act on
  SpawnError,           // start: the spawn failed (detail: spawnerr)
  NoFile,               // start: command not found; stdin: closed
  NotExecutable,        // start: command found but not runnable
  UnknownState,         // start: the process is UNKNOWN
  AbnormalTermination,  // start with wait: it left STARTING without reaching RUNNING
  ShuttingDown,         // the supervisor is stopping or restarting
  StillRunning,         // remove: a process is not stopped
  AlreadyAdded,         // add: already running
  CantReread,           // reload: the new configuration has an error (detail)
  Failed,               // anything else (detail)
};
const char* refusal_name(Refusal r);

struct CommandResult {
  Refusal refusal = Refusal::None;
  std::string detail;

  bool ok() const { return refusal == Refusal::None; }
  static CommandResult success() { return {}; }
  static CommandResult refused(Refusal r, std::string detail = {}) { return {r, std::move(detail)}; }
};

struct Waiter {
  std::function<void(CommandResult)> done;
  // Asked on each state change while waiting; false drops the wait.
  std::function<bool()> wanted = [] { return true; };
};

class Commands {
 public:
  Commands(Supervisor& sup, EventLoop& loop);
  // Pending waits are dropped without an answer.
  ~Commands();
  Commands(const Commands&) = delete;
  Commands& operator=(const Commands&) = delete;

  // --- selection rules for group and "all" operations ---
  // supervisord leaves the other processes out of a group's result list.
  static bool startable(const Process& p) { return !is_running_state(p.state()); }
  // A process held back by depends_on counts: stopping it cancels its start.
  static bool stoppable(const Process& p) {
    return is_running_state(p.state()) || !p.notes().waiting_for.empty();
  }
  static bool signallable(const Process& p) { return is_signallable_state(p.state()); }

  // False while the supervisor stops or restarts: commands are refused with ShuttingDown.
  bool accepting() const;

  // --- processes ---
  // With `wait`, answers once the process is RUNNING (or failed to get there).
  // Dependencies (depends_on) that do not meet their condition are started
  // first, recursively; the process itself waits (held, "waiting for db
  // (ready)") until they do. A held process whose dependency goes FATAL
  // answers a waiting start with Failed (and keeps waiting).
  void start(const Process& p, bool wait, Waiter w);
  // Starts several processes (start all, a group): dependencies before their
  // dependents, otherwise in table order, so that each is started by its own
  // item and not pulled up by a dependent's. Each item's waiter answers as
  // start() would.
  struct StartItem {
    const Process* process;
    Waiter waiter;
  };
  void start_together(std::vector<StartItem> items, bool wait);
  // With `wait`, answers once the process is stopped. While waiting, logs
  // "waiting for <name> to stop" every 2 s. A held process stops waiting for
  // its dependencies instead (success).
  void stop(const Process& p, bool wait, Waiter w);
  // Stops several processes (stop all, a group) in dependency order: each
  // once every process of the list that depends on it has exited;
  // independent ones at once. Each item's waiter answers as stop() would.
  struct StopItem {
    const Process* process;
    Waiter waiter;
  };
  void stop_together(std::vector<StopItem> items, bool wait);
  CommandResult signal(const Process& p, int sig);
  // Queues `data` for the process's stdin (buffered; see Process::write_stdin).
  CommandResult send_stdin(const Process& p, std::string_view data);
  CommandResult clear_logs(const Process& p);

  // --- for the layers above core (readiness, health, dependencies) ---
  // The program is ready (sd_notify READY=1, its notification fd, a probe
  // passed): ends STARTING for a process with a readiness check.
  void report_ready(const Process& p);
  // sd_notify EXTEND_TIMEOUT_USEC: a process STARTING with a readiness check
  // gets at least `seconds` from now to become ready (its ready_timeout
  // deadline moves later, never earlier). Nothing in any other state.
  void extend_ready_timeout(const Process& p, double seconds);
  // Changes what is noted about the process (ProcessNotes) and publishes a
  // Health event when its health changed.
  void annotate(const Process& p, const std::function<void(ProcessNotes&)>& change);

  // --- for core (the dependency scheduler) ---
  // The start of a held process will not happen as asked (its hold ended, a
  // dependency is FATAL): its waiting starts answer `r` now.
  void end_start_waits(const Process& p, const CommandResult& r);

  // --- configuration ---
  // Reads the configuration again and makes it the one later adds use;
  // starts and stops nothing. Returns what it would change.
  Result<ConfigDiff> reload_config();
  // Adds a group, or one process ("group:process") of a running group, from
  // the configuration last read; autostart programs start.
  CommandResult add(const std::string& name);
  // Removes a group or one process ("group:process") whose processes are all stopped.
  CommandResult remove(const std::string& name);

  // --- the supervisor ---
  void shutdown(const std::string& reason);
  void restart(const std::string& reason);
  void reopen_logs();
  // Publishes a RemoteComm event.
  void remote_comm(std::string_view type, std::string_view data);

  size_t pending_waits() const { return m_waits.size(); }

 private:
  enum class WaitFor : uint8_t { Running, Stopped };
  struct Wait {
    const Process* process;
    WaitFor what;
    Waiter waiter;
    EventBus::Subscription sub;
    EventLoop::TimerId report_timer = 0;
  };
  // Decides a wait from the process's state now; nullopt: keep waiting.
  static std::optional<CommandResult> check(const Process& p, WaitFor what);
  uint64_t wait_for(const Process& p, WaitFor what, Waiter w);
  void on_event(uint64_t id, const Event& e);
  void finish(uint64_t id, CommandResult r);
  void drop(uint64_t id);
  void stop_report(uint64_t id);

  Supervisor& m_sup;
  EventLoop& m_loop;
  std::unordered_map<uint64_t, Wait> m_waits;
  uint64_t m_next_wait = 1;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace tend
