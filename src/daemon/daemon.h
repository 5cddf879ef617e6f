// run_daemon: everything between "the config is valid" and "tend exits":
// PID-1 policy, privileges, rlimits, logging, daemonizing, pidfile, control
// servers, the supervisor and its loop, and clean-up.
#pragma once

#include "config/model.h"
#include "core/supervisor.h"

namespace tend {

// Returns the process exit status (0 after a clean shutdown, 2 for a start-up
// error that the config check could not catch, the main program's status
// when one is configured). The caller has already called
// take_over_daemon_signals(): run_daemon's loop reads the signals.
int run_daemon(Config cfg, Supervisor::ConfigLoader reload);

// Blocks every catchable signal (sys/signal_takeover.h) so that none can end
// or stop tend: the first thing main does in config mode, before reading the
// configuration. Signals sent from then on wait in the pending set until
// run_daemon's loop reads them (a write to a closed client then fails with
// EPIPE, and its SIGPIPE is dropped as self-inflicted). Config-mode children
// start with default signal state, so the original state is not kept.
Status take_over_daemon_signals();

}  // namespace tend
