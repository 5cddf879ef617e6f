#include "init/signals.h"

#include <signal.h>

#include <fmt/format.h>

#include "util/signals.h"

namespace tend::init {

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

Result<int> parse_signal(std::string_view s) {
  if (std::optional<int> sig = signal_number(s)) {
    return *sig;
  }
  return make_error(fmt::format("invalid signal '{}'", s));
}

std::string signal_name(int sig) { return tend::signal_name(sig); }

}  // namespace tend::init
