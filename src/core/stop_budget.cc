#include "core/stop_budget.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "log/logger.h"

namespace tend {

namespace {

std::map<int, std::vector<const ProcessConfig*>> stages_of(const Config& cfg) {
  std::map<int, std::vector<const ProcessConfig*>> stages;
  for (const GroupConfig& g : cfg.groups) {
    for (const ProcessConfig& p : g.processes) {
      stages[g.priority].push_back(&p);
    }
  }
  return stages;
}

const ProcessConfig* slowest_of(const std::vector<const ProcessConfig*>& procs) {
  return *std::max_element(procs.begin(), procs.end(),
                           [](const auto* a, const auto* b) { return a->stopwaitsecs < b->stopwaitsecs; });
}

}  // namespace

double worst_case_stop_seconds(const Config& cfg) {
  double total = cfg.supervisord.shutdown_grace;
  for (const auto& [prio, procs] : stages_of(cfg)) {
    total += slowest_of(procs)->stopwaitsecs;
  }
  return total;
}

void warn_stop_budget(const Config& cfg, bool is_pid1) {
  double total = worst_case_stop_seconds(cfg);
  // Only a container runtime imposes this deadline; on a host it is noise.
  if (!is_pid1 || total <= k_container_grace_s) {
    return;
  }
  auto stages = stages_of(cfg);
  std::vector<const ProcessConfig*> slowest;
  for (const auto& [prio, procs] : stages) {
    slowest.push_back(slowest_of(procs));
  }
  std::sort(slowest.begin(), slowest.end(), [](const auto* a, const auto* b) { return a->stopwaitsecs > b->stopwaitsecs; });
  std::vector<std::string> names;
  for (const ProcessConfig* p : slowest) {
    if (names.size() == 5) {
      break;
    }
    names.push_back(fmt::format("{} (stopwaitsecs={}, priority={})", p->name, p->stopwaitsecs, p->priority));
  }
  main_logger().warn(
      "worst-case stop time is {}s ({} priority stage(s) plus shutdown_grace={}s), more than the {}s docker stop "
      "allows before SIGKILL; slowest: {}",
      total, stages.size(), cfg.supervisord.shutdown_grace, k_container_grace_s, fmt::join(names, ", "));
}

}  // namespace tend
