// Events: everything that happens in the supervisor, as one typed stream.
//
// Publishers are the few places where these pass through: the process state
// machine (state changes, readiness), the output pipes (chunks), the
// supervisor's own state machine, the process table (groups added/removed,
// processes about to go), the ticker and sendRemoteCommEvent. Consumers
// subscribe to the kinds they want (EventBus); the RPC layer's waits, the
// main_program rule, the staged shutdown and pending updates are subscribers,
// and so will be event listeners, metrics and the web console.
//
// Lifetime: an event and everything it points to (the Process, the string
// views) is valid only during delivery. A subscriber that keeps something
// copies it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>
#include <variant>

#include "core/process_state.h"
#include "log/stream.h"

namespace tend {

class Process;

// The supervisor as a whole (core/lifecycle.h has the transitions).
enum class SupervisorState {
  Running,     // programs are supervised
  Restarting,  // supervisor.restart: everything stops, then the new config starts
  Stopping,    // shutdown: programs stop by descending priority
  Sweeping,    // every program is down; leftover descendants got SIGTERM
  Killing,     // shutdown_grace passed; leftovers get SIGKILL
  Done,        // nothing is left: the loop ends
};
const char* supervisor_state_name(SupervisorState s);

struct ProcessStateChanged {
  const Process* process;
  ProcessState from;
  ProcessState to;
  pid_t pid;       // the pid the change is about (the one that exited, for EXITED/STOPPED/BACKOFF); 0 if none
  int tries;       // spawn attempts in the current BACKOFF series
  bool expected;   // EXITED only: the exit code was in exitcodes
};
struct ProcessOutput {
  const Process* process;
  Stream channel;
  std::string_view data;
};
// Capture mode (`*_capture_maxbytes`): one block the program wrote between
// <!--XSUPERVISOR:BEGIN--> and <!--XSUPERVISOR:END-->.
struct ProcessCommunication {
  const Process* process;
  Stream channel;
  std::string_view data;
};
// The program said it is ready (sd_notify, notification fd) or stopped being.
struct ProcessReadiness {
  const Process* process;
  bool ready;
};
// A health check changed its verdict.
struct ProcessHealth {
  const Process* process;
  bool healthy;
  std::string_view detail;
};
// The process is about to be destroyed (removed or replaced by an update).
struct ProcessRemoved {
  const Process* process;
};
// A change of the supervisor's state; from == to == Running when a run begins
// (start-up, and again after a restart), once every group is added and
// before any program starts.
struct SupervisorStateChanged {
  SupervisorState from;
  SupervisorState to;
};
struct GroupAdded {
  std::string_view group;
};
struct GroupRemoved {
  std::string_view group;
};
// Wall time crossed a multiple of `period` seconds (5, 60, 3600); `when` is
// that multiple, as supervisord's TICK events report it.
struct Tick {
  int period;
  int64_t when;
};
// supervisor.sendRemoteCommEvent.
struct RemoteComm {
  std::string_view type;
  std::string_view data;
};
// The process's log files were emptied (clearProcessLogs, clearAllProcessLogs, the web page or
// console): whoever shows their content starts over.
struct ProcessLogsCleared {
  const Process* process;
};

using Event = std::variant<ProcessStateChanged, ProcessOutput, ProcessCommunication, ProcessReadiness, ProcessHealth,
                           ProcessRemoved, SupervisorStateChanged, GroupAdded, GroupRemoved, Tick, RemoteComm,
                           ProcessLogsCleared>;

// The kinds, numbered as the variant's alternatives, for subscription masks.
enum class EventKind : uint8_t {
  ProcessState,
  Output,
  Communication,
  Readiness,
  Health,
  Removed,
  SupervisorState,
  GroupAdded,
  GroupRemoved,
  Tick,
  RemoteComm,
  LogsCleared,
};
constexpr int k_event_kinds = static_cast<int>(std::variant_size_v<Event>);
static_assert(static_cast<int>(EventKind::LogsCleared) == k_event_kinds - 1, "EventKind follows Event");

inline EventKind kind_of(const Event& e) { return static_cast<EventKind>(e.index()); }

// The process an event is about, or nullptr.
const Process* process_of(const Event& e);

using EventMask = uint32_t;
constexpr EventMask mask_of(EventKind k) { return EventMask{1} << static_cast<int>(k); }
constexpr EventMask k_all_events = (EventMask{1} << k_event_kinds) - 1;
// The kinds that name a process (process_of() is not nullptr).
constexpr EventMask k_process_events = mask_of(EventKind::ProcessState) | mask_of(EventKind::Output) |
                                       mask_of(EventKind::Communication) | mask_of(EventKind::Readiness) |
                                       mask_of(EventKind::Health) | mask_of(EventKind::Removed) |
                                       mask_of(EventKind::LogsCleared);

}  // namespace tend
