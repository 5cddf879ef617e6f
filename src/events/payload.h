// Payloads: what supervisord 4.2.5 writes to an event listener for each core
// Event, as (event type, payload text), and the envelope around it. Pure
// functions; the listener pools (events/pool.h) send what these produce.
//
// supervisord builds payloads as Python str and sends them UTF-8 encoded. So:
//  - program output (PROCESS_LOG_*, PROCESS_COMMUNICATION_*) is decoded as
//    UTF-8, strictly, one chunk at a time; a chunk that is not valid UTF-8 is
//    sent as "Undecodable: " + Python's repr() of its bytes (b'...');
//  - the envelope's len: counts characters (code points), not bytes.
// tend does exactly the same; docs/migration.md says what differs around it
// (chunk boundaries).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/event_types.h"
#include "core/events.h"

namespace tend::events {

// What the payloads say about a process, read when the event is rendered.
struct ProcessFacts {
  std::string_view name;
  std::string_view group;
  pid_t pid = 0;          // the process's pid now (PROCESS_LOG/COMMUNICATION)
  bool log_stdout = false;  // stdout_events_enabled, and not an event listener's stdout
  bool log_stderr = false;  // stderr_events_enabled
};
using FactsOf = std::function<ProcessFacts(const Process*)>;

struct Rendered {
  EventType type;
  std::string payload;
};

// The listener event for a core event, or nullopt when supervisord sends none
// (readiness, health, a process's removal, supervisor states it does not
// report, output of a channel without *_events_enabled).
// `strip_ansi`: [supervisord] strip_ansi, which supervisord applies to
// PROCESS_LOG data too (per chunk).
std::optional<Rendered> render(const Event& e, const FactsOf& facts, bool strip_ansi);

// --- the pieces, one per payload format -----------------------------------------------

std::optional<EventType> process_state_type(ProcessState to);
// "processname:p groupname:g from_state:STARTING" plus tries/expected/pid as
// supervisord adds them for `e.to`.
std::string process_state_payload(std::string_view name, std::string_view group, const ProcessStateChanged& e);
// "processname:p groupname:g pid:N channel:stdout\n<data>"
std::string process_log_payload(std::string_view name, std::string_view group, pid_t pid, Stream channel,
                                std::string_view data);
// "processname:p groupname:g pid:N\n<data>"
std::string process_communication_payload(std::string_view name, std::string_view group, pid_t pid,
                                          std::string_view data);
// "type:<type>\n<data>"
std::string remote_communication_payload(std::string_view type, std::string_view data);
// "groupname:<g>\n"
std::string process_group_payload(std::string_view group);
// "when:<when>"
std::string tick_payload(int64_t when);
std::optional<EventType> tick_type(int period);
// SUPERVISOR_STATE_CHANGE_RUNNING when a run begins (the start-up report,
// from == to == Running: see Supervisor::start) and _STOPPING when a shutdown
// or restart begins; nullopt for every other change.
std::optional<EventType> supervisor_state_type(SupervisorState from, SupervisorState to);

// Program output as supervisord puts it in a payload: the bytes when they are
// valid UTF-8, else "Undecodable: b'...'".
std::string output_text(std::string_view bytes);
// Python's repr() of a bytes object: b'...' (or b"..." when that needs no escape).
std::string python_bytes_repr(std::string_view bytes);
// len() of the payload as a Python str: code points of valid UTF-8 (every
// payload is valid UTF-8 by construction).
size_t payload_length(std::string_view payload);

struct EnvelopeFields {
  std::string_view server;  // [supervisord] identifier
  int64_t serial = 0;       // the event's serial, shared by every pool
  std::string_view pool;
  int64_t pool_serial = 0;
  EventType type = EventType::Event;
};
// "ver:3.0 server:S serial:N pool:P poolserial:M eventname:NAME len:L\n" + payload
std::string envelope(const EnvelopeFields& f, std::string_view payload);

}  // namespace tend::events
