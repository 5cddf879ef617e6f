// The JSON of api/status and of the state stream (docs/web.md has the
// fields): one object per process (P) and one for the supervisor (S).
#pragma once

#include <cstdint>
#include <string>

#include "core/process.h"
#include "core/supervisor.h"

namespace tend::web {

// Wall-clock seconds now (the start/stop/now fields' clock).
double wall_seconds();

// P for process `p` of `group`. `restarts`: spawns after the first since tend
// (or the process) started, as counted by the console.
std::string process_json(const std::string& group, const Process& p, double now, uint64_t restarts);

// supervisord's name of the supervisor's state: RUNNING, RESTARTING, or
// SHUTDOWN (tend's stopping, sweeping, killing and done stages).
const char* supervisor_state_text(SupervisorState s);

// S.
std::string supervisor_json(const Supervisor& sup, double now);

}  // namespace tend::web
