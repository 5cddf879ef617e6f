#include "init/signals.h"

#include <signal.h>
#include <string.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace tend::init {

namespace {

bool parse_int(std::string_view s, int* out) {
  if (s.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool valid_signal(int sig) { return sig >= 1 && sig <= SIGRTMAX && (sig < 32 || sig >= SIGRTMIN); }

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
  std::string up;
  for (char c : s) {
    up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  std::string_view name = up;
  int num = 0;
  if (parse_int(name, &num)) {
    if (valid_signal(num)) {
      return num;
    }
    return make_error(fmt::format("invalid signal '{}'", s));
  }
  if (name.substr(0, 3) == "SIG") {
    name.remove_prefix(3);
  }
  for (std::string_view base : {std::string_view("RTMIN"), std::string_view("RTMAX")}) {
    if (name.substr(0, base.size()) != base) {
      continue;
    }
    std::string_view rest = name.substr(base.size());
    int sig = base == "RTMIN" ? SIGRTMIN : SIGRTMAX;
    int off = 0;
    if (!rest.empty()) {
      bool plus = rest[0] == '+';
      if ((!plus && rest[0] != '-') || !parse_int(rest.substr(1), &off) || off < 0) {
        return make_error(fmt::format("invalid signal '{}'", s));
      }
      sig = plus ? sig + off : sig - off;
    }
    if (sig < SIGRTMIN || sig > SIGRTMAX) {
      return make_error(fmt::format("invalid signal '{}'", s));
    }
    return sig;
  }
  for (int sig = 1; sig < 32; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) {
      return sig;
    }
  }
  return make_error(fmt::format("invalid signal '{}'", s));
}

std::string signal_name(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    if (sig == SIGRTMIN) {
      return "SIGRTMIN";
    }
    return fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
  }
  const char* abbrev = sig > 0 && sig < 32 ? sigabbrev_np(sig) : nullptr;
  if (abbrev == nullptr) {
    return std::to_string(sig);
  }
  return fmt::format("SIG{}", abbrev);
}

}  // namespace tend::init
