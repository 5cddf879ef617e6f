// ProcessTable: the running groups and their processes, indexed by name and
// by pid. The one owner of every Process. Adding and removing publish
// GroupAdded / GroupRemoved / ProcessRemoved on the bus.
//
// Read-only access (groups(), find(), contains()) is the query side of the
// core: the RPC layer, tendctl's server side and the web console read through
// it and never change a Process; changes go through core/commands.h.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/model.h"
#include "core/event_bus.h"
#include "core/process.h"
#include "sys/shared_socket.h"

namespace tend {

struct Group {
  // The group's own settings as configured; `cfg.processes` is empty: each
  // Process holds its configuration (ProcessTable::configured() puts the
  // whole group together when an update compares it).
  GroupConfig cfg;
  // [fcgi-program:x]: the socket each process gets as fd 0. It lives exactly
  // as long as the group, so a restart of the processes keeps it (clients
  // queue in its backlog meanwhile); supervisord instead closes it whenever
  // no process of the group runs and binds it again at the next spawn.
  std::optional<SharedSocket> socket;
  std::vector<std::unique_ptr<Process>> processes;  // in (priority, name) order

  Group() = default;
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  // The processes go first (they borrow the socket), then the socket, with
  // supervisord's "Closing socket <url>".
  ~Group();

  const std::string& name() const { return cfg.name; }
};

class ProcessTable {
 public:
  explicit ProcessTable(EventBus& bus) : m_bus(bus) {}
  ~ProcessTable();
  ProcessTable(const ProcessTable&) = delete;
  ProcessTable& operator=(const ProcessTable&) = delete;

  // --- queries ---
  // Sorted by (priority, name), as supervisord orders its groups.
  const std::vector<std::unique_ptr<Group>>& groups() const { return m_groups; }
  const Group* find_group(std::string_view name) const;
  const Process* find(std::string_view group, std::string_view name) const;
  // The group as configured, its processes' configurations included (built
  // on demand: each process keeps the one copy of its own).
  GroupConfig configured(const Group& g) const;
  // Whether `p` is (still) one of ours: handles held across events are checked.
  bool contains(const Process* p) const { return m_all.count(p) != 0; }
  size_t process_count() const { return m_all.size(); }
  // The process a live pid belongs to, or nullptr.
  Process* by_pid(pid_t pid) const;

  // --- changes (core only) ---
  Group* mutable_group(std::string_view name);
  Process* mutable_process(const Process* p) { return contains(p) ? const_cast<Process*>(p) : nullptr; }
  // Inserts an empty group in priority order; publishes GroupAdded once
  // `announce` is called (after its processes are in).
  Group& add_group(GroupConfig cfg);
  void announce_group(const Group& g) { m_bus.publish(GroupAdded{g.name()}); }
  // Inserts a process into `g` in (priority, name) order.
  Process& add_process(Group& g, std::unique_ptr<Process> p);
  // Destroys the group and its processes (ProcessRemoved for each, then GroupRemoved).
  void remove_group(std::string_view name);
  void remove_process(Group& g, const Process* p);
  void clear();
  void map_pid(pid_t pid, Process* p) { m_by_pid[pid] = p; }
  void unmap_pid(pid_t pid) { m_by_pid.erase(pid); }

  // fn(const Group&, const Process&) for every process, in table order.
  template <typename Fn>
  void for_each(Fn fn) const {
    for (const auto& g : m_groups) {
      for (const auto& p : g->processes) {
        fn(*g, *p);
      }
    }
  }

 private:
  static std::string key(std::string_view group, std::string_view name);
  void forget(const Process* p);

  EventBus& m_bus;
  std::vector<std::unique_ptr<Group>> m_groups;
  std::unordered_map<std::string, Process*> m_by_name;  // "group:name"
  std::unordered_set<const Process*> m_all;
  std::unordered_map<pid_t, Process*> m_by_pid;
};

}  // namespace tend
