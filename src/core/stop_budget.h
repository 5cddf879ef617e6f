// The worst-case stop time of a configuration, against the container
// runtime's grace period (docker stop: 10 s, then SIGKILL).
#pragma once

#include "config/model.h"

namespace tend {

// docker stop's default grace; Kubernetes gives 30 s.
constexpr double k_container_grace_s = 10.0;

// The staged stop played out with every program taking its whole
// stopwaitsecs (by priority, a program after the programs that depend on it:
// core/dependencies.h), then the sweep's shutdown_grace.
double worst_case_stop_seconds(const Config& cfg);

// Warns (main log) when tend runs as PID 1 and the worst case exceeds the
// container grace, naming the slowest programs.
void warn_stop_budget(const Config& cfg, bool is_pid1);

}  // namespace tend
