// DependencyScheduler: depends_on at run time. It maps the process table to
// the graph of core/dependencies.h and acts on what those rules answer:
//   - holds back a process whose dependencies are not met when it would
//     autostart (start-up, restart, add, update) or is started on request,
//     with ProcessNotes::waiting_for saying what it waits for;
//   - starts held processes once their dependencies are met, all that may
//     start together, in table (priority) order;
//   - starts a requested process's stopped dependencies first;
//   - orders stops: the shutdown's stages and stop requests over several
//     processes (stop all, a group).
// A subscriber of process state, readiness and health changes, processes
// removed, groups added or removed and the supervisor's state. Its reactions
// to events are deferred to the loop (coalesced): never inside another
// process's state change, and one evaluation for a burst of events.
//
// A held process is STOPPED (or EXITED, FATAL) with a non-empty waiting_for;
// the hold ends when it starts, when it is stopped (Commands::stop), when it
// is removed, and when the supervisor stops or restarts.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/dependencies.h"
#include "core/event_bus.h"
#include "core/lifecycle.h"
#include "sys/coalesced_call.h"

namespace tend {

class Process;
class Supervisor;

class DependencyScheduler {
 public:
  explicit DependencyScheduler(Supervisor& sup);
  DependencyScheduler(const DependencyScheduler&) = delete;
  DependencyScheduler& operator=(const DependencyScheduler&) = delete;

  // `p` joined the table while the supervisor runs: it autostarts now (the
  // state machine's Added event) or, when it would autostart but its
  // dependencies are not met, it is held.
  void added(Process& p);

  // The dependency step of a requested start, for a process the state
  // machine would start (STOPPED, EXITED, FATAL). Starts the dependencies
  // that must start first (rule S3) and says what becomes of `p`.
  struct StartDecision {
    bool held = false;     // p waits for its dependencies; start it later
    std::string refusal;   // not empty: p cannot start (a name stands for no process)
  };
  StartDecision request_start(Process& p);

  // The order a start request over `set` goes (rule S5: dependencies first,
  // otherwise in table order), as positions in `set`.
  std::vector<size_t> start_order(const std::vector<const Process*>& set);

  bool held(const Process& p) const { return m_held.count(&p) != 0; }
  // An evaluation is pending: held processes may be released on the loop's
  // next deferred pass.
  bool settling() const { return m_evaluate.pending(); }
  // Ends the hold of `p` (it was stopped while waiting); false when it was
  // not held.
  bool cancel(const Process& p);

  // A stop request over `set`: returns the members whose stop must wait for
  // live dependents in the set (rule T3); the scheduler stops each of them
  // when its turn comes. The caller stops the others now.
  std::vector<const Process*> defer_stops(const std::vector<const Process*>& set);

  // The shutdown's next stage (rules T1, T2), or nullopt when nothing is live.
  std::optional<StopStage> shutdown_stage();

 private:
  struct StopRequest {
    std::vector<const Process*> members;
    std::unordered_set<const Process*> pending;
  };

  void on_event(const Event& e);
  void evaluate();
  void release_ready();
  void refresh_waiting_texts();
  void advance_stop_requests();
  void report_stuck(const Process& fatal);
  void clear_holds(const std::string& why);
  void hold(size_t i);
  void unhold(const Process& p);
  // The graph, rebuilt from the table when it changed.
  const DependencyGraph& graph();
  NodeStates states() const;
  NodeState state_of(const Process& p) const;
  std::optional<size_t> index_of(const Process& p);

  Supervisor& m_sup;
  EventBus::Subscription m_sub;
  DependencyGraph m_graph;
  std::vector<Process*> m_nodes;  // graph index -> process (valid while !m_dirty)
  std::unordered_map<const Process*, size_t> m_index;
  bool m_dirty = true;
  std::unordered_set<const Process*> m_held;
  std::vector<StopRequest> m_stop_requests;
  CoalescedCall m_evaluate;
};

}  // namespace tend
