// Signal policy of init mode, as data: what tend does with each signal, and how
// signals are named on the command line and in logs.
//
// Policy: tend takes over every catchable signal (sys/signal_takeover.h), so it
// is never stopped, killed or interrupted by one (not even outside a PID
// namespace). Of those:
//   CHLD       reap (never forwarded)
//   TERM, INT  forward to the main child, then stop the whole tree (sys/tree_stop.h)
//   TTIN, TTOU dropped: the kernel sends them to a background process group
//              that touches the terminal, which tend's may be after it hands the
//              terminal to the child; forwarding would stop an innocent child.
//   all others forwarded unchanged, real-time signals and glibc's reserved 32
//              and 33 included; TSTP too (the child stops as under tini, tend
//              itself keeps running).
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace tend::init {

enum class SignalAction { k_reap, k_forward, k_forward_and_stop, k_drop };

SignalAction signal_action(int sig);

// "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2", "SIGRTMAX-1" -> number.
Result<int> parse_signal(std::string_view s);
// "SIGTERM", "SIGRTMIN+2"; a number for anything unnamed.
std::string signal_name(int sig);

}  // namespace tend::init
