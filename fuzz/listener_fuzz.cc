// Feeds: what an event listener writes on its stdout, to the listener protocol
// (events/listener_protocol.h) and its result handlers (events/result_handler.h).
// Input: byte 0 picks the handler (even: supervisor.dispatchers:default_handler,
// odd: supervisor_stdout:event_handler); the rest is the listener's output,
// where each 0xFF byte stands for "the pool sent an event" (sent()) instead of
// being output. Also parse_result_length() and stdout_handler_text() on the
// raw bytes.
// Asserts, beyond no crash, leak or UB:
//  - the protocol reads output the same however it is split ("input may
//    arrive split anywhere"): feeding each run of output in one call and
//    feeding it one byte per call give the same outcomes, states and handler
//    output;
//  - a result length that parses is not negative and reads back from its
//    decimal form.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/listener_protocol.h"
#include "events/result_handler.h"
#include "fuzz_check.h"

namespace {

using tend::events::ListenerProtocol;
using tend::events::ListenerState;
using tend::events::Outcome;

constexpr char k_sent = static_cast<char>(0xFF);

struct Trace {
  std::vector<Outcome> outcomes;
  std::vector<ListenerState> states;  // after each sent() and each run of output
  std::string printed;                // what the stdout handler printed
};

Trace run(std::string_view handler, std::string_view output, bool bytewise) {
  Trace t;
  ListenerProtocol p("listener", tend::events::make_result_handler(handler, [&t](std::string_view s) {
                       t.printed += s;
                     }),
                     [](tend::Level, const std::string&) {});
  size_t pos = 0;
  while (pos <= output.size()) {
    size_t mark = output.find(k_sent, pos);
    std::string_view chunk = output.substr(pos, mark == std::string_view::npos ? std::string_view::npos : mark - pos);
    if (bytewise) {
      for (char c : chunk) {
        std::vector<Outcome> o = p.feed(std::string_view(&c, 1));
        t.outcomes.insert(t.outcomes.end(), o.begin(), o.end());
      }
    } else if (!chunk.empty()) {
      std::vector<Outcome> o = p.feed(chunk);
      t.outcomes.insert(t.outcomes.end(), o.begin(), o.end());
    }
    t.states.push_back(p.state());
    if (mark == std::string_view::npos) {
      break;
    }
    p.sent();
    t.states.push_back(p.state());
    pos = mark + 1;
  }
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  if (std::optional<int64_t> n = tend::events::parse_result_length(raw)) {
    FUZZ_CHECK(*n >= 0);
    FUZZ_CHECK(tend::events::parse_result_length(std::to_string(*n)) == n);
  }
  (void)tend::events::stdout_handler_text(raw);
  if (size == 0) {
    return 0;
  }
  std::string_view handler =
      (data[0] & 1) != 0 ? "supervisor_stdout:event_handler" : "supervisor.dispatchers:default_handler";
  std::string_view output = raw.substr(1);
  Trace whole = run(handler, output, false);
  Trace bytes = run(handler, output, true);
  FUZZ_CHECK(whole.outcomes == bytes.outcomes);
  FUZZ_CHECK(whole.states == bytes.states);
  FUZZ_CHECK(whole.printed == bytes.printed);
  return 0;
}
