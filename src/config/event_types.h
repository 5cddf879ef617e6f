// The event types an [eventlistener:x] may subscribe to, named and related as
// supervisord 4.2.5 names them (events.py, EventTypes). An abstract type
// (EVENT, PROCESS_STATE, PROCESS_LOG, ...) is never sent itself; subscribing
// to it subscribes to every type below it, because supervisord matches a
// subscription with isinstance().
//
// The config loader checks `events=` against this table; src/events/ sends
// the concrete types and matches subscriptions with is_a().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tend {

enum class EventType : uint8_t {
  Event,  // the root: every type is an EVENT
  ProcessState,
  ProcessStateStopped,
  ProcessStateExited,
  ProcessStateStarting,
  ProcessStateStopping,
  ProcessStateBackoff,
  ProcessStateFatal,
  ProcessStateRunning,
  ProcessStateUnknown,
  ProcessCommunication,
  ProcessCommunicationStdout,
  ProcessCommunicationStderr,
  ProcessLog,
  ProcessLogStdout,
  ProcessLogStderr,
  RemoteCommunication,
  SupervisorStateChange,
  SupervisorStateChangeRunning,
  SupervisorStateChangeStopping,
  Tick,
  Tick5,
  Tick60,
  Tick3600,
  ProcessGroup,
  ProcessGroupAdded,
  ProcessGroupRemoved,
};

struct EventTypeInfo {
  EventType type;
  std::string_view name;  // as in `events=` and the envelope's eventname
  EventType parent;       // Event for the root itself
  bool abstract;          // only subscribed to, never sent
};

// Every type, in supervisord's declaration order.
std::span<const EventTypeInfo> event_types();
const EventTypeInfo& event_type_info(EventType t);
std::string_view event_type_name(EventType t);
// The type an upper-cased name stands for, or nullopt.
std::optional<EventType> find_event_type(std::string_view name);
// Whether an event of type `t` reaches a subscription to `subscribed`
// (t itself or one of its ancestors).
bool is_a(EventType t, EventType subscribed);

// Python's str.upper() as far as event names need it: ASCII letters, and the
// few non-ASCII letters whose capitals are ASCII ("ß" -> "SS", "ı" -> "I",
// the "ﬁ"-style ligatures), so a name Python would accept is accepted. Other
// non-ASCII text is kept as it is (no such name can be valid).
std::string upper_event_name(std::string_view s);

}  // namespace tend
