// JSON lines for log collectors (Loki, Fluent Bit, Cloud Logging, jq): one
// object per line, with no parser to configure on their side. Used by the main
// log (log_format = json) and by the console (console_output_format = json).
//
// A record is, in this order:
//   {"ts":"2026-12-04T15:04:05.123Z","level":"info","program":"web",
//    "stream":"stdout","pid":42,"msg":"...","msg_b64":"...","partial":true}
// program, stream and pid are left out when the record has none (tend's own
// lines); msg_b64 and partial appear only when true of the record.
//
// Any bytes give valid JSON, and nothing is lost:
//  - msg holds the text. Valid UTF-8 is copied as it is; '"', '\\', the
//    control characters U+0000-U+001F and U+2028/U+2029 (which end a line in
//    JavaScript) are escaped. Each byte that is not part of a well-formed UTF-8
//    sequence (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing
//    above U+10FFFF) becomes one U+FFFD.
//  - When there was such a byte, msg_b64 carries the exact bytes (standard
//    base64 with padding), so the original can always be had back.
//  - partial: true marks a piece of a longer line (a line is cut where a
//    buffer is full, at a character boundary) or a last line that had no
//    '\n'; the line goes on in the next record of the same program and
//    stream. The bytes of a program's stream are the concatenation of its
//    records' bytes, with a '\n' after each record without partial.
#pragma once

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "log/stream.h"

namespace tend {

// `t` as whole seconds since the epoch and milliseconds (0 to 999), floored
// rather than truncated before the epoch: what both log timestamp formats
// hand to gmtime_r/localtime_r.
struct EpochMs {
  time_t secs;
  int ms;
};
EpochMs split_epoch_ms(std::chrono::system_clock::time_point t);

// "2026-12-04T15:04:05.123Z": RFC 3339, UTC, milliseconds (truncated).
std::string format_rfc3339_ms(std::chrono::system_clock::time_point t);

// Appends bytes as a JSON string, quotes included, by the rules above.
// Returns false when some byte was not valid UTF-8 (and became U+FFFD).
bool append_json_string(std::string& out, std::string_view bytes);

struct JsonRecord {
  std::chrono::system_clock::time_point ts;
  std::string_view level;
  std::string_view program;           // "" = left out
  std::optional<Stream> stream;       // nullopt = left out
  long pid = 0;                       // 0 = left out
  std::string_view msg;
  bool partial = false;
};

// Appends the record as one line, '\n' included.
void append_json_record(std::string& out, const JsonRecord& r);

}  // namespace tend
