#include "core/dependency_scheduler.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/supervisor.h"
#include "log/logger.h"

namespace tend {

namespace {

constexpr EventMask k_watched = mask_of(EventKind::ProcessState) | mask_of(EventKind::Readiness) |
                                mask_of(EventKind::Health) | mask_of(EventKind::Removed) |
                                mask_of(EventKind::GroupAdded) | mask_of(EventKind::GroupRemoved) |
                                mask_of(EventKind::SupervisorState);

std::string spec_of(const Process& p) { return p.group() == p.name() ? p.name() : p.group() + ":" + p.name(); }

}  // namespace

DependencyScheduler::DependencyScheduler(Supervisor& sup) : m_sup(sup), m_evaluate(sup.loop(), [this] { evaluate(); }) {
  m_sub = sup.bus().subscribe(k_watched, [this](const Event& e) { on_event(e); });
}

// --- the graph and the states -------------------------------------------------

const DependencyGraph& DependencyScheduler::graph() {
  if (!m_dirty) {
    return m_graph;
  }
  std::vector<DependencyNode> nodes;
  m_nodes.clear();
  m_index.clear();
  for (const auto& g : m_sup.table().groups()) {
    for (const auto& p : g->processes) {
      const ProcessConfig& c = p->config();
      nodes.push_back(DependencyNode{g->name(), c.name, c.program, g->cfg.priority, c.depends_on});
      m_index[p.get()] = m_nodes.size();
      m_nodes.push_back(p.get());
    }
  }
  m_graph = DependencyGraph(nodes);
  m_dirty = false;
  return m_graph;
}

NodeState DependencyScheduler::state_of(const Process& p) const {
  NodeState s;
  s.state = p.state();
  s.ready = p.ready();
  s.has_healthcheck = p.config().healthcheck.kind != ProbeSpec::Kind::None;
  s.healthy = p.notes().health == ProcessNotes::Health::Healthy;
  s.completed = p.exited_expected();
  s.oneshot = p.config().oneshot;
  s.held = held(p);
  return s;
}

// Valid right after graph(): m_nodes is what it was built from.
NodeStates DependencyScheduler::states() const {
  NodeStates out;
  out.reserve(m_nodes.size());
  for (const Process* p : m_nodes) {
    out.push_back(state_of(*p));
  }
  return out;
}

std::optional<size_t> DependencyScheduler::index_of(const Process& p) {
  graph();
  auto it = m_index.find(&p);
  return it == m_index.end() ? std::nullopt : std::optional(it->second);
}

// --- holding and releasing ----------------------------------------------------

void DependencyScheduler::added(Process& p) {
  if (p.config().depends_on.empty() || !p.config().autostart || p.fsm().ever_started() ||
      m_sup.state() != SupervisorState::Running) {
    p.added();
    return;
  }
  if (m_index.count(&p) == 0) {
    m_dirty = true;  // a process added to a running group: no GroupAdded
  }
  std::optional<size_t> i = index_of(p);
  if (!i || unmet(m_graph, states(), *i).empty()) {
    p.added();
    return;
  }
  hold(*i);
}

void DependencyScheduler::hold(size_t i) {
  Process& p = *m_nodes[i];
  std::string text = waiting_text(m_graph, states(), i);
  bool fresh = m_held.insert(&p).second;
  m_sup.commands().annotate(p, [&](ProcessNotes& n) { n.waiting_for = text; });
  if (fresh) {
    main_logger().info("{} waits for {}", spec_of(p), text);
  }
}

void DependencyScheduler::unhold(const Process& p) {
  if (m_held.erase(&p) != 0) {
    m_sup.commands().annotate(p, [](ProcessNotes& n) { n.waiting_for.clear(); });
  }
}

bool DependencyScheduler::cancel(const Process& p) {
  if (!held(p)) {
    return false;
  }
  unhold(p);
  main_logger().info("{} no longer waits for its dependencies: stopped", spec_of(p));
  m_sup.commands().end_start_waits(p, CommandResult::refused(Refusal::AbnormalTermination));
  return true;
}

DependencyScheduler::StartDecision DependencyScheduler::request_start(Process& p) {
  std::optional<size_t> target = index_of(p);
  if (!target || m_graph.requirements(*target).empty()) {
    return {};
  }
  if (std::string missing = missing_text(m_graph, *target); !missing.empty()) {
    return {false, fmt::format("{} depends on {}, which names no process", spec_of(p), missing)};
  }
  for (size_t i : start_plan(m_graph, states(), *target)) {
    Process& q = *m_nodes[i];
    if (!unmet(m_graph, states(), i).empty()) {
      hold(i);
      continue;
    }
    if (i == *target) {
      unhold(q);
      return {};  // the caller starts it, with its own answer
    }
    unhold(q);
    main_logger().info("starting {}: {} depends on it", spec_of(q), spec_of(p));
    (void)q.start();
  }
  return {true, {}};
}

std::vector<size_t> DependencyScheduler::start_order(const std::vector<const Process*>& set) {
  graph();
  std::vector<size_t> out;
  std::vector<size_t> nodes;
  std::unordered_map<size_t, size_t> position;  // graph index -> position in set
  for (size_t k = 0; k < set.size(); ++k) {
    auto it = m_index.find(set[k]);
    if (it == m_index.end() || !position.emplace(it->second, k).second) {
      out.push_back(k);  // not in the table (its start answers BadName), or listed twice
      continue;
    }
    nodes.push_back(it->second);
  }
  // Table order among equals; the positions come back through `position`.
  std::sort(nodes.begin(), nodes.end());
  for (size_t i : tend::start_order(m_graph, nodes)) {
    out.push_back(position.at(i));
  }
  return out;
}

void DependencyScheduler::release_ready() {
  // Each round starts every held process whose dependencies are met; a start
  // can meet another's condition at once (started, or startsecs=0), hence
  // the rounds. Each round releases at least one hold, so they end.
  while (!m_held.empty()) {
    std::vector<size_t> ready = releasable(graph(), states());
    if (ready.empty()) {
      return;
    }
    for (size_t i : ready) {
      Process& p = *m_nodes[i];
      unhold(p);
      if (!p.fsm().accepts_start()) {
        continue;
      }
      main_logger().info("starting {}: its dependencies are met", spec_of(p));
      (void)p.start();
    }
  }
}

void DependencyScheduler::refresh_waiting_texts() {
  if (m_held.empty()) {
    return;
  }
  graph();
  NodeStates s = states();
  for (size_t i = 0; i < m_nodes.size(); ++i) {
    if (s[i].held) {
      std::string text = waiting_text(m_graph, s, i);
      if (text != m_nodes[i]->notes().waiting_for) {
        m_sup.commands().annotate(*m_nodes[i], [&](ProcessNotes& n) { n.waiting_for = text; });
      }
    }
  }
}

void DependencyScheduler::report_stuck(const Process& fatal) {
  std::optional<size_t> f = index_of(fatal);
  if (!f) {
    return;
  }
  std::vector<std::string> names;
  for (size_t i : stuck_on(m_graph, states(), *f)) {
    const Process& p = *m_nodes[i];
    names.push_back(spec_of(p));
    m_sup.commands().end_start_waits(
        p, CommandResult::refused(Refusal::Failed, fmt::format("{} waits for {}, which is FATAL", spec_of(p),
                                                               spec_of(fatal))));
  }
  if (!names.empty()) {
    main_logger().warn("{} is FATAL: {} keep{} waiting for it", spec_of(fatal), fmt::join(names, ", "),
                       names.size() == 1 ? "s" : "");
  }
}

void DependencyScheduler::clear_holds(const std::string& why) {
  std::vector<const Process*> held(m_held.begin(), m_held.end());
  for (const Process* p : held) {
    unhold(*p);
    main_logger().info("{} no longer waits for its dependencies: {}", spec_of(*p), why);
    m_sup.commands().end_start_waits(*p, CommandResult::refused(Refusal::AbnormalTermination));
  }
  m_stop_requests.clear();
}

// --- stops --------------------------------------------------------------------------

std::vector<const Process*> DependencyScheduler::defer_stops(const std::vector<const Process*>& set) {
  const DependencyGraph& g = graph();
  NodeStates s = states();
  std::vector<size_t> members;
  std::vector<size_t> live;
  for (const Process* p : set) {
    if (auto it = m_index.find(p); it != m_index.end()) {
      members.push_back(it->second);
      if (is_live(s[it->second])) {
        live.push_back(it->second);
      }
    }
  }
  std::vector<size_t> now = stop_ready(g, s, members, live);
  StopRequest r;
  for (size_t i : live) {
    if (!std::binary_search(now.begin(), now.end(), i)) {
      r.pending.insert(m_nodes[i]);
    }
  }
  std::vector<const Process*> deferred(r.pending.begin(), r.pending.end());
  if (!r.pending.empty()) {
    for (size_t i : members) {
      r.members.push_back(m_nodes[i]);
    }
    m_stop_requests.push_back(std::move(r));
  }
  return deferred;
}

void DependencyScheduler::advance_stop_requests() {
  const DependencyGraph& g = graph();
  NodeStates s = states();
  std::vector<Process*> now;
  for (StopRequest& r : m_stop_requests) {
    std::vector<size_t> members;
    std::vector<size_t> pending;
    for (const Process* p : r.members) {
      size_t i = m_index.at(p);
      members.push_back(i);
      if (r.pending.count(p) != 0) {
        pending.push_back(i);
      }
    }
    for (size_t i : stop_ready(g, s, members, pending)) {
      r.pending.erase(m_nodes[i]);
      now.push_back(m_nodes[i]);
    }
  }
  std::erase_if(m_stop_requests, [](const StopRequest& r) { return r.pending.empty(); });
  // Stopped after the bookkeeping: a stop publishes state changes, and their
  // subscribers may change what this class holds.
  for (Process* p : now) {
    if (m_sup.table().contains(p)) {
      (void)p->stop();  // also cancels a BACKOFF or a waiting restart; a stopped one refuses
    }
  }
}

std::optional<StopStage> DependencyScheduler::shutdown_stage() {
  const DependencyGraph& g = graph();
  std::optional<StopStageNodes> nodes = tend::shutdown_stage(g, states());
  if (!nodes) {
    return std::nullopt;
  }
  StopStage stage{nodes->priority, {}};
  for (size_t i : nodes->members) {
    stage.members.push_back(m_nodes[i]);
  }
  return stage;
}

// --- events -------------------------------------------------------------------------

void DependencyScheduler::on_event(const Event& e) {
  switch (kind_of(e)) {
    case EventKind::GroupAdded:
    case EventKind::GroupRemoved:
      m_dirty = true;
      break;
    case EventKind::Removed: {
      const Process* p = std::get<ProcessRemoved>(e).process;
      m_dirty = true;
      m_held.erase(p);
      for (StopRequest& r : m_stop_requests) {
        r.pending.erase(p);
        std::erase(r.members, p);
      }
      break;
    }
    case EventKind::SupervisorState: {
      const SupervisorStateChanged& c = std::get<SupervisorStateChanged>(e);
      if (c.to == SupervisorState::Stopping || c.to == SupervisorState::Restarting) {
        clear_holds(c.to == SupervisorState::Stopping ? "shutting down" : "restarting");
      }
      return;
    }
    case EventKind::ProcessState: {
      const ProcessStateChanged& c = std::get<ProcessStateChanged>(e);
      if (c.to == ProcessState::Fatal && !m_held.empty()) {
        report_stuck(*c.process);
      }
      break;
    }
    default:
      break;
  }
  if (!m_held.empty() || !m_stop_requests.empty()) {
    m_evaluate.request();
  }
}

void DependencyScheduler::evaluate() {
  if (m_sup.state() != SupervisorState::Running) {
    return;
  }
  release_ready();
  refresh_waiting_texts();
  advance_stop_requests();
}

}  // namespace tend
