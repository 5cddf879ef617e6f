#include "web/text.h"

#include <time.h>

#include <algorithm>

#include <fmt/format.h>

#include "http/logtail.h"
#include "util/utf8.h"

namespace tend::web {

namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";

}  // namespace

void append_repaired_utf8(std::string& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t run = i;
    while (run < s.size() && static_cast<unsigned char>(s[run]) < 0x80) {
      ++run;
    }
    out.append(s.substr(i, run - i));
    i = run;
    if (i >= s.size()) {
      break;
    }
    size_t n = utf8_sequence_length(s.substr(i));
    if (n == 0) {
      out.append(k_replacement);
      i += utf8_invalid_length(s.substr(i));
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
}

size_t incomplete_utf8_tail(std::string_view s) { return s.size() - utf8_complete_prefix(s); }

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_repaired_utf8(out, s);
  return out;
}

void append_html_escaped(std::string& out, std::string_view s) {
  std::string text = repair_utf8(s);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_html_escaped(out, s);
  return out;
}

std::string url_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                c == '.' || c == '-' || c == '~' || c == '/';
    if (safe) {
      out += ch;
    } else {
      static constexpr char k_hex[] = "0123456789ABCDEF";
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 0xF];
    }
  }
  return out;
}

std::string form_decode(std::string_view s) {
  // '+' is never part of a %XX escape, so turning it into a space first
  // cannot change what the escapes decode to.
  std::string spaced(s);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  return http::percent_decode(spaced);
}

Form parse_form(std::string_view query) {
  Form form;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq + 1 == pair.size()) {
      continue;
    }
    // Python decodes the bytes as UTF-8 with errors="replace".
    std::string name = repair_utf8(form_decode(pair.substr(0, eq)));
    form.emplace(std::move(name), repair_utf8(form_decode(pair.substr(eq + 1))));
  }
  return form;
}

std::string ctime_text(time_t t) {
  static const char* const k_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm {};
  localtime_r(&t, &tm);
  return fmt::format("{} {} {:2} {:02}:{:02}:{:02} {}", k_days[tm.tm_wday], k_months[tm.tm_mon], tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

}  // namespace tend::web
