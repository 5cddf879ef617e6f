#include "events/payload.h"

#include <fmt/format.h>

#include "config/unicode.h"
#include "log/output_channel.h"

namespace tend::events {

std::optional<EventType> process_state_type(ProcessState to) {
  switch (to) {
    case ProcessState::Stopped:
      return EventType::ProcessStateStopped;
    case ProcessState::Starting:
      return EventType::ProcessStateStarting;
    case ProcessState::Running:
      return EventType::ProcessStateRunning;
    case ProcessState::Backoff:
      return EventType::ProcessStateBackoff;
    case ProcessState::Stopping:
      return EventType::ProcessStateStopping;
    case ProcessState::Exited:
      return EventType::ProcessStateExited;
    case ProcessState::Fatal:
      return EventType::ProcessStateFatal;
    case ProcessState::Unknown:
      return EventType::ProcessStateUnknown;
  }
  return std::nullopt;
}

std::string process_state_payload(std::string_view name, std::string_view group, const ProcessStateChanged& e) {
  std::string out = fmt::format("processname:{} groupname:{} from_state:{}", name, group, state_name(e.from));
  switch (e.to) {
    case ProcessState::Starting:
    case ProcessState::Backoff:
      out += fmt::format(" tries:{}", e.tries);
      break;
    case ProcessState::Exited:
      out += fmt::format(" expected:{} pid:{}", e.expected ? 1 : 0, e.pid);
      break;
    case ProcessState::Stopped:
      // A BACKOFF process has no pid (supervisord cleared it at the exit
      // that led to BACKOFF), so stopping one reports pid:0.
      out += fmt::format(" pid:{}", e.from == ProcessState::Backoff ? 0 : e.pid);
      break;
    case ProcessState::Running:
    case ProcessState::Stopping:
      out += fmt::format(" pid:{}", e.pid);
      break;
    default:
      break;
  }
  return out;
}

std::string process_log_payload(std::string_view name, std::string_view group, pid_t pid, Stream channel,
                                std::string_view data) {
  return fmt::format("processname:{} groupname:{} pid:{} channel:{}\n{}", name, group, pid,
                     channel == Stream::Stdout ? "stdout" : "stderr", output_text(data));
}

std::string process_communication_payload(std::string_view name, std::string_view group, pid_t pid,
                                          std::string_view data) {
  return fmt::format("processname:{} groupname:{} pid:{}\n{}", name, group, pid, output_text(data));
}

std::string remote_communication_payload(std::string_view type, std::string_view data) {
  return fmt::format("type:{}\n{}", type, data);
}

std::string process_group_payload(std::string_view group) { return fmt::format("groupname:{}\n", group); }

std::string tick_payload(int64_t when) { return fmt::format("when:{}", when); }

std::optional<EventType> tick_type(int period) {
  switch (period) {
    case 5:
      return EventType::Tick5;
    case 60:
      return EventType::Tick60;
    case 3600:
      return EventType::Tick3600;
    default:
      return std::nullopt;
  }
}

std::optional<EventType> supervisor_state_type(SupervisorState from, SupervisorState to) {
  if (from == SupervisorState::Running && to == SupervisorState::Running) {
    return EventType::SupervisorStateChangeRunning;
  }
  // supervisord reports the first stop of a run only: a shutdown requested
  // while a restart stops everything adds nothing.
  if (from == SupervisorState::Running && (to == SupervisorState::Stopping || to == SupervisorState::Restarting)) {
    return EventType::SupervisorStateChangeStopping;
  }
  return std::nullopt;
}

std::optional<Rendered> render(const Event& e, const FactsOf& facts, bool strip_ansi) {
  switch (kind_of(e)) {
    case EventKind::ProcessState: {
      const auto& ev = std::get<ProcessStateChanged>(e);
      std::optional<EventType> t = process_state_type(ev.to);
      if (!t) {
        return std::nullopt;
      }
      ProcessFacts f = facts(ev.process);
      return Rendered{*t, process_state_payload(f.name, f.group, ev)};
    }
    case EventKind::Output: {
      const auto& ev = std::get<ProcessOutput>(e);
      ProcessFacts f = facts(ev.process);
      bool wanted = ev.channel == Stream::Stdout ? f.log_stdout : f.log_stderr;
      if (!wanted) {
        return std::nullopt;
      }
      EventType t = ev.channel == Stream::Stdout ? EventType::ProcessLogStdout : EventType::ProcessLogStderr;
      if (!strip_ansi) {
        return Rendered{t, process_log_payload(f.name, f.group, f.pid, ev.channel, ev.data)};
      }
      // supervisord strips each chunk on its own: a fresh stripper per chunk.
      AnsiStripper stripper;
      std::string visible;
      stripper.feed(ev.data, visible);
      stripper.finish(visible);
      return Rendered{t, process_log_payload(f.name, f.group, f.pid, ev.channel, visible)};
    }
    case EventKind::Communication: {
      const auto& ev = std::get<ProcessCommunication>(e);
      ProcessFacts f = facts(ev.process);
      EventType t =
          ev.channel == Stream::Stdout ? EventType::ProcessCommunicationStdout : EventType::ProcessCommunicationStderr;
      return Rendered{t, process_communication_payload(f.name, f.group, f.pid, ev.data)};
    }
    case EventKind::SupervisorState: {
      const auto& ev = std::get<SupervisorStateChanged>(e);
      std::optional<EventType> t = supervisor_state_type(ev.from, ev.to);
      if (!t) {
        return std::nullopt;
      }
      return Rendered{*t, ""};
    }
    case EventKind::GroupAdded:
      return Rendered{EventType::ProcessGroupAdded, process_group_payload(std::get<GroupAdded>(e).group)};
    case EventKind::GroupRemoved:
      return Rendered{EventType::ProcessGroupRemoved, process_group_payload(std::get<GroupRemoved>(e).group)};
    case EventKind::Tick: {
      const auto& ev = std::get<Tick>(e);
      std::optional<EventType> t = tick_type(ev.period);
      if (!t) {
        return std::nullopt;
      }
      return Rendered{*t, tick_payload(ev.when)};
    }
    case EventKind::RemoteComm: {
      const auto& ev = std::get<RemoteComm>(e);
      return Rendered{EventType::RemoteCommunication, remote_communication_payload(ev.type, ev.data)};
    }
    case EventKind::Readiness:
    case EventKind::Health:
    case EventKind::Removed:
    case EventKind::LogsCleared:  // supervisord has no event for it
      return std::nullopt;
  }
  return std::nullopt;
}

std::string output_text(std::string_view bytes) {
  if (unicode::invalid_offset(bytes) == std::string_view::npos) {
    return std::string(bytes);
  }
  return "Undecodable: " + python_bytes_repr(bytes);
}

std::string python_bytes_repr(std::string_view bytes) {
  bool has_single = bytes.find('\'') != std::string_view::npos;
  bool has_double = bytes.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out = "b";
  out.reserve(bytes.size() + 3);
  out.push_back(quote);
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back(quote);
  return out;
}

size_t payload_length(std::string_view payload) { return unicode::length(payload); }

std::string envelope(const EnvelopeFields& f, std::string_view payload) {
  std::string out = fmt::format("ver:3.0 server:{} serial:{} pool:{} poolserial:{} eventname:{} len:{}\n", f.server,
                                f.serial, f.pool, f.pool_serial, event_type_name(f.type), payload_length(payload));
  out.append(payload);
  return out;
}

}  // namespace tend::events
