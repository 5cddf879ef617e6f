// ListenerProtocol: one event listener's side of supervisord's listener
// protocol, as a pure state machine over the bytes the listener writes on its
// stdout. No I/O: the pool (events/pool.h) writes events and feeds output.
//
//   ACKNOWLEDGED --"READY\n"--> READY --event sent--> BUSY --"RESULT <n>\n"+n bytes--> ACKNOWLEDGED
//
// Rules (supervisord 4.2.5, dispatchers.py):
//  - ACKNOWLEDGED (the state of every new run) waits for 6 bytes; "READY\n"
//    makes it READY, any other 6 bytes make it UNKNOWN.
//  - READY: any output at all is a protocol violation: UNKNOWN.
//  - BUSY: the first line is the result line. The text after its first 7
//    bytes (meant to be "RESULT ") must read as a Python int; then that many
//    bytes are the body, which the result handler judges: accepted ->
//    ACKNOWLEDGED, rejected -> ACKNOWLEDGED and the event goes back to the
//    pool, an error -> UNKNOWN and the event goes back. A result line that does
//    not parse -> UNKNOWN, and the event goes back.
//  - UNKNOWN is final for the run: its output is dropped; reset() at the next
//    spawn starts over.
//  - Input may arrive split anywhere; whatever follows a complete token is read
//    in the new state (so "RESULT 2\nOKREADY\n" is a result and a READY).
// Deliberate differences: a body of length 0 is judged at once (supervisord
// waits for the next byte of output to do it), and a negative length is a
// bad result line (supervisord recurses until Python gives up).
//
// The state machine is a table (k_table): one row per state, one column per
// input, one named action per cell.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/level.h"

namespace tend::events {

enum class ListenerState : uint8_t { Acknowledged, Ready, Busy, Unknown };
constexpr int k_listener_states = 4;
// "ACKNOWLEDGED", "READY", "BUSY", "UNKNOWN" as supervisord logs them.
const char* listener_state_name(ListenerState s);

// What a result handler makes of a result body.
enum class Verdict : uint8_t {
  Accepted,  // the event is done
  Rejected,  // the event goes back to the pool (default handler: body is not "OK")
  Error,     // the handler failed: the event goes back, the listener is UNKNOWN
};

// The inputs of the table, as the scanner finds them in the output.
enum class ProtocolInput : uint8_t {
  ReadyToken,    // ACKNOWLEDGED: the 6 bytes are "READY\n"
  BadToken,      // ACKNOWLEDGED: 6 bytes that are not
  Output,        // READY: any byte
  Sent,          // the pool wrote an event to the listener
  ResultLine,    // BUSY: a result line with a length
  BadResultLine, // BUSY: a result line without one
  BodyAccepted,  // BUSY: the body is complete and the handler accepts it
  BodyRejected,
  BodyError,
};
constexpr int k_protocol_inputs = 9;

// What the pool must do, in the order it happened.
enum class Outcome : uint8_t {
  Ready,     // the listener can take an event
  Done,      // its event is finished
  Rejected,  // its event goes back to the head of the pool's buffer
};

class ListenerProtocol {
 public:
  using Handler = std::function<Verdict(std::string_view body)>;
  using Log = std::function<void(Level, const std::string&)>;

  // `name`: the process name the log lines carry.
  ListenerProtocol(std::string name, Handler handler, Log log);

  ListenerState state() const { return m_state; }
  // The pool wrote an event: READY -> BUSY. False (nothing changes) in any other state.
  bool sent();
  // The listener wrote `data` on its stdout.
  std::vector<Outcome> feed(std::string_view data);
  // A new run of the process: ACKNOWLEDGED with nothing buffered, quietly.
  void reset();

  // One cell of the table, for tests: `input` in the current state.
  std::vector<Outcome> apply(ProtocolInput input);

 private:
  using Action = void (ListenerProtocol::*)();
  static const Action k_table[k_listener_states][k_protocol_inputs];

  // Finds the next input in m_buffer (nullopt: more bytes are needed).
  std::optional<ProtocolInput> scan();
  void fire(ProtocolInput input);

  void ignore() {}
  void become_ready();
  void violate();
  void become_busy();
  void await_body() {}
  void bad_result();
  void accepted();
  void rejected();
  void errored();
  void change(ListenerState to);

  std::string m_name;
  Handler m_handler;
  Log m_log;
  ListenerState m_state = ListenerState::Acknowledged;
  std::string m_buffer;                  // output not read yet
  std::optional<int64_t> m_result_len;   // BUSY: the body length, once the result line is read
  std::string m_result;                  // BUSY: the body so far
  std::string m_bad_line;                // the result line BadResultLine is about
  std::vector<Outcome>* m_outcomes = nullptr;
};

// Python's int() of a bytes object in base 10, as the result line's length:
// surrounding ASCII whitespace, a sign, digits with single '_' between them.
// nullopt when it does not parse, is negative, or does not fit in int64.
std::optional<int64_t> parse_result_length(std::string_view text);

}  // namespace tend::events
