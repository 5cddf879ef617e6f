#include "core/config_diff.h"

#include <algorithm>

namespace tend {

namespace {

const ProcessConfig* find_process(const GroupConfig& g, const std::string& name) {
  auto it = std::find_if(g.processes.begin(), g.processes.end(),
                         [&](const ProcessConfig& p) { return p.name == name; });
  return it == g.processes.end() ? nullptr : &*it;
}

const GroupConfig* find_group(const std::vector<const GroupConfig*>& groups, const std::string& name) {
  auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupConfig* g) { return g->name == name; });
  return it == groups.end() ? nullptr : *it;
}

// Adds the per-process differences of two versions of one group to `out`;
// returns false (adding nothing) when the group has to change as a whole.
bool diff_processes(const GroupConfig& cur, const GroupConfig& next, ConfigDiff& out) {
  ConfigDiff local;
  size_t survivors = 0;
  for (const ProcessConfig& p : next.processes) {
    const ProcessConfig* old = find_process(cur, p.name);
    if (old == nullptr) {
      local.added.push_back({next.name, p.name});
    } else if (!(*old == p)) {
      local.changed.push_back({next.name, p.name});
    } else {
      ++survivors;
    }
  }
  for (const ProcessConfig& p : cur.processes) {
    if (find_process(next, p.name) == nullptr) {
      local.removed.push_back({cur.name, p.name});
    }
  }
  if (survivors == 0 && !local.empty()) {
    return false;
  }
  out.added.insert(out.added.end(), local.added.begin(), local.added.end());
  out.changed.insert(out.changed.end(), local.changed.begin(), local.changed.end());
  out.removed.insert(out.removed.end(), local.removed.begin(), local.removed.end());
  return true;
}

}  // namespace

bool same_group_settings(const GroupConfig& a, const GroupConfig& b) { return a.same_settings(b); }

ConfigDiff diff_groups(const std::vector<const GroupConfig*>& running, const std::vector<GroupConfig>& next) {
  ConfigDiff out;
  for (const GroupConfig& g : next) {
    const GroupConfig* cur = find_group(running, g.name);
    if (cur == nullptr) {
      out.added.push_back({g.name, std::nullopt});
    } else if (!same_group_settings(*cur, g) || !diff_processes(*cur, g, out)) {
      out.changed.push_back({g.name, std::nullopt});
    }
  }
  for (const GroupConfig* cur : running) {
    bool kept = std::any_of(next.begin(), next.end(), [&](const GroupConfig& g) { return g.name == cur->name; });
    if (!kept) {
      out.removed.push_back({cur->name, std::nullopt});
    }
  }
  return out;
}

}  // namespace tend
