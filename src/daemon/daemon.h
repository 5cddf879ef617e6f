// run_daemon: everything between "the config is valid" and "tend exits":
// PID-1 policy, privileges, rlimits, logging, daemonizing, pidfile, control
// servers, the supervisor and its loop, and clean-up.
#pragma once

#include "config/model.h"
#include "core/supervisor.h"

namespace tend {

// Returns the process exit status (0 after a clean shutdown, 2 for a start-up
// error that the config check could not catch, the main program's status
// when one is configured).
int run_daemon(Config cfg, Supervisor::ConfigLoader reload);

}  // namespace tend
