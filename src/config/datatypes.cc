#include "config/datatypes.h"

#include <fmt/format.h>

#include <climits>
#include <csignal>
#include <string>

#include "config/unicode.h"

namespace tend {

namespace {

std::string q(std::string_view s) { return unicode::repr(s); }

bool digit_ok(char c, int base) { return c >= '0' && c < static_cast<char>('0' + base); }

}  // namespace

Result<int64_t> parse_integer(std::string_view text, int base) {
  std::string_view s = unicode::strip(text);
  auto bad = [&] { return make_error(fmt::format("not a valid integer: {}", q(text))); };
  bool neg = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    neg = s[i] == '-';
    ++i;
  }
  bool prefix = false;
  if (base == 8 && i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
    i += 2;
    prefix = true;
  }
  if (i >= s.size()) {
    return bad();
  }
  uint64_t mag = 0;
  bool last_digit = prefix;  // after "0o" an underscore may come first
  bool any = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '_') {
      if (!last_digit) {
        return bad();
      }
      last_digit = false;
      continue;
    }
    if (!digit_ok(c, base)) {
      return bad();
    }
    mag = mag * static_cast<uint64_t>(base) + static_cast<uint64_t>(c - '0');
    if (mag > static_cast<uint64_t>(INT64_MAX)) {
      return make_error(fmt::format("integer out of range: {}", q(text)));
    }
    last_digit = true;
    any = true;
  }
  if (!any || !last_digit) {
    return bad();
  }
  return neg ? -static_cast<int64_t>(mag) : static_cast<int64_t>(mag);
}

Result<int> parse_int(std::string_view s) {
  Result<int64_t> v = parse_integer(s);
  if (!v) {
    return Error{v.error()};
  }
  if (*v < INT_MIN || *v > INT_MAX) {
    return make_error(fmt::format("integer out of range: {}", q(s)));
  }
  return static_cast<int>(*v);
}

Result<int> parse_startretries(std::string_view s) {
  Result<int> v = parse_int(s);
  if (v && *v < -1) {
    return make_error(fmt::format("not a count >= 0, or -1 to retry without limit: {}", q(s)));
  }
  return v;
}

Result<bool> parse_boolean(std::string_view s) {
  std::string v = unicode::lower(s);
  if (v == "yes" || v == "true" || v == "on" || v == "1") {
    return true;
  }
  if (v == "no" || v == "false" || v == "off" || v == "0") {
    return false;
  }
  return make_error(fmt::format("not a valid boolean value: {}", q(s)));
}

Result<int64_t> parse_byte_size(std::string_view s) {
  std::string v = unicode::lower(s);
  int64_t mult = 1;
  std::string_view digits = v;
  size_t n = unicode::length(v);
  if (n >= 2) {
    size_t cut = unicode::offset_of(v, n - 2);
    std::string_view suffix = std::string_view(v).substr(cut);
    if (suffix == "kb" || suffix == "mb" || suffix == "gb") {
      mult = suffix == "kb" ? 1024 : suffix == "mb" ? 1024 * 1024 : 1024LL * 1024 * 1024;
      digits = std::string_view(v).substr(0, cut);
    }
  }
  Result<int64_t> num = parse_integer(digits);
  if (!num || *num > INT64_MAX / mult || *num < INT64_MIN / mult) {
    return make_error(fmt::format("not a valid byte size: {} (a number, optionally followed by KB, MB or GB)", q(s)));
  }
  return *num * mult;
}

Result<mode_t> parse_octal(std::string_view s) {
  Result<int64_t> v = parse_integer(s, 8);
  if (!v || *v < 0 || *v > 07777) {
    return make_error(fmt::format("{} can not be converted to an octal type", s));
  }
  return static_cast<mode_t>(*v);
}

