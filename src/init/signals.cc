#include "init/signals.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "util/signals.h"

namespace tend::init {

namespace {

}  // namespace

SignalAction signal_action(int sig) {
  switch (sig) {
    case SIGCHLD:
      return SignalAction::k_reap;
    case SIGTERM:
    case SIGINT:
      return SignalAction::k_forward_and_stop;
    case SIGTTIN:
    case SIGTTOU:
      return SignalAction::k_drop;
    default:
      return SignalAction::k_forward;
  }
}

std::vector<int> catchable_signals() {
  std::vector<int> out;
  for (int sig = 1; sig < 32; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      out.push_back(sig);
    }
  }
  for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) {
    out.push_back(sig);
  }
  return out;
}

Result<int> parse_signal(std::string_view s) {
  if (std::optional<int> sig = signal_number(s)) {
    return *sig;
  }
  return make_error(fmt::format("invalid signal '{}'", s));
}

std::string signal_name(int sig) { return tend::signal_name(sig); }

}  // namespace tend::init
