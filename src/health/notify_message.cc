#include "health/notify_message.h"

#include <charconv>

#include <fmt/format.h>

namespace tend::health {

namespace {

std::optional<uint64_t> parse_u64(std::string_view v) {
  uint64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
    return std::nullopt;
  }
  return out;
}

// A flag that only "1" sets: anything else is reported, not guessed at.
void flag(std::string_view name, std::string_view value, bool* out, NotifyMessage& m) {
  if (value == "1") {
    *out = true;
  } else {
    m.problems.push_back(fmt::format("{}={}: only {}=1 means something", name, value, name));
  }
}

void number(std::string_view name, std::string_view value, std::optional<uint64_t>* out, NotifyMessage& m) {
  if (std::optional<uint64_t> n = parse_u64(value)) {
    *out = n;
  } else {
    m.problems.push_back(fmt::format("{}={}: not a number of microseconds", name, value));
  }
}

void assign(std::string_view name, std::string_view value, NotifyMessage& m) {
  if (name == "READY") {
    flag(name, value, &m.ready, m);
  } else if (name == "STATUS") {
    m.status = std::string(value);
  } else if (name == "STOPPING") {
    flag(name, value, &m.stopping, m);
  } else if (name == "RELOADING") {
    flag(name, value, &m.reloading, m);
  } else if (name == "WATCHDOG") {
    if (value == "trigger") {
      m.watchdog_trigger = true;
    } else {
      flag(name, value, &m.watchdog_ping, m);
    }
  } else if (name == "WATCHDOG_USEC") {
    number(name, value, &m.watchdog_usec, m);
  } else if (name == "EXTEND_TIMEOUT_USEC") {
    number(name, value, &m.extend_timeout_usec, m);
  } else if (name == "BARRIER") {
    flag(name, value, &m.barrier, m);
  } else {
    m.ignored.emplace_back(name);
  }
}

}  // namespace

NotifyMessage parse_notify_message(std::string_view text) {
  NotifyMessage m;
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    text = text.substr(0, nul);
  }
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) {
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      m.problems.push_back(fmt::format("'{}': not NAME=VALUE", line));
      continue;
    }
    assign(line.substr(0, eq), line.substr(eq + 1), m);
  }
  return m;
}

}  // namespace tend::health
