// Text helpers of the web console: HTML escaping, UTF-8 repair, and the URL
// rules of supervisord's page (Python's urllib quote and parse_qs), so that
// links and redirects carry the same bytes as supervisord's.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace tend::web {

// `s` with every invalid UTF-8 sequence (stray continuation bytes, overlong
// forms, surrogates, code points above U+10FFFF, truncated sequences) replaced
// by U+FFFD; nothing is dropped.
std::string repair_utf8(std::string_view s);
// Appends repair_utf8(s) to `out`.
void append_repaired_utf8(std::string& out, std::string_view s);

// The number of bytes at the end of `s` that begin a UTF-8 sequence the
// next bytes may complete (0 to 3): a chunk boundary may split a character,
// and the stream keeps those bytes for the next chunk instead of showing
// U+FFFD for each half.
size_t incomplete_utf8_tail(std::string_view s);

// Text for HTML content and quoted attribute values: & < > " ' become
// entities and invalid UTF-8 becomes U+FFFD, so no byte sequence a program
// writes can open a tag or end an attribute.
std::string html_escape(std::string_view s);
void append_html_escaped(std::string& out, std::string_view s);

// Python's urllib.parse.quote(s) (safe="/"): every byte but ASCII letters,
// digits, "_.-~" and "/" becomes %XX (upper-case hex).
std::string url_quote(std::string_view s);

// One application/x-www-form-urlencoded component: '+' is a space, %XX a byte
// (an invalid escape stays as it is).
std::string form_decode(std::string_view s);

// Python's parse_qs as supervisord's page reads it: pairs split on '&' (and
// ';' is not a separator), names and values form-decoded, pairs with an
// empty value or without '=' dropped, the first value of a repeated name kept.
using Form = std::unordered_map<std::string, std::string>;
Form parse_form(std::string_view query);

// time.ctime() of `t` in local time: "Fri Dec  4 15:31:31 2026".
std::string ctime_text(time_t t);

}  // namespace tend::web
