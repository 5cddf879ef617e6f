// Dependencies (depends_on=): the rules of start and stop order, as pure
// functions of the dependency graph and of the processes' current states.
// No Process, no loop, no clock: core/dependency_scheduler.h builds the graph
// from the process table, feeds these functions and acts on their answers.
//
// The graph has one node per process, in the process table's order (groups by
// priority, then processes by priority and name), so "table order" below is
// priority order. A depends_on name stands for every process of the program
// of that name (numprocs=N, whatever its group), or, when no program has the
// name, every process of the group of that name: the loader's rule
// (config/dependencies.h), applied to what runs. A name that stands for no
// process is never met: the dependent waits until one is added. An edge from
// a process to itself is dropped. Cycles are configuration errors (config/);
// here they only make the processes on them wait, and nothing loops.
//
// Conditions (condition_met), for each process a name stands for:
//   started    spawned in this run and neither stopped nor given up:
//              STARTING, RUNNING, BACKOFF, STOPPING or EXITED
//   ready      RUNNING and ready (with a readiness check, once it passed;
//              without one, as soon as RUNNING)
//   healthy    ready, and its health check passed; without a health check,
//              the same as ready
//   completed  EXITED with an exit code in its exitcodes
// FATAL, STOPPED and UNKNOWN meet none of them.
//
// Start rules:
//   S1 a process may start when every condition of every dependency holds
//      (unmet() is empty);
//   S2 held processes whose dependencies are met are released together, in
//      table order (releasable());
//   S3 a requested start (startProcess) first starts, recursively, the
//      dependencies that do not meet their condition and are stopped
//      (STOPPED, EXITED, FATAL) or held; dependencies come before their
//      dependents (start_plan());
//   S4 a held process whose unmet dependency is FATAL keeps waiting
//      (stuck_on() names them, so that it is said once);
//   S5 a start request over several processes (start all, a group) takes
//      them dependencies first, otherwise in table order (start_order()),
//      so that each is started by its own request, not pulled up by a
//      dependent's.
//
// Stop rules ("live": not STOPPED, EXITED, FATAL or UNKNOWN):
//   T1 shutdown and restart go by stages (shutdown_stage()): the candidates
//      are the live processes that no live process depends on; the stage is
//      the candidates of the highest priority. Without dependencies this is
//      supervisord's order (descending priority, one priority at a time); a
//      process waits for its dependents whatever the priorities say, and
//      independent processes of one priority stop in parallel.
//   T2 if processes are live but none is a candidate (a cycle), the stage is
//      every live process of the highest priority.
//   T3 a stop request for a set of processes (stop all, a group) stops a
//      pending member once no live member of the set depends on it
//      (stop_ready()); dependents outside the set are not waited for. If no
//      pending member may stop and every live member is pending (a cycle),
//      every pending member stops.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/dependencies.h"
#include "config/model.h"
#include "core/process_state.h"

namespace tend {

// One process as the graph sees it.
struct DependencyNode {
  std::string group;
  std::string name;
  std::string program;  // the section's program name
  int priority = 999;   // the group's: what the staged stop orders by
  std::vector<Dependency> depends_on;
};

// What the rules need to know about a process now.
struct NodeState {
  ProcessState state = ProcessState::Stopped;
  bool ready = false;            // the state machine's ready()
  bool has_healthcheck = false;  // healthcheck= is set
  bool healthy = false;          // its last verdict was healthy
  bool completed = false;        // EXITED with an expected exit code
  bool held = false;             // waiting for its dependencies to start
  bool oneshot = false;          // a one-shot program: ready (and healthy) once completed
};

bool condition_met(Dependency::Condition c, const NodeState& s);
// Not STOPPED, EXITED, FATAL or UNKNOWN: there is (or will be, soon) a pid.
bool is_live(const NodeState& s);

class DependencyGraph {
 public:
  // One depends_on entry, resolved.
  struct Requirement {
    Dependency dep;               // as configured
    std::vector<size_t> targets;  // the processes it stands for, never the node itself
  };

  DependencyGraph() = default;
  explicit DependencyGraph(const std::vector<DependencyNode>& nodes);

  size_t size() const { return m_priority.size(); }
  int priority(size_t i) const { return m_priority[i]; }
  const std::vector<Requirement>& requirements(size_t i) const { return m_requirements[i]; }
  // The nodes with a requirement that stands for i (each once).
  const std::vector<size_t>& dependents(size_t i) const { return m_dependents[i]; }

 private:
  std::vector<int> m_priority;
  std::vector<std::vector<Requirement>> m_requirements;
  std::vector<std::vector<size_t>> m_dependents;
};

using NodeStates = std::vector<NodeState>;

// The requirements of i that do not hold now (S1), in configured order.
std::vector<const DependencyGraph::Requirement*> unmet(const DependencyGraph& g, const NodeStates& s, size_t i);
// What i waits for, as shown to people: "db (ready), cache (started)"; "" when nothing.
std::string waiting_text(const DependencyGraph& g, const NodeStates& s, size_t i);
// The requirements of i that stand for no process, by name ("" when none).
std::string missing_text(const DependencyGraph& g, size_t i);

// S2: the held nodes whose dependencies are all met, in table order.
std::vector<size_t> releasable(const DependencyGraph& g, const NodeStates& s);
// S3: the nodes to start (or hold) for a requested start of `target`, each
// after its own dependencies; `target` is last.
std::vector<size_t> start_plan(const DependencyGraph& g, const NodeStates& s, size_t target);
// S5: `subset` reordered: each node after the members of `subset` it depends
// on, otherwise in table order; the nodes of a cycle in table order.
std::vector<size_t> start_order(const DependencyGraph& g, const std::vector<size_t>& subset);
// S4: the held nodes that wait for `fatal` (one of their unmet requirements stands for it).
std::vector<size_t> stuck_on(const DependencyGraph& g, const NodeStates& s, size_t fatal);

// T1/T2: what shutdown stops next; nullopt once nothing is live.
struct StopStageNodes {
  int priority = 0;
  std::vector<size_t> members;  // table order
};
std::optional<StopStageNodes> shutdown_stage(const DependencyGraph& g, const NodeStates& s);
// The shutdown's worst case when every process takes its whole stop time
// (`stop_seconds[i]`: its stopwaitsecs): T1/T2 played out from everything
// live. Without dependencies, the sum over priorities of each one's slowest;
// with them, a chain adds up along the chain.
struct StopEstimate {
  double seconds = 0;
  size_t stages = 0;  // the times a stage was signalled
};
StopEstimate worst_case_shutdown(const DependencyGraph& g, const std::vector<double>& stop_seconds);
// T3: the members of `pending` that may be stopped now, for a stop request
// over `set` (pending is part of set), in table order.
std::vector<size_t> stop_ready(const DependencyGraph& g, const NodeStates& s, const std::vector<size_t>& set,
                               const std::vector<size_t>& pending);

}  // namespace tend
