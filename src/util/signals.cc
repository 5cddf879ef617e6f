#include "util/signals.h"

#include <signal.h>
#include <string.h>

#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace tend {

namespace {

bool parse_int(std::string_view s, int* out) {
  if (s.empty()) {
    return false;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// glibc reserves 32 and 33 for its threads; SIGRTMIN is the first usable RT signal.
bool valid_signal(int sig) { return sig >= 1 && sig <= SIGRTMAX && (sig < 32 || sig >= SIGRTMIN); }

}  // namespace

std::string signal_name(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    return sig == SIGRTMIN ? "SIGRTMIN" : fmt::format("SIGRTMIN+{}", sig - SIGRTMIN);
  }
  const char* abbrev = sig > 0 && sig < 32 ? sigabbrev_np(sig) : nullptr;
  if (abbrev == nullptr) {
    return fmt::format("signal {}", sig);
  }
  return fmt::format("SIG{}", abbrev);
}

std::optional<int> signal_number(std::string_view text) {
  std::string up;
  for (char c : text) {
    up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  std::string_view name = up;
  int num = 0;
  if (parse_int(name, &num)) {
    return valid_signal(num) ? std::optional<int>(num) : std::nullopt;
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
        return std::nullopt;
      }
      sig = plus ? sig + off : sig - off;
    }
    if (sig < SIGRTMIN || sig > SIGRTMAX) {
      return std::nullopt;
    }
    return sig;
  }
  for (int sig = 1; sig < 32; ++sig) {
    const char* abbrev = sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev) {
      return sig;
    }
  }
  return std::nullopt;
}

}  // namespace tend
