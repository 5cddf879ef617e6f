#include "log/json_line.h"

#include <time.h>

#include <fmt/format.h>

#include "util/base64.h"
#include "util/utf8.h"

namespace tend {
namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

EpochMs split_epoch_ms(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  int64_t ms_total = duration_cast<milliseconds>(t.time_since_epoch()).count();
  int64_t secs = ms_total / 1000;
  int64_t ms = ms_total % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  return EpochMs{static_cast<time_t>(secs), static_cast<int>(ms)};
}

std::string format_rfc3339_ms(std::chrono::system_clock::time_point t) {
  EpochMs e = split_epoch_ms(t);
  struct tm tm {};
  ::gmtime_r(&e.secs, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, e.ms);
}

bool append_json_string(std::string& out, std::string_view bytes) {
  static constexpr char k_hex[] = "0123456789abcdef";
  bool valid = true;
  out.push_back('"');
  size_t i = 0;
  while (i < bytes.size()) {
    // Plain printable ASCII in one run.
    size_t run = i;
    while (run < bytes.size()) {
      unsigned char c = static_cast<unsigned char>(bytes[run]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
        break;
      }
      ++run;
    }
    out.append(bytes.substr(i, run - i));
    i = run;
    if (i == bytes.size()) {
      break;
    }
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
          out.append("\\u00");
          out.push_back(k_hex[c >> 4]);
          out.push_back(k_hex[c & 0xF]);
      }
      ++i;
      continue;
    }
    size_t len = utf8_sequence_length(bytes.substr(i));
    if (len == 0) {
      out.append(k_replacement);
      valid = false;
      i += utf8_invalid_length(bytes.substr(i));
      continue;
    }
    std::string_view seq = bytes.substr(i, len);
    if (seq == "\xE2\x80\xA8") {
      out.append("\\u2028");
    } else if (seq == "\xE2\x80\xA9") {
      out.append("\\u2029");
    } else {
      out.append(seq);
    }
    i += len;
  }
  out.push_back('"');
  return valid;
}

void append_json_record(std::string& out, const JsonRecord& r) {
  out.append("{\"ts\":\"");
  out.append(format_rfc3339_ms(r.ts));
  out.append("\",\"level\":");
  append_json_string(out, r.level);
  if (!r.program.empty()) {
    out.append(",\"program\":");
    append_json_string(out, r.program);
  }
  if (r.stream) {
    out.append(",\"stream\":\"");
    out.append(stream_name(*r.stream));
    out.push_back('"');
  }
  if (r.pid != 0) {
    fmt::format_to(std::back_inserter(out), ",\"pid\":{}", r.pid);
  }
  out.append(",\"msg\":");
  if (!append_json_string(out, r.msg)) {
    out.append(",\"msg_b64\":\"");
    out.append(base64_encode(r.msg));
    out.push_back('"');
  }
  if (r.partial) {
    out.append(",\"partial\":true");
  }
  out.append("}\n");
}

}  // namespace tend
