#include "core/process_table.h"

#include <algorithm>

#include "log/logger.h"

namespace tend {

Group::~Group() {
  processes.clear();
  if (socket) {
    main_logger().info("Closing socket {}", socket->url());
    socket.reset();
  }
}

ProcessTable::~ProcessTable() {
  // Quietly: whoever subscribed may already be gone at this point.
  m_groups.clear();
}

std::string ProcessTable::key(std::string_view group, std::string_view name) {
  std::string k;
  k.reserve(group.size() + 1 + name.size());
  k.append(group).append(1, ':').append(name);
  return k;
}

const Group* ProcessTable::find_group(std::string_view name) const {
  for (const auto& g : m_groups) {
    if (g->name() == name) {
      return g.get();
    }
  }
  return nullptr;
}

GroupConfig ProcessTable::configured(const Group& g) const {
  GroupConfig c = g.cfg;
  c.processes.reserve(g.processes.size());
  for (const auto& p : g.processes) {
    c.processes.push_back(p->configured());
  }
  return c;
}

Group* ProcessTable::mutable_group(std::string_view name) { return const_cast<Group*>(find_group(name)); }

const Process* ProcessTable::find(std::string_view group, std::string_view name) const {
  auto it = m_by_name.find(key(group, name));
  return it == m_by_name.end() ? nullptr : it->second;
}

Process* ProcessTable::by_pid(pid_t pid) const {
  auto it = m_by_pid.find(pid);
  return it == m_by_pid.end() ? nullptr : it->second;
}

Group& ProcessTable::add_group(GroupConfig cfg) {
  auto g = std::make_unique<Group>();
  g->cfg = std::move(cfg);
  g->cfg.processes.clear();  // the processes' configs live in their Process
  auto pos = std::upper_bound(m_groups.begin(), m_groups.end(), g, [](const auto& a, const auto& b) {
    return a->cfg.priority != b->cfg.priority ? a->cfg.priority < b->cfg.priority : a->name() < b->name();
  });
  return **m_groups.insert(pos, std::move(g));
}

Process& ProcessTable::add_process(Group& g, std::unique_ptr<Process> p) {
  Process* raw = p.get();
  auto pos = std::upper_bound(g.processes.begin(), g.processes.end(), p, [](const auto& a, const auto& b) {
    const ProcessConfig& x = a->config();
    const ProcessConfig& y = b->config();
    return x.priority != y.priority ? x.priority < y.priority : x.name < y.name;
  });
  g.processes.insert(pos, std::move(p));
  m_by_name[key(g.name(), raw->name())] = raw;
  m_all.insert(raw);
  return *raw;
}

void ProcessTable::forget(const Process* p) {
  m_bus.publish(ProcessRemoved{p});
  m_all.erase(p);
  m_by_name.erase(key(p->group(), p->name()));
  std::erase_if(m_by_pid, [p](const auto& kv) { return kv.second == p; });
}

void ProcessTable::remove_process(Group& g, const Process* p) {
  auto it = std::find_if(g.processes.begin(), g.processes.end(), [p](const auto& q) { return q.get() == p; });
  if (it == g.processes.end()) {
    return;
  }
  forget(p);
  g.processes.erase(it);
}

void ProcessTable::remove_group(std::string_view name) {
  auto it = std::find_if(m_groups.begin(), m_groups.end(), [name](const auto& g) { return g->name() == name; });
  if (it == m_groups.end()) {
    return;
  }
  std::unique_ptr<Group> g = std::move(*it);
  m_groups.erase(it);
  for (const auto& p : g->processes) {
    forget(p.get());
  }
  std::string gone = g->name();
  g.reset();
  m_bus.publish(GroupRemoved{gone});
}

void ProcessTable::clear() {
  while (!m_groups.empty()) {
    remove_group(std::string(m_groups.front()->name()));
  }
}

}  // namespace tend
