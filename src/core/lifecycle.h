// Lifecycle: the supervisor's own state machine, as a table (lifecycle.cc).
//
//   Running --shutdown--> Stopping --all programs down--> Sweeping --grace--> Killing
//      |                     ^                               |                  |
//      +--restart--> Restarting --all down--> Running        +---no children----+--> Done
//
// Stopping and Restarting stop programs by stages: a stage is what may stop
// now, which the hooks decide (the rule is in core/dependencies.h: T1, T2): by
// descending priority, every group of one priority at once, and a program
// only once every program that depends on it has exited. Each ProcessDown
// asks for the stage again; asking a stopping process to stop does nothing.
// Sweeping is the tree stop of whatever descends from tend once every program
// is down (forked children, setsid daemons, orphans); Killing is its SIGKILL
// phase. Pure: no syscalls, no loop; what it decides it asks of its Hooks.
#pragma once

#include <optional>
#include <vector>

#include "core/events.h"

namespace tend {

// One step of a staged stop: the processes that may be stopped now, all of
// one priority.
struct StopStage {
  int priority = 0;
  std::vector<const Process*> members;
};

enum class LifecycleEvent : uint8_t { Shutdown, Restart, ProcessDown, SweepKilling, SweepDone };
constexpr int k_lifecycle_events = 5;
constexpr int k_supervisor_states = 6;

class Lifecycle {
 public:
  class Hooks {
   public:
    virtual ~Hooks() = default;
    // What may be stopped now, or nullopt when every process is stopped.
    virtual std::optional<StopStage> live_stage() = 0;
    // Stop (for shutdown) every process of the stage.
    virtual void stop_stage(const StopStage& stage) = 0;
    // Restarting and everything is down: drop the processes, load the new
    // configuration, start it.
    virtual void restart_now() = 0;
    // Every program is down: stop the rest of the process tree.
    virtual void begin_sweep() = 0;
    // Nothing is left: end.
    virtual void finish() = 0;
    // After every change of state().
    virtual void entered(SupervisorState from, SupervisorState to) = 0;
  };

  explicit Lifecycle(Hooks& hooks) : m_hooks(hooks) {}

  SupervisorState state() const { return m_state; }
  // True while programs are supervised normally.
  bool running() const { return m_state == SupervisorState::Running; }

  // Returns false when the event means nothing in the current state.
  bool handle(LifecycleEvent e);

 private:
  using Action = bool (Lifecycle::*)();
  static const Action k_table[k_supervisor_states][k_lifecycle_events];

  bool ignore() { return false; }
  bool begin_stopping();
  bool begin_restarting();
  bool advance();
  bool escalate();
  bool end();

  void enter(SupervisorState to);

  Hooks& m_hooks;
  SupervisorState m_state = SupervisorState::Running;
};

}  // namespace tend
