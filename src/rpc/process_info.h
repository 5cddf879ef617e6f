// How the XML-RPC layer names and describes processes, as supervisord does:
// namespecs ("group:name", or "name" when both are equal), the
// getProcessInfo struct and its human description, and log file paths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/model.h"
#include "core/process.h"
#include "log/stream.h"
#include "rpc/value.h"

namespace tend::rpc {

struct Namespec {
  std::string group;
  std::optional<std::string> process;  // nullopt: the whole group ("g:" or "g:*")
};

// "g:p" -> (g, p); "g:" and "g:*" -> (g, whole group); "x" -> (x, x).
Namespec split_namespec(std::string_view spec);
// "name" when group == name, else "group:name".
std::string make_namespec(const std::string& group, const std::string& name);

// A wall-clock time as an XML-RPC int: truncated, clamped to int32.
int64_t capped_int(double v);

// Python timedelta text for a non-negative number of seconds: "0:00:02",
// "1 day, 2:03:04", "3 days, 0:00:00". Negative counts as 0.
std::string format_uptime(int64_t seconds);
// Local time as "Nov 26 04:24 PM" (strftime "%b %d %I:%M %p", C locale).
std::string format_stop_time(int64_t epoch);

// The description field of getProcessInfo, from the other fields (tend's
// notes come on top: restart_note, describe_with_notes).
std::string describe_process(ProcessState state, int64_t start, int64_t stop, int64_t now, int64_t pid,
                             const std::string& spawnerr, const std::string& name);

// What tend adds to a description (its readiness and health checks, what
// the program said with sd_notify STATUS=, what it waits for). A program
// without checks or notes keeps supervisord's text, byte for byte.
struct CheckView {
  bool ready_check = false;   // ready= other than running
  bool ready = false;         // the state machine's ready()
  bool health_check = false;  // healthcheck= is set
};
// `base` (describe_process) with tend's notes:
//   held back by depends_on        "waiting for db (ready)", instead of base
//   STARTING with a readiness check   + "not ready"
//   RUNNING with a health check       + "healthy", "unhealthy (<detail>)" or "health unknown"
//   RUNNING with only a readiness check + "ready" (or "not ready")
//   STARTING, RUNNING, STOPPING      + the last STATUS=, when there is one
// each appended with ", " ("pid 123, uptime 0:00:05, healthy").
std::string describe_with_notes(std::string base, ProcessState state, const CheckView& checks,
                                const ProcessNotes& notes);
// The CheckView of a process now.
CheckView check_view(const Process& p);

// While an automatic restart waits, for a program that sets one of tend's
// restart keys (FsmParams::tend_restart_policy; "" otherwise, and in any
// other state): "restarting in 4 s (failed start 2)" in BACKOFF, "restarting
// in 8 s (crash 5)" while EXITED waits after a crash, "restarting in 5 s"
// after restartpause alone. Seconds are rounded up.
std::string restart_note(const ProcessFsm& fsm);

// The log file a process writes for a stream: the absolute (or AUTO-resolved)
// path tend opens; nullopt for none, syslog, or stderr redirected into stdout.
std::optional<std::string> process_logfile(const ProcessConfig& cfg, Stream s);
// The same file as supervisord shows it: a configured path as written
// (LogTarget::shown), relative ones included.
std::optional<std::string> shown_logfile(const ProcessConfig& cfg, Stream s);

// The getProcessInfo struct (keys in supervisord's order) at wall time `now`.
Value process_info(const std::string& group, const Process& p, double now);

}  // namespace tend::rpc
