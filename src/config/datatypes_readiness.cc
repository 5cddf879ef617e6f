// The datatypes of tend's start-order keys: durations, depends_on, ready=,
// healthcheck= and healthcheck_action= (docs/config.md, "Start order,
// readiness and health").
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

#include "config/datatypes.h"
#include "config/dependencies.h"
#include "config/unicode.h"
#include "util/shlex.h"

namespace tend {

namespace {

std::string q(std::string_view s) { return unicode::repr(s); }

// Longer than anything a timer needs, short enough that adding it to a
// steady_clock time point cannot overflow.
constexpr double k_max_seconds = 365.0 * 24 * 3600;

// A decimal number of seconds, `v >= min` (or `v > min` when !inclusive).
Result<double> seconds_from(std::string_view s, double min, bool inclusive) {
  std::string text(unicode::strip(s));
  bool decimal = !text.empty() && text.find_first_not_of("0123456789.eE+-") == std::string::npos;
  char* end = nullptr;
  double v = decimal ? std::strtod(text.c_str(), &end) : NAN;
  bool number = decimal && end == text.c_str() + text.size() && std::isfinite(v);
  if (!number || (inclusive ? v < min : v <= min)) {
    return make_error(fmt::format("not a number of seconds {} {}: {}", inclusive ? ">=" : ">", min, q(s)));
  }
  if (v > k_max_seconds) {
    return make_error(fmt::format("{} seconds is more than a year (at most {})", text, k_max_seconds));
  }
  return v;
}

// The checks, as users write them in messages.
constexpr std::string_view k_ready_syntax =
    "running, notify, fd:N, tcp:HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND or file:PATH";
constexpr std::string_view k_health_syntax = "tcp:HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND, file:PATH or none";

// Lowest and highest notification fd: 0-2 are the program's stdio; above
// 1023 dup2() fails under the usual open-files limit.
constexpr int k_min_notify_fd = 3;
constexpr int k_max_notify_fd = 1023;

Result<int> port_from(std::string_view text) {
  Result<int64_t> port = parse_integer(text);
  if (!port || text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return make_error(fmt::format("not a valid port number: {}", q(text)));
  }
  if (*port < 1) {
    return make_error(fmt::format("{} is below lower bound (1)", *port));
  }
  if (*port > 65535) {
    return make_error(fmt::format("{} is above upper bound (65535)", *port));
  }
  return static_cast<int>(*port);
}

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

// What parse_name() accepts, ':' aside (it separates the condition): no '/', no whitespace.
bool is_plain_name(std::string_view name) {
  for (size_t i = 0; i < name.size();) {
    char32_t cp = 0;
    size_t n = unicode::decode(name, i, &cp);
    if (name[i] == '/' || (n != 0 && unicode::is_space(cp))) {
      return false;
    }
    i += n == 0 ? 1 : n;
  }
  return true;
}

struct HostPort {
  std::string host;  // an IPv6 address without its brackets
  int port = 0;
};

// "HOST:PORT", "[IPV6]:PORT"; with default_port > 0 the ":PORT" may be left out.
Result<HostPort> host_port_from(std::string_view text, int default_port) {
  HostPort out;
  std::string_view rest;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    std::string_view addr = text.substr(1, close == std::string_view::npos ? 0 : close - 1);
    if (close == std::string_view::npos || addr.find(':') == std::string_view::npos ||
        addr.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return make_error(fmt::format("not an IPv6 address in brackets: {}", q(text)));
    }
    out.host = std::string(addr);
    rest = text.substr(close + 1);
  } else {
    size_t colon = text.find(':');
    std::string_view host = text.substr(0, colon);
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      return make_error(
          fmt::format("{} has more than one ':' (write an IPv6 address in brackets: [::1]:PORT)", q(text)));
    }
    if (host.empty()) {
      return make_error(fmt::format("no host in {} (write 127.0.0.1 or localhost for this machine)", q(text)));
    }
    for (char c : host) {
      if (!is_host_char(c)) {
        return make_error(fmt::format("not a host name or IP address: {}", q(host)));
      }
    }
    out.host = std::string(host);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (rest.empty() && default_port > 0) {
    out.port = default_port;
    return out;
  }
  if (rest.empty() || rest[0] != ':') {
    return make_error(fmt::format("no port number specified in {}", q(text)));
  }
  Result<int> port = port_from(rest.substr(1));
  if (!port) {
    return Error{port.error()};
  }
  out.port = *port;
  return out;
}

// host_port_from() read back: an IPv6 address goes back in its brackets.
std::string format_host_port(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

Result<ProbeSpec> fd_probe(std::string_view arg) {
  Result<int64_t> n = parse_integer(arg);
  if (!n) {
    return make_error(fmt::format("fd:N needs a file descriptor number, not {}", q(arg)));
  }
  if (*n < k_min_notify_fd) {
    return make_error(fmt::format("fd {} is below {} (0, 1 and 2 are the program's stdin, stdout and stderr)", *n,
                                  k_min_notify_fd));
  }
  if (*n > k_max_notify_fd) {
    return make_error(fmt::format("fd {} is above {}", *n, k_max_notify_fd));
  }
  ProbeSpec p;
  p.kind = ProbeSpec::Kind::Fd;
  p.fd = static_cast<int>(*n);
  return p;
}

Result<ProbeSpec> tcp_probe(std::string_view arg) {
  if (arg.rfind("//", 0) == 0) {  // tcp://HOST:PORT, as in [fcgi-program:x] socket
    arg.remove_prefix(2);
  }
  Result<HostPort> hp = host_port_from(arg, 0);
  if (!hp) {
    return make_error(fmt::format("tcp: {}", hp.error()));
  }
  ProbeSpec p;
  p.kind = ProbeSpec::Kind::Tcp;
  p.host = std::move(hp->host);
  p.port = hp->port;
  return p;
}

// http://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]: the fragment is not sent.
Result<ProbeSpec> http_probe(std::string_view arg) {
  if (arg.rfind("//", 0) != 0) {
    return make_error("http: write http://HOST:PORT/PATH");
  }
  arg.remove_prefix(2);
  arg = arg.substr(0, arg.find('#'));
  size_t end = arg.find_first_of("/?");
  std::string_view authority = arg.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : arg.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return make_error("http: a user or password in the URL is not supported");
  }
  Result<HostPort> hp = host_port_from(authority, 80);
  if (!hp) {
    return make_error(fmt::format("http: {}", hp.error()));
  }
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return make_error(fmt::format("http: the path {} holds a space, a control or a non-ASCII character "
                                    "(percent-encode it)",
                                    q(target)));
    }
  }
  ProbeSpec p;
  p.kind = ProbeSpec::Kind::Http;
  p.host = std::move(hp->host);
  p.port = hp->port;
  p.target = target.empty() || target[0] != '/' ? "/" + std::string(target) : std::string(target);
  return p;
}

