#include "core/stop_budget.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/dependencies.h"
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

StopEstimate estimate(const Config& cfg) {
  std::vector<DependencyNode> nodes;
  std::vector<double> stop_seconds;
  for (const GroupConfig& g : cfg.groups) {
    for (const ProcessConfig& p : g.processes) {
      nodes.push_back(DependencyNode{g.name, p.name, p.program, g.priority, p.depends_on});
      stop_seconds.push_back(p.stopwaitsecs);
    }
  }
  return worst_case_shutdown(DependencyGraph(nodes), stop_seconds);
}

}  // namespace

double worst_case_stop_seconds(const Config& cfg) {
  return cfg.supervisord.shutdown_grace + estimate(cfg).seconds;
}

void warn_stop_budget(const Config& cfg, bool is_pid1) {
  StopEstimate e = estimate(cfg);
  double total = cfg.supervisord.shutdown_grace + e.seconds;
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
      "worst-case stop time is {}s ({} stop stage(s) plus shutdown_grace={}s), more than the {}s docker stop "
      "allows before SIGKILL; slowest: {}",
      total, e.stages, cfg.supervisord.shutdown_grace, k_container_grace_s, fmt::join(names, ", "));
}

}  // namespace tend
