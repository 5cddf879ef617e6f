#include "core/dependencies.h"

#include <algorithm>
#include <climits>
#include <iterator>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

namespace tend {

bool is_live(const NodeState& s) { return !is_stopped_state(s.state); }

bool condition_met(Dependency::Condition c, const NodeState& s) {
  if (s.oneshot && c != Dependency::Condition::Started) {
    // What a one-shot program is for is done once it has completed.
    return s.state == ProcessState::Exited && s.completed;
  }
  bool ready = s.state == ProcessState::Running && s.ready;
  switch (c) {
    case Dependency::Condition::Started:
      return s.state == ProcessState::Starting || s.state == ProcessState::Running ||
             s.state == ProcessState::Backoff || s.state == ProcessState::Stopping ||
             s.state == ProcessState::Exited;
    case Dependency::Condition::Ready:
      return ready;
    case Dependency::Condition::Healthy:
      return ready && (!s.has_healthcheck || s.healthy);
    case Dependency::Condition::Completed:
      return s.state == ProcessState::Exited && s.completed;
  }
  return false;
}

DependencyGraph::DependencyGraph(const std::vector<DependencyNode>& nodes)
    : m_requirements(nodes.size()), m_dependents(nodes.size()) {
  // The loader's rule (config/dependencies.h): a name is a program's, all of
  // its processes; only when no program has it, a group's.
  std::unordered_map<std::string, std::vector<size_t>> by_program;
  std::unordered_map<std::string, std::vector<size_t>> by_group;
  m_priority.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    m_priority.push_back(nodes[i].priority);
    by_program[nodes[i].program].push_back(i);
    by_group[nodes[i].group].push_back(i);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const Dependency& d : nodes[i].depends_on) {
      const std::vector<size_t>* stands_for = nullptr;
      if (auto it = by_program.find(d.name); it != by_program.end()) {
        stands_for = &it->second;
      } else if (auto git = by_group.find(d.name); git != by_group.end()) {
        stands_for = &git->second;
      }
      Requirement r{d, {}};
      if (stands_for != nullptr) {
        std::copy_if(stands_for->begin(), stands_for->end(), std::back_inserter(r.targets),
                     [i](size_t t) { return t != i; });
        // A name that stood only for the node itself goes with its self-edge;
        // a name that stands for nothing stays, and is never met.
        if (r.targets.empty()) {
          continue;
        }
      }
      for (size_t t : r.targets) {
        m_dependents[t].push_back(i);
      }
      m_requirements[i].push_back(std::move(r));
    }
  }
  // Several requirements may name the same target: keep each dependent once.
  for (std::vector<size_t>& back : m_dependents) {
    std::sort(back.begin(), back.end());
    back.erase(std::unique(back.begin(), back.end()), back.end());
  }
}

namespace {

bool requirement_met(const DependencyGraph::Requirement& r, const NodeStates& s) {
  if (r.targets.empty()) {
    return false;
  }
  return std::all_of(r.targets.begin(), r.targets.end(),
                     [&](size_t t) { return condition_met(r.dep.condition, s[t]); });
}

bool startable_state(ProcessState st) {
  return st == ProcessState::Stopped || st == ProcessState::Exited || st == ProcessState::Fatal;
}

}  // namespace

std::vector<const DependencyGraph::Requirement*> unmet(const DependencyGraph& g, const NodeStates& s, size_t i) {
  std::vector<const DependencyGraph::Requirement*> out;
  for (const DependencyGraph::Requirement& r : g.requirements(i)) {
    if (!requirement_met(r, s)) {
      out.push_back(&r);
    }
  }
  return out;
}

