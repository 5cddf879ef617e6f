// Probes: one attempt of a check (tcp, http, exec, file) that ends in a pass
// or a failure with its reason. The Prober starts attempts; ProbeLoop
// (probe_loop.h) repeats them for readiness and health checks.
//
// The wire rules of each kind, and the pure parts (tested by table):
//   tcp:HOST:PORT   passes when a connection is accepted (then closed at once).
//   http://H:P/PATH sends one GET (HTTP/1.1, Connection: close) and passes on
//                   a 2xx or 3xx status line; only the status line is read.
//   exec:COMMAND    a short-lived child (the program's user, directory and
//                   environment; shlex-split like command=); exit 0 passes.
//                   At its timeout the child's process group gets SIGKILL.
//   file:PATH       passes when PATH exists (relative: to the program's directory).
// HOST is an IPv4 or IPv6 address, `localhost`, or a name from /etc/hosts:
// tend never asks DNS, whose resolver would block the event loop (and a static
// tend has no NSS modules for it anyway).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/model.h"
#include "core/spawn.h"
#include "util/clock.h"
#include "util/result.h"

namespace tend::health {

struct ProbeResult {
  bool passed = false;
  std::string error;  // a failure's reason, e.g. "connection refused"
  static ProbeResult pass() { return {true, {}}; }
  static ProbeResult fail(std::string why) { return {false, std::move(why)}; }
};

// What an attempt needs to know about the program: where relative file paths
// start, and for exec probes the spawn the program itself would get (its
// environment, user, directory, umask). `exec.command` is set by the prober.
struct ProbeContext {
  std::string name;  // the program, for log lines
  std::optional<std::string> directory;
  SpawnSpec exec;
};

// One attempt in flight; destroying it cancels it (an exec probe's child is
// killed, its connection closed).
class ProbeAttempt {
 public:
  virtual ~ProbeAttempt() = default;
};

using ProbeDone = std::function<void(const ProbeResult&)>;

class Prober {
 public:
  virtual ~Prober() = default;
  // Starts one attempt of `spec` (Tcp, Http, Exec or File) that fails after
  // `timeout`. `done` runs exactly once, from a loop callback (never before
  // start returns), unless the attempt is destroyed first; it may destroy
  // the attempt.
  virtual std::unique_ptr<ProbeAttempt> start(const ProbeSpec& spec, const ProbeContext& ctx, Duration timeout,
                                              ProbeDone done) = 0;
};

// The check as written in the configuration: "tcp:127.0.0.1:5432",
// "http://localhost:8080/health", "exec:pg_isready", "file:/run/x.pid",
// "notify", "fd:3", "running".
std::string describe_probe(const ProbeSpec& spec);

// "HTTP/1.1 204 No Content" -> 204; nullopt unless the line is an HTTP/1.x status line.
std::optional<int> parse_http_status_line(std::string_view line);
// 2xx and 3xx pass.
ProbeResult http_verdict(std::optional<int> status);
// The request an http probe sends.
std::string http_request(const std::string& host, int port, const std::string& target);

struct SocketAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};
// Resolves a probe's host without DNS: an address literal (IPv6 with or
// without brackets), `localhost` (127.0.0.1 unless /etc/hosts says otherwise),
// or the first address /etc/hosts gives the name (`read_hosts` returns its
// text; called only for a name).
Result<SocketAddress> resolve_probe_address(std::string_view host, int port,
                                            const std::function<std::string()>& read_hosts);

// strerror(err) with a lower-case first letter: "connection refused".
std::string errno_text(int err);

}  // namespace tend::health
