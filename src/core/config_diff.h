// ConfigDiff: what a newly read configuration changes, per program where it
// can be, per group where it must be. Pure: no syscalls, no state.
//
// A group is changed as a whole when its own settings differ (priority, kind,
// fcgi socket, result handler) or when none of its processes would survive
// unchanged; otherwise each added, changed or removed process is its own
// entry, and the group's other processes keep running. `update` (over XML-RPC
// or on SIGHUP) therefore restarts only what changed — supervisord restarts
// every process of a changed group.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/model.h"

namespace tend {

struct DiffEntry {
  std::string group;
  std::optional<std::string> process;  // nullopt: the whole group

  // "group" for a whole group, "group:process" for one process: the name
  // reloadConfig reports and add/removeProcessGroup accept.
  std::string name() const { return process ? group + ":" + *process : group; }
  bool operator==(const DiffEntry&) const = default;
};

struct ConfigDiff {
  std::vector<DiffEntry> added;
  std::vector<DiffEntry> changed;
  std::vector<DiffEntry> removed;

  bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};

// `running`: the groups as they run now; `next`: the groups of the new
// configuration. Entries come in the order of `next` (added, changed), and
// of `running` (removed).
ConfigDiff diff_groups(const std::vector<const GroupConfig*>& running, const std::vector<GroupConfig>& next);

// Compares a group's own settings, not its processes.
bool same_group_settings(const GroupConfig& a, const GroupConfig& b);

}  // namespace tend
