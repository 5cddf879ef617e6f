#include "util/utf8.h"

namespace tend {
namespace {

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

// Whether s is the start of a well-formed sequence that needs more bytes.
bool is_cut_short_sequence(std::string_view s) {
  Lead lead = lead_of(static_cast<unsigned char>(s[0]));
  return lead.len > s.size() && continuation_ok(s, lead);
}

}  // namespace

size_t utf8_sequence_length(std::string_view s) {
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

size_t utf8_invalid_length(std::string_view s) {
  Lead lead = lead_of(static_cast<unsigned char>(s[0]));
  size_t n = 1;
  while (n < lead.len && n < s.size() && continuation_ok(s.substr(0, n + 1), lead)) {
    ++n;
  }
  return n;
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

}  // namespace tend