Result<ProbeSpec> exec_probe(std::string_view arg) {
  std::string_view command = unicode::strip(arg);
  if (command.empty()) {
    return make_error("exec: needs a command");
  }
  Result<std::vector<std::string>> words = shlex_split(command);
  if (!words) {
    return make_error(fmt::format("exec: {} in {}", words.error(), q(command)));
  }
  if (words->empty() || words->front().empty()) {
    return make_error(fmt::format("exec: no program to run in {}", q(command)));
  }
  ProbeSpec p;
  p.kind = ProbeSpec::Kind::Exec;
  p.target = std::string(command);
  return p;
}

Result<ProbeSpec> file_probe(std::string_view arg) {
  std::string_view path = unicode::strip(arg);
  if (path.empty() || path[0] != '/') {
    return make_error(fmt::format("file: needs an absolute path, not {} (%(here)s is the directory of the "
                                  "config file)",
                                  q(path)));
  }
  ProbeSpec p;
  p.kind = ProbeSpec::Kind::File;
  p.target = std::string(path);
  return p;
}

// Any check; the callers refuse the ones that do not apply.
Result<ProbeSpec> probe_from(std::string_view text, std::string_view syntax) {
  std::string_view s = unicode::strip(text);
  std::string word = unicode::lower(s);
  if (word == "running") {
    return running_probe();
  }
  if (word == "notify") {
    ProbeSpec p;
    p.kind = ProbeSpec::Kind::Notify;
    return p;
  }
  if (word == "none") {
    return ProbeSpec{};
  }
  size_t colon = s.find(':');
  std::string scheme = colon == std::string_view::npos ? "" : unicode::lower(s.substr(0, colon));
  std::string_view arg = colon == std::string_view::npos ? std::string_view() : s.substr(colon + 1);
  if (scheme == "fd") {
    return fd_probe(arg);
  }
  if (scheme == "tcp") {
    return tcp_probe(arg);
  }
  if (scheme == "http") {
    return http_probe(arg);
  }
  if (scheme == "https") {
    return make_error("https is not supported: tend's probes speak plain HTTP (probe a plain-HTTP port of "
                      "the program, or use exec: with an HTTPS client)");
  }
  if (scheme == "exec") {
    return exec_probe(arg);
  }
  if (scheme == "file") {
    return file_probe(arg);
  }
  return make_error(fmt::format("unknown check {} (use {})", q(s), syntax));
}

}  // namespace

