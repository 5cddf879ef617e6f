#include "config/dependencies.h"

namespace tend {

const char* condition_name(Dependency::Condition c) {
  switch (c) {
    case Dependency::Condition::Ready:
      return "ready";
    case Dependency::Condition::Started:
      return "started";
    case Dependency::Condition::Healthy:
      return "healthy";
    case Dependency::Condition::Completed:
      return "completed";
  }
  return "ready";
}

std::vector<DependencyTarget> resolve_dependency(const std::vector<GroupConfig>& groups, std::string_view name) {
  std::vector<DependencyTarget> out;
  for (const GroupConfig& g : groups) {
    for (const ProcessConfig& p : g.processes) {
      if (p.program == name) {
        out.push_back({&g, &p});
      }
    }
  }
  if (!out.empty()) {
    return out;
  }
  for (const GroupConfig& g : groups) {
    if (g.kind == GroupConfig::Kind::Group && g.name == name) {
      for (const ProcessConfig& p : g.processes) {
        out.push_back({&g, &p});
      }
    }
  }
  return out;
}

}  // namespace tend
