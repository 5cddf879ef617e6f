// Feeds: arbitrary bytes as one sd_notify datagram (health/notify_message.h),
// what any program may send to $NOTIFY_SOCKET.
// Asserts, beyond no crash, leak or UB:
//  - the parse depends only on the text before the first NUL (a NUL ends the
//    message, as it would for a C sender);
//  - READY=1 is reported only when the text holds the line "READY=1", and a
//    STATUS holds no newline (it is one line of the description);
//  - the numbers are what the lines say: an extend or watchdog value implies a
//    line with that name.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "health/notify_message.h"

namespace {

bool same(const tend::health::NotifyMessage& a, const tend::health::NotifyMessage& b) {
  return a.ready == b.ready && a.stopping == b.stopping && a.reloading == b.reloading &&
         a.watchdog_ping == b.watchdog_ping && a.watchdog_trigger == b.watchdog_trigger && a.barrier == b.barrier &&
         a.status == b.status && a.extend_timeout_usec == b.extend_timeout_usec && a.watchdog_usec == b.watchdog_usec &&
         a.ignored == b.ignored && a.problems == b.problems;
}

// A line of `text` that starts with `prefix` (or, when `whole`, is exactly it).
bool has_line_starting(std::string_view text, std::string_view prefix, bool whole = false) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    std::string_view line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (whole ? line == prefix : line.substr(0, prefix.size()) == prefix) {
      return true;
    }
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tend::health::NotifyMessage m = tend::health::parse_notify_message(text);

  std::string_view before_nul = text.substr(0, text.find('\0'));
  FUZZ_CHECK(same(m, tend::health::parse_notify_message(before_nul)));

  if (m.ready) {
    FUZZ_CHECK(has_line_starting(before_nul, "READY=1", true));
  }
  if (m.status) {
    FUZZ_CHECK(m.status->find('\n') == std::string::npos);
    FUZZ_CHECK(has_line_starting(before_nul, "STATUS="));
  }
  if (m.extend_timeout_usec) {
    FUZZ_CHECK(has_line_starting(before_nul, "EXTEND_TIMEOUT_USEC="));
  }
  if (m.watchdog_usec) {
    FUZZ_CHECK(has_line_starting(before_nul, "WATCHDOG_USEC="));
  }
  return 0;
}