Result<double> parse_seconds(std::string_view s) { return seconds_from(s, 0, true); }
Result<double> parse_positive_seconds(std::string_view s) { return seconds_from(s, 0, false); }
Result<double> parse_interval(std::string_view s) { return seconds_from(s, 0.01, true); }

Result<int> parse_count(std::string_view s) {
  Result<int> n = parse_int(s);
  if (!n || *n < 1) {
    return make_error(fmt::format("not an integer >= 1: {}", q(s)));
  }
  return n;
}

Result<ProbeSpec> parse_ready_check(std::string_view s) {
  if (unicode::strip(s).empty()) {
    return running_probe();
  }
  Result<ProbeSpec> p = probe_from(s, k_ready_syntax);
  if (p && p->kind == ProbeSpec::Kind::None) {
    return make_error(fmt::format("unknown check 'none' (the default is running; use {})", k_ready_syntax));
  }
  return p;
}

Result<ProbeSpec> parse_health_check(std::string_view s) {
  if (unicode::strip(s).empty()) {
    return ProbeSpec{};
  }
  Result<ProbeSpec> p = probe_from(s, k_health_syntax);
  if (!p) {
    return p;
  }
  switch (p->kind) {
    case ProbeSpec::Kind::Running:
      return make_error(fmt::format("running is no health check (use {})", k_health_syntax));
    case ProbeSpec::Kind::Notify:
      return make_error("notify is a readiness check only (ready = notify); its WATCHDOG=1 keep-alives are "
                        "watched with watchdog_sec");
    case ProbeSpec::Kind::Fd:
      return make_error("fd:N is a readiness check only (ready = fd:N): the program writes its newline once");
    default:
      return p;
  }
}

