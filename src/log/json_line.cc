#include "log/json_line.h"

#include <time.h>

#include <fmt/format.h>

#include "util/base64.h"

namespace tend {
namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD

// What a lead byte promises (Unicode table 3-7): the sequence's length and
// the range its second byte must be in; len 0 for a byte that starts none.
struct Lead {
  size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
};

constexpr unsigned char k_u8(int v) { return static_cast<unsigned char>(v); }

Lead lead_of(unsigned char b0) {
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return {2};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {  // E0: no overlong forms; ED: no surrogates
    return {3, b0 == 0xE0 ? k_u8(0xA0) : k_u8(0x80), b0 == 0xED ? k_u8(0x9F) : k_u8(0xBF)};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {  // F0: no overlong forms; F4: nothing above U+10FFFF
    return {4, b0 == 0xF0 ? k_u8(0x90) : k_u8(0x80), b0 == 0xF4 ? k_u8(0x8F) : k_u8(0xBF)};
  }
  return {};
}

// Whether the bytes after the lead byte of s, as many as there are (up to the
// sequence's length), are the continuation bytes its lead allows.
bool continuation_ok(std::string_view s, const Lead& lead) {
  for (size_t i = 1; i < s.size() && i < lead.len; ++i) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    unsigned char lo = i == 1 ? lead.lo : 0x80;
    unsigned char hi = i == 1 ? lead.hi : 0xBF;
    if (b < lo || b > hi) {
      return false;
    }
  }
  return true;
}

// The length of the well-formed UTF-8 sequence at the start of s (non-empty),
// or 0 when s starts with an ill-formed or cut-short one.
size_t sequence_length(std::string_view s) {
  unsigned char b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) {
    return 1;
  }
  Lead lead = lead_of(b0);
  if (lead.len == 0 || s.size() < lead.len || !continuation_ok(s, lead)) {
    return 0;
  }
  return lead.len;
}

// Whether s is the start of a well-formed sequence that needs more bytes.
bool is_cut_short_sequence(std::string_view s) {
  Lead lead = lead_of(static_cast<unsigned char>(s[0]));
  return lead.len > s.size() && continuation_ok(s, lead);
}

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
    size_t len = sequence_length(bytes.substr(i));
    if (len == 0) {
      out.append(k_replacement);
      valid = false;
      ++i;
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

size_t utf8_complete_prefix(std::string_view s) {
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    unsigned char c = static_cast<unsigned char>(s[s.size() - back]);
    if (c < 0x80) {
      return s.size();  // ASCII: nothing is cut
    }
    if (c >= 0xC0) {  // the last lead byte: is its sequence cut short?
      return is_cut_short_sequence(s.substr(s.size() - back)) ? s.size() - back : s.size();
    }
  }
  return s.size();
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
