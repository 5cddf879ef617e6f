#include "events/payload.h"

#include <gtest/gtest.h>

namespace tend::events {
namespace {

// Process pointers are only keys here: facts() says what they stand for.
const Process* const k_web = reinterpret_cast<const Process*>(0x10);
const Process* const k_quiet = reinterpret_cast<const Process*>(0x20);

ProcessFacts facts_of(const Process* p) {
  if (p == k_web) {
    return ProcessFacts{"web_01", "web", 4242, true, true};
  }
  return ProcessFacts{"quiet", "quiet", 77, false, false};
}

struct Case {
  const char* name;
  Event event;
  std::optional<EventType> type;
  std::string payload;
};

ProcessStateChanged change(ProcessState from, ProcessState to, pid_t pid = 4242, int tries = 0, bool expected = true) {
  return ProcessStateChanged{k_web, from, to, pid, tries, expected};
}

TEST(Payload, EveryCoreEventAsSupervisordFormatsIt) {
  using S = ProcessState;
  const std::string web = "processname:web_01 groupname:web ";
  const Case cases[] = {
      {"starting", change(S::Stopped, S::Starting, 0, 0), EventType::ProcessStateStarting,
       web + "from_state:STOPPED tries:0"},
      {"starting_again", change(S::Backoff, S::Starting, 0, 2), EventType::ProcessStateStarting,
       web + "from_state:BACKOFF tries:2"},
      {"running", change(S::Starting, S::Running), EventType::ProcessStateRunning, web + "from_state:STARTING pid:4242"},
      {"backoff", change(S::Starting, S::Backoff, 4242, 1), EventType::ProcessStateBackoff,
       web + "from_state:STARTING tries:1"},
      {"stopping", change(S::Running, S::Stopping), EventType::ProcessStateStopping,
       web + "from_state:RUNNING pid:4242"},
      {"stopped", change(S::Stopping, S::Stopped), EventType::ProcessStateStopped, web + "from_state:STOPPING pid:4242"},
      {"stopped_from_backoff", change(S::Backoff, S::Stopped), EventType::ProcessStateStopped,
       web + "from_state:BACKOFF pid:0"},
      {"exited_expected", change(S::Running, S::Exited, 4242, 0, true), EventType::ProcessStateExited,
       web + "from_state:RUNNING expected:1 pid:4242"},
      {"exited_unexpected", change(S::Running, S::Exited, 4242, 0, false), EventType::ProcessStateExited,
       web + "from_state:RUNNING expected:0 pid:4242"},
      {"fatal", change(S::Backoff, S::Fatal, 4242, 4), EventType::ProcessStateFatal, web + "from_state:BACKOFF"},
      {"unknown", change(S::Running, S::Unknown), EventType::ProcessStateUnknown, web + "from_state:RUNNING"},
      {"log_stdout", ProcessOutput{k_web, Stream::Stdout, "hello\nworld\n"}, EventType::ProcessLogStdout,
       "processname:web_01 groupname:web pid:4242 channel:stdout\nhello\nworld\n"},
      {"log_stderr", ProcessOutput{k_web, Stream::Stderr, "oops"}, EventType::ProcessLogStderr,
       "processname:web_01 groupname:web pid:4242 channel:stderr\noops"},
      {"log_not_enabled", ProcessOutput{k_quiet, Stream::Stdout, "x"}, std::nullopt, ""},
      {"log_undecodable", ProcessOutput{k_web, Stream::Stdout, "caf\xc3"}, EventType::ProcessLogStdout,
       "processname:web_01 groupname:web pid:4242 channel:stdout\nUndecodable: b'caf\\xc3'"},
      {"log_utf8", ProcessOutput{k_web, Stream::Stdout, "caf\xc3\xa9"}, EventType::ProcessLogStdout,
       "processname:web_01 groupname:web pid:4242 channel:stdout\ncaf\xc3\xa9"},
      {"comm_stdout", ProcessCommunication{k_quiet, Stream::Stdout, "<data/>"}, EventType::ProcessCommunicationStdout,
       "processname:quiet groupname:quiet pid:77\n<data/>"},
      {"comm_stderr", ProcessCommunication{k_web, Stream::Stderr, "e"}, EventType::ProcessCommunicationStderr,
       "processname:web_01 groupname:web pid:4242\ne"},
      {"remote", RemoteComm{"my.type", "some\ndata"}, EventType::RemoteCommunication, "type:my.type\nsome\ndata"},
      {"group_added", GroupAdded{"web"}, EventType::ProcessGroupAdded, "groupname:web\n"},
      {"group_removed", GroupRemoved{"web"}, EventType::ProcessGroupRemoved, "groupname:web\n"},
      {"tick_5", Tick{5, 1700000005}, EventType::Tick5, "when:1700000005"},
      {"tick_60", Tick{60, 1700000040}, EventType::Tick60, "when:1700000040"},
      {"tick_3600", Tick{3600, 1699999200}, EventType::Tick3600, "when:1699999200"},
      {"sup_running", SupervisorStateChanged{SupervisorState::Running, SupervisorState::Running},
       EventType::SupervisorStateChangeRunning, ""},
      {"sup_stopping", SupervisorStateChanged{SupervisorState::Running, SupervisorState::Stopping},
       EventType::SupervisorStateChangeStopping, ""},
      {"sup_restarting", SupervisorStateChanged{SupervisorState::Running, SupervisorState::Restarting},
       EventType::SupervisorStateChangeStopping, ""},
      {"sup_restart_to_shutdown", SupervisorStateChanged{SupervisorState::Restarting, SupervisorState::Stopping},
       std::nullopt, ""},
      {"sup_restarted", SupervisorStateChanged{SupervisorState::Restarting, SupervisorState::Running}, std::nullopt,
       ""},
      {"sup_sweeping", SupervisorStateChanged{SupervisorState::Stopping, SupervisorState::Sweeping}, std::nullopt, ""},
      {"readiness", ProcessReadiness{k_web, true}, std::nullopt, ""},
      {"health", ProcessHealth{k_web, false, "x"}, std::nullopt, ""},
      {"removed", ProcessRemoved{k_web}, std::nullopt, ""},
  };
  for (const Case& c : cases) {
    std::optional<Rendered> r = render(c.event, facts_of, false);
    ASSERT_EQ(r.has_value(), c.type.has_value()) << c.name;
    if (r) {
      EXPECT_EQ(r->type, *c.type) << c.name;
      EXPECT_EQ(r->payload, c.payload) << c.name;
    }
  }
}

TEST(Payload, StripAnsiAppliesToLogEventsPerChunk) {
  std::optional<Rendered> r = render(ProcessOutput{k_web, Stream::Stdout, "\x1b[31mred\x1b[0m \x1b[1"}, facts_of, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->payload, "processname:web_01 groupname:web pid:4242 channel:stdout\nred ");
}

TEST(Payload, BytesReprIsPythons) {
  EXPECT_EQ(python_bytes_repr(""), "b''");
  EXPECT_EQ(python_bytes_repr("a'b"), "b\"a'b\"");
  EXPECT_EQ(python_bytes_repr("a'b\""), "b'a\\'b\"'");
  EXPECT_EQ(python_bytes_repr(std::string("\t\n\r\\\x00\x7f\xff", 7)), "b'\\t\\n\\r\\\\\\x00\\x7f\\xff'");
  EXPECT_EQ(output_text("\xed\xa0\x80"), "Undecodable: b'\\xed\\xa0\\x80'");  // a surrogate is not UTF-8
}

TEST(Payload, EnvelopeLenCountsCharacters) {
  EnvelopeFields f{"supervisor", 7, "listener", 3, EventType::ProcessLogStdout};
  EXPECT_EQ(envelope(f, "h\xc3\xa9!"),
            "ver:3.0 server:supervisor serial:7 pool:listener poolserial:3 eventname:PROCESS_LOG_STDOUT len:3\n"
            "h\xc3\xa9!");
  f.type = EventType::SupervisorStateChangeRunning;
  EXPECT_EQ(envelope(f, ""),
            "ver:3.0 server:supervisor serial:7 pool:listener poolserial:3 "
            "eventname:SUPERVISOR_STATE_CHANGE_RUNNING len:0\n");
}

}  // namespace
}  // namespace tend::events