Result<std::vector<Dependency>> parse_depends_on(std::string_view s) {
  std::vector<Dependency> out;
  if (unicode::strip(s).empty()) {
    return out;
  }
  for (const std::string& item : parse_list_of_strings(s)) {
    if (item.empty()) {
      return make_error(fmt::format("an empty name in {} (a stray comma?)", q(s)));
    }
    size_t colon = item.find(':');
    std::string_view name = unicode::strip(std::string_view(item).substr(0, colon));
    Dependency d;
    if (name.empty()) {
      return make_error(fmt::format("no program name in {}", q(item)));
    }
    if (!is_plain_name(name)) {
      return make_error(fmt::format("{} is not a program or group name (write NAME or NAME:CONDITION, separated "
                                    "by commas)",
                                    q(name)));
    }
    d.name = std::string(name);
    if (colon != std::string::npos) {
      std::string cond = unicode::lower(unicode::strip(std::string_view(item).substr(colon + 1)));
      if (cond == "ready") {
        d.condition = Dependency::Condition::Ready;
      } else if (cond == "started") {
        d.condition = Dependency::Condition::Started;
      } else if (cond == "healthy") {
        d.condition = Dependency::Condition::Healthy;
      } else if (cond == "completed") {
        d.condition = Dependency::Condition::Completed;
      } else {
        return make_error(fmt::format("unknown condition {} in {} (use ready, started, healthy or completed)",
                                      q(cond), q(item)));
      }
    }
    for (const Dependency& seen : out) {
      if (seen.name == d.name) {
        return make_error(fmt::format("{} is named twice", q(d.name)));
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

Result<HealthAction> parse_health_action(std::string_view s) {
  std::string v = unicode::lower(unicode::strip(s));
  if (v == "restart") {
    return HealthAction::Restart;
  }
  if (v == "stop") {
    return HealthAction::Stop;
  }
  if (v == "shutdown") {
    return HealthAction::Shutdown;
  }
  if (v == "none") {
    return HealthAction::None;
  }
  return make_error(fmt::format("expected restart, stop, shutdown or none, not {}", q(s)));
}

const char* probe_kind_name(ProbeSpec::Kind kind) {
  switch (kind) {
    case ProbeSpec::Kind::None:
      return "";
    case ProbeSpec::Kind::Running:
      return "running";
    case ProbeSpec::Kind::Notify:
      return "notify";
    case ProbeSpec::Kind::Fd:
      return "fd";
    case ProbeSpec::Kind::Tcp:
      return "tcp";
    case ProbeSpec::Kind::Http:
      return "http";
    case ProbeSpec::Kind::Exec:
      return "exec";
    case ProbeSpec::Kind::File:
      return "file";
  }
  return "";
}

std::string format_probe(const ProbeSpec& probe) {
  const char* kind = probe_kind_name(probe.kind);
  switch (probe.kind) {
    case ProbeSpec::Kind::Fd:
      return fmt::format("{}:{}", kind, probe.fd);
    case ProbeSpec::Kind::Tcp:
      return fmt::format("{}:{}", kind, format_host_port(probe.host, probe.port));
    case ProbeSpec::Kind::Http:
      return fmt::format("{}://{}{}", kind, format_host_port(probe.host, probe.port),
                         probe.target.empty() ? "/" : probe.target);
    case ProbeSpec::Kind::Exec:
    case ProbeSpec::Kind::File:
      return fmt::format("{}:{}", kind, probe.target);
    default:
      return kind;
  }
}

std::string format_depends_on(const std::vector<Dependency>& deps) {
  std::string out;
  for (const Dependency& d : deps) {
    out += fmt::format("{}{}:{}", out.empty() ? "" : ", ", d.name, condition_name(d.condition));
  }
  return out;
}

std::string format_health_action(HealthAction action) {
  switch (action) {
    case HealthAction::Restart:
      return "restart";
    case HealthAction::Stop:
      return "stop";
    case HealthAction::Shutdown:
      return "shutdown";
    case HealthAction::None:
      return "none";
  }
  return "restart";
}

Result<SupervisordConfig::ExitWhen> parse_exit_when(std::string_view s) {
  using W = SupervisordConfig::ExitWhen;
  std::string v = unicode::lower(unicode::strip(s));
  if (v == "never") {
    return W::Never;
  }
  if (v == "any_exited") {
    return W::AnyExited;
  }
  if (v == "all_exited") {
    return W::AllExited;
  }
  return make_error(fmt::format("expected never, any_exited or all_exited, not {}", q(s)));
}

}  // namespace tend
