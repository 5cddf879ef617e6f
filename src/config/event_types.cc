#include "config/event_types.h"

#include <array>

#include "config/unicode.h"

namespace tend {

namespace {

using T = EventType;

// clang-format off
constexpr std::array<EventTypeInfo, 27> k_types{{
    {T::Event,                         "EVENT",                            T::Event,                 true},
    {T::ProcessState,                  "PROCESS_STATE",                    T::Event,                 true},
    {T::ProcessStateStopped,           "PROCESS_STATE_STOPPED",            T::ProcessState,          false},
    {T::ProcessStateExited,            "PROCESS_STATE_EXITED",             T::ProcessState,          false},
    {T::ProcessStateStarting,          "PROCESS_STATE_STARTING",           T::ProcessState,          false},
    {T::ProcessStateStopping,          "PROCESS_STATE_STOPPING",           T::ProcessState,          false},
    {T::ProcessStateBackoff,           "PROCESS_STATE_BACKOFF",            T::ProcessState,          false},
    {T::ProcessStateFatal,             "PROCESS_STATE_FATAL",              T::ProcessState,          false},
    {T::ProcessStateRunning,           "PROCESS_STATE_RUNNING",            T::ProcessState,          false},
    {T::ProcessStateUnknown,           "PROCESS_STATE_UNKNOWN",            T::ProcessState,          false},
    {T::ProcessCommunication,          "PROCESS_COMMUNICATION",            T::Event,                 true},
    {T::ProcessCommunicationStdout,    "PROCESS_COMMUNICATION_STDOUT",     T::ProcessCommunication,  false},
    {T::ProcessCommunicationStderr,    "PROCESS_COMMUNICATION_STDERR",     T::ProcessCommunication,  false},
    {T::ProcessLog,                    "PROCESS_LOG",                      T::Event,                 true},
    {T::ProcessLogStdout,              "PROCESS_LOG_STDOUT",               T::ProcessLog,            false},
    {T::ProcessLogStderr,              "PROCESS_LOG_STDERR",               T::ProcessLog,            false},
    {T::RemoteCommunication,           "REMOTE_COMMUNICATION",             T::Event,                 false},
    {T::SupervisorStateChange,         "SUPERVISOR_STATE_CHANGE",          T::Event,                 true},
    {T::SupervisorStateChangeRunning,  "SUPERVISOR_STATE_CHANGE_RUNNING",  T::SupervisorStateChange, false},
    {T::SupervisorStateChangeStopping, "SUPERVISOR_STATE_CHANGE_STOPPING", T::SupervisorStateChange, false},
    {T::Tick,                          "TICK",                             T::Event,                 true},
    {T::Tick5,                         "TICK_5",                           T::Tick,                  false},
    {T::Tick60,                        "TICK_60",                          T::Tick,                  false},
    {T::Tick3600,                      "TICK_3600",                        T::Tick,                  false},
    {T::ProcessGroup,                  "PROCESS_GROUP",                    T::Event,                 true},
    {T::ProcessGroupAdded,             "PROCESS_GROUP_ADDED",              T::ProcessGroup,          false},
    {T::ProcessGroupRemoved,           "PROCESS_GROUP_REMOVED",            T::ProcessGroup,          false},
}};
// clang-format on

constexpr bool in_enum_order() {
  for (size_t i = 0; i < k_types.size(); ++i) {
    if (static_cast<size_t>(k_types[i].type) != i) {
      return false;
    }
  }
  return true;
}
static_assert(in_enum_order(), "k_types is indexed by EventType");

// Lower-case letters outside ASCII whose str.upper() is all ASCII.
struct AsciiCapital {
  char32_t cp;
  std::string_view upper;
};
constexpr AsciiCapital k_ascii_capitals[] = {
    {U'\u00DF', "SS"}, {U'\u0131', "I"},  {U'\u017F', "S"},   {U'\uFB00', "FF"}, {U'\uFB01', "FI"},
    {U'\uFB02', "FL"}, {U'\uFB03', "FFI"}, {U'\uFB04', "FFL"}, {U'\uFB05', "ST"}, {U'\uFB06', "ST"},
};

}  // namespace

std::span<const EventTypeInfo> event_types() { return k_types; }

const EventTypeInfo& event_type_info(EventType t) { return k_types[static_cast<size_t>(t)]; }

std::string_view event_type_name(EventType t) { return event_type_info(t).name; }

std::optional<EventType> find_event_type(std::string_view name) {
  for (const EventTypeInfo& i : k_types) {
    if (i.name == name) {
      return i.type;
    }
  }
  return std::nullopt;
}

bool is_a(EventType t, EventType subscribed) {
  while (true) {
    if (t == subscribed) {
      return true;
    }
    if (t == EventType::Event) {
      return false;
    }
    t = event_type_info(t).parent;
  }
}

std::string upper_event_name(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = unicode::decode(s, i, &cp);
    if (n == 0) {
      out.push_back(s[i]);
      ++i;
      continue;
    }
    std::string_view mapped;
    for (const AsciiCapital& c : k_ascii_capitals) {
      if (c.cp == cp) {
        mapped = c.upper;
      }
    }
    if (!mapped.empty()) {
      out.append(mapped);
    } else if (cp >= 'a' && cp <= 'z') {
      out.push_back(static_cast<char>(cp - 'a' + 'A'));
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace tend