namespace {

struct SignalName {
  const char* name;
  int number;
};

// The names Python's signal module offers (everything starting with SIG),
// including its SIG_DFL/SIG_IGN/SIG_BLOCK... constants, which supervisor
// accepts as signal names too.
const SignalName k_signals[] = {
    {"SIGABRT", SIGABRT}, {"SIGALRM", SIGALRM}, {"SIGBUS", SIGBUS},       {"SIGCHLD", SIGCHLD},
    {"SIGCLD", SIGCHLD},  {"SIGCONT", SIGCONT}, {"SIGFPE", SIGFPE},       {"SIGHUP", SIGHUP},
    {"SIGILL", SIGILL},   {"SIGINT", SIGINT},   {"SIGIO", SIGIO},         {"SIGIOT", SIGIOT},
    {"SIGKILL", SIGKILL}, {"SIGPIPE", SIGPIPE}, {"SIGPOLL", SIGPOLL},     {"SIGPROF", SIGPROF},
    {"SIGPWR", SIGPWR},   {"SIGQUIT", SIGQUIT}, {"SIGRTMAX", 64},         {"SIGRTMIN", 34},
    {"SIGSEGV", SIGSEGV}, {"SIGSTKFLT", SIGSTKFLT}, {"SIGSTOP", SIGSTOP}, {"SIGSYS", SIGSYS},
    {"SIGTERM", SIGTERM}, {"SIGTRAP", SIGTRAP}, {"SIGTSTP", SIGTSTP},     {"SIGTTIN", SIGTTIN},
    {"SIGTTOU", SIGTTOU}, {"SIGURG", SIGURG},   {"SIGUSR1", SIGUSR1},     {"SIGUSR2", SIGUSR2},
    {"SIGVTALRM", SIGVTALRM}, {"SIGWINCH", SIGWINCH}, {"SIGXCPU", SIGXCPU}, {"SIGXFSZ", SIGXFSZ},
    {"SIG_BLOCK", SIG_BLOCK}, {"SIG_DFL", 0},   {"SIG_IGN", 1},           {"SIG_SETMASK", SIG_SETMASK},
    {"SIG_UNBLOCK", SIG_UNBLOCK},
};

}  // namespace

Result<int> parse_signal(std::string_view s) {
  int num = -1;
  if (Result<int64_t> n = parse_integer(s); n) {
    num = (*n >= 0 && *n <= 64) ? static_cast<int>(*n) : -1;
  } else {
    std::string name(unicode::strip(s));
    for (char& c : name) {
      c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    }
    if (name.rfind("SIG", 0) != 0) {
      name = "SIG" + name;
    }
    bool found = false;
    for (const auto& sig : k_signals) {
      if (name == sig.name) {
        num = sig.number;
        found = true;
      }
    }
    if (!found) {
      return make_error(fmt::format("value {} is not a valid signal name", q(s)));
    }
  }
  for (const auto& sig : k_signals) {
    if (num == sig.number) {
      return num;
    }
  }
  return make_error(fmt::format("value {} is not a valid signal number", q(s)));
}

Result<std::vector<int>> parse_exitcodes(std::string_view s) {
  std::vector<int> codes;
  if (s.empty()) {
    return codes;
  }
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    std::string_view part = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
    Result<int64_t> v = parse_integer(part);
    if (!v || *v < 0 || *v > 255) {
      return make_error(fmt::format("not a valid list of exit codes: {}", q(s)));
    }
    codes.push_back(static_cast<int>(*v));
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return codes;
}

Result<AutoRestart> parse_autorestart(std::string_view s) {
  std::string v = unicode::lower(s);
  if (v == "unexpected") {
    return AutoRestart::Unexpected;
  }
  if (Result<bool> b = parse_boolean(v); b) {
    return *b ? AutoRestart::Always : AutoRestart::Never;
  }
  return make_error(fmt::format("invalid 'autorestart' value {}", q(v)));
}

Result<std::string> parse_loglevel(std::string_view s) {
  std::string v = unicode::lower(s);
  for (const char* level : {"critical", "error", "warn", "info", "debug", "trace", "blather"}) {
    if (v == level) {
      return v;
    }
  }
  return make_error(fmt::format(
      "bad logging level name {} (use critical, error, warn, info, debug, trace or blather)", q(s)));
}

std::vector<std::string> parse_list_of_strings(std::string_view s) {
  std::vector<std::string> out;
  if (s.empty()) {
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    out.emplace_back(unicode::strip(s.substr(start, comma == s.npos ? s.npos : comma - start)));
    if (comma == s.npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

Result<std::string> parse_name(std::string_view s) {
  std::string_view v = unicode::strip(s);
  for (char c : {' ', ':', '/'}) {
    if (v.find(c) != std::string_view::npos) {
      return make_error(fmt::format("Invalid name: {} because of character: {}", q(s), q(std::string(1, c))));
    }
  }
  return std::string(v);
}

}  // namespace tend