std::string waiting_text(const DependencyGraph& g, const NodeStates& s, size_t i) {
  std::vector<std::string> parts;
  for (const DependencyGraph::Requirement* r : unmet(g, s, i)) {
    parts.push_back(fmt::format("{} ({})", r->dep.name, condition_name(r->dep.condition)));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string missing_text(const DependencyGraph& g, size_t i) {
  std::vector<std::string> names;
  for (const DependencyGraph::Requirement& r : g.requirements(i)) {
    if (r.targets.empty()) {
      names.push_back(r.dep.name);
    }
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

std::vector<size_t> releasable(const DependencyGraph& g, const NodeStates& s) {
  std::vector<size_t> out;
  for (size_t i = 0; i < g.size(); ++i) {
    if (s[i].held && unmet(g, s, i).empty()) {
      out.push_back(i);
    }
  }
  return out;
}

std::vector<size_t> start_plan(const DependencyGraph& g, const NodeStates& s, size_t target) {
  // Depth first, dependencies before dependents; `seen` makes a cycle end
  // the walk instead of looping (the nodes on it are then held).
  std::vector<size_t> order;
  std::vector<bool> seen(g.size(), false);
  struct Frame {
    size_t node;
    size_t next_req = 0;
    size_t next_target = 0;
  };
  std::vector<Frame> stack{{target}};
  seen[target] = true;
  while (!stack.empty()) {
    Frame& f = stack.back();
    const std::vector<DependencyGraph::Requirement>& reqs = g.requirements(f.node);
    if (f.next_req == reqs.size()) {
      order.push_back(f.node);
      stack.pop_back();
      continue;
    }
    const DependencyGraph::Requirement& r = reqs[f.next_req];
    if (f.next_target == r.targets.size()) {
      ++f.next_req;
      f.next_target = 0;
      continue;
    }
    size_t t = r.targets[f.next_target++];
    bool wanted = !condition_met(r.dep.condition, s[t]) && (startable_state(s[t].state) || s[t].held);
    if (wanted && !seen[t]) {
      seen[t] = true;
      stack.push_back(Frame{t});
    }
  }
  return order;
}

std::vector<size_t> start_order(const DependencyGraph& g, const std::vector<size_t>& subset) {
  // Kahn's algorithm over the edges inside `subset`, smallest index first.
  std::vector<bool> in_subset(g.size(), false);
  for (size_t i : subset) {
    in_subset[i] = true;
  }
  std::vector<size_t> waiting_on(g.size(), 0);  // dependencies in the subset not yet emitted
  for (size_t i : subset) {
    std::vector<size_t> deps;
    for (const DependencyGraph::Requirement& r : g.requirements(i)) {
      for (size_t t : r.targets) {
        if (in_subset[t]) {
          deps.push_back(t);
        }
      }
    }
    std::sort(deps.begin(), deps.end());
    waiting_on[i] = static_cast<size_t>(std::unique(deps.begin(), deps.end()) - deps.begin());
  }
  std::set<size_t> free;
  std::set<size_t> left(subset.begin(), subset.end());
  for (size_t i : left) {
    if (waiting_on[i] == 0) {
      free.insert(i);
    }
  }
  std::vector<size_t> order;
  while (!left.empty()) {
    // A cycle leaves nothing free: take the first node left and go on.
    size_t next = free.empty() ? *left.begin() : *free.begin();
    free.erase(next);
    left.erase(next);
    order.push_back(next);
    for (size_t d : g.dependents(next)) {
      if (left.count(d) != 0 && waiting_on[d] > 0 && --waiting_on[d] == 0) {
        free.insert(d);
      }
    }
  }
  return order;
}

std::vector<size_t> stuck_on(const DependencyGraph& g, const NodeStates& s, size_t fatal) {
  std::vector<size_t> out;
  for (size_t i : g.dependents(fatal)) {
    if (!s[i].held) {
      continue;
    }
    for (const DependencyGraph::Requirement* r : unmet(g, s, i)) {
      if (std::find(r->targets.begin(), r->targets.end(), fatal) != r->targets.end()) {
        out.push_back(i);
        break;
      }
    }
  }
  return out;
}

namespace {

bool has_live_dependent(const DependencyGraph& g, const NodeStates& s, size_t i) {
  const std::vector<size_t>& deps = g.dependents(i);
  return std::any_of(deps.begin(), deps.end(), [&](size_t d) { return is_live(s[d]); });
}

// The members of `among` with the highest priority.
StopStageNodes highest(const DependencyGraph& g, const std::vector<size_t>& among) {
  StopStageNodes stage{INT_MIN, {}};
  for (size_t i : among) {
    stage.priority = std::max(stage.priority, g.priority(i));
  }
  for (size_t i : among) {
    if (g.priority(i) == stage.priority) {
      stage.members.push_back(i);
    }
  }
  return stage;
}

}  // namespace

std::optional<StopStageNodes> shutdown_stage(const DependencyGraph& g, const NodeStates& s) {
  std::vector<size_t> live;
  std::vector<size_t> candidates;
  for (size_t i = 0; i < g.size(); ++i) {
    if (!is_live(s[i])) {
      continue;
    }
    live.push_back(i);
    if (!has_live_dependent(g, s, i)) {
      candidates.push_back(i);
    }
  }
  if (live.empty()) {
    return std::nullopt;
  }
  return highest(g, candidates.empty() ? live : candidates);  // T2: a cycle
}

StopEstimate worst_case_shutdown(const DependencyGraph& g, const std::vector<double>& stop_seconds) {
  NodeStates s(g.size());
  for (NodeState& n : s) {
    n.state = ProcessState::Running;
  }
  std::vector<double> down_at(g.size(), 0);
  StopEstimate e;
  // Each round signals the stage's new members, then moves to the next
  // moment one of the stopping ones is down: at least one process goes down
  // per round, so the rounds end.
  while (std::optional<StopStageNodes> stage = shutdown_stage(g, s)) {
    bool signalled = false;
    for (size_t i : stage->members) {
      if (s[i].state == ProcessState::Running) {
        s[i].state = ProcessState::Stopping;
        down_at[i] = e.seconds + stop_seconds[i];
        signalled = true;
      }
    }
    e.stages += signalled ? 1 : 0;
    double next = -1;
    for (size_t i = 0; i < g.size(); ++i) {
      if (s[i].state == ProcessState::Stopping && (next < 0 || down_at[i] < next)) {
        next = down_at[i];
      }
    }
    e.seconds = std::max(e.seconds, next);
    for (size_t i = 0; i < g.size(); ++i) {
      if (s[i].state == ProcessState::Stopping && down_at[i] <= e.seconds) {
        s[i].state = ProcessState::Stopped;
      }
    }
  }
  return e;
}

std::vector<size_t> stop_ready(const DependencyGraph& g, const NodeStates& s, const std::vector<size_t>& set,
                               const std::vector<size_t>& pending) {
  std::vector<bool> in_set(g.size(), false);
  for (size_t i : set) {
    in_set[i] = true;
  }
  std::vector<size_t> ready;
  for (size_t i : pending) {
    const std::vector<size_t>& deps = g.dependents(i);
    bool blocked = std::any_of(deps.begin(), deps.end(), [&](size_t d) { return in_set[d] && is_live(s[d]); });
    if (!blocked) {
      ready.push_back(i);
    }
  }
  if (ready.empty() && !pending.empty()) {
    std::vector<bool> is_pending(g.size(), false);
    for (size_t i : pending) {
      is_pending[i] = true;
    }
    bool all_live_pending =
        std::all_of(set.begin(), set.end(), [&](size_t i) { return !is_live(s[i]) || is_pending[i]; });
    if (all_live_pending) {
      ready = pending;  // a cycle: nothing else will go down first
    }
  }
  std::sort(ready.begin(), ready.end());
  return ready;
}

}  // namespace tend
