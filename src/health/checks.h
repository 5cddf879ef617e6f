// Checks: readiness, watchdog and health checks of every program, as one
// subscriber of the supervisor's event bus (beside the listener pools) and
// one spawn hook. It changes processes only through Commands.
//
// A run is one spawn of a program, from STARTING until the process is gone.
// How a run becomes ready (ready = ...):
//   ProcessStateChanged STARTING --> a Run for this spawn
//   --> spawn hook: NOTIFY_SOCKET=@... (notify) or the pipe's write end as the
//       child's fd N (fd:N)                 | or a ProbeLoop (tcp, http, exec, file)
//   --> READY=1 from the program or one of  | or the first passing attempt
//       its descendants, or a newline on N  |
//   --> Commands::report_ready (deferred to the loop) --> ProcessFsm Ready:
//       RUNNING, then ProcessReadiness(ready) on the bus
//   --> watchdog (notify + watchdog_sec) and the health check start.
// Not ready within ready_timeout: the state machine fails the start and logs
// it; Checks adds the check and its last failure to the log.
//
// After ready: a watchdog (no WATCHDOG=1 for watchdog_sec: restart) and the
// health check (at once, then every healthcheck_interval; failures within
// healthcheck_start_period do not count until one passes;
// healthcheck_retries consecutive failures: Unhealthy and the
// healthcheck_action). Both stop when the run leaves RUNNING. ProcessNotes
// (status, health, health_detail) are reset when a new run starts.
//
// Contract: Checks never changes a process from inside a bus delivery, a
// probe's callback or a socket's: report_ready and the actions (stop, start,
// shutdown) run from EventLoop::defer, and only if the run they were decided
// for is still the current one.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "core/supervisor.h"
#include "health/health_tracker.h"
#include "health/notification_pipe.h"
#include "health/notify_socket.h"
#include "health/probe_loop.h"
#include "health/s6_service_dir.h"
#include "health/sender.h"

namespace tend::health {

class Checks {
 public:
  struct Options {
    // nullptr: a LoopProber on the supervisor's loop, its exec children
    // reaped through Supervisor::watch_child.
    Prober* prober = nullptr;
    // Empty: read from /proc.
    ParentOf parent_of;
  };
  explicit Checks(Supervisor& sup, Options opts);
  explicit Checks(Supervisor& sup) : Checks(sup, Options{}) {}
  ~Checks();
  Checks(const Checks&) = delete;
  Checks& operator=(const Checks&) = delete;

  // For tests: the NOTIFY_SOCKET of the process's current run ("" if none).
  std::string notify_address(const Process& p) const;
  // For tests: live runs (spawned and not yet gone).
  size_t run_count() const { return m_runs.size(); }

 private:
  struct Run;

  void on_event(const Event& e);
  void on_state(const ProcessStateChanged& e);
  void on_ready(const Process* p);
  void prepare_spawn(const Process& p, SpawnSpec& spec);

  void begin_run(const Process* p);
  Run* current(const Process* p, uint64_t run_id);
  // Stops everything but the readiness channel (a notify socket stays open
  // while the process stops: STATUS= and STOPPING=1 still count).
  void quiet(Run& run);
  void end_run(const Process* p);

  void open_notify(Run& run, SpawnSpec& spec);
  void open_pipe(Run& run, SpawnSpec& spec);
  void after_spawn(const Process* p, uint64_t run_id);
  void on_datagram(const Process* p, uint64_t run_id, const NotifySocket::Datagram& d);
  void ready_probe_result(const Process* p, uint64_t run_id, const ProbeResult& r);
  void health_result(const Process* p, uint64_t run_id, const ProbeResult& r);
  // The run's program is ready: report it once, from the loop.
  void mark_ready(Run& run);
  void log_not_ready(const Run& run);

  void arm_watchdog(Run& run);
  void watchdog_expired(const Process* p, uint64_t run_id, const std::string& why);
  enum class Action { Restart, Stop, Shutdown };
  void act_later(const Process* p, uint64_t run_id, Action action, std::string reason);
  void act(const Process* p, Action action, const std::string& reason);

  ProbeContext context_of(const Process& p);
  void s6_announce(const Process* p, char event) const;

  Supervisor& m_sup;
  EventLoop& m_loop;
  std::unique_ptr<Prober> m_own_prober;
  Prober* m_prober;
  ParentOf m_parent_of;
  EventBus::Subscription m_sub;
  uint64_t m_hook = 0;
  uint64_t m_next_run = 1;
  std::unordered_map<const Process*, std::unique_ptr<Run>> m_runs;
  // Service directories claimed for fd:N programs (s6_service_dir.h), for as
  // long as the process exists; nullptr: checked, not one.
  std::unordered_map<const Process*, std::unique_ptr<S6ServiceDir>> m_s6;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace tend::health
