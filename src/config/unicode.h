// Small UTF-8 helpers that reproduce the Python str operations supervisor's
// config handling relies on: str.isspace/strip, str.lower and repr().
// All functions accept invalid UTF-8 without crashing: a byte that does not
// start a valid sequence is treated as a single non-space character.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tend::unicode {

// Decodes the code point starting at byte `i` (i < s.size()). Returns its
// byte length, or 0 when the bytes there are not valid UTF-8 (then *cp is
// set to the raw byte value).
size_t decode(std::string_view s, size_t i, char32_t* cp);

// Byte offset of the first invalid UTF-8 sequence, or npos.
size_t invalid_offset(std::string_view s);

std::string encode(char32_t cp);

// Python's str.isspace() for one code point (also what `\s` matches in re).
bool is_space(char32_t cp);

std::string_view strip(std::string_view s);
std::string_view lstrip(std::string_view s);
std::string_view rstrip(std::string_view s);

// Python's str.lower().
std::string lower(std::string_view s);

// Number of code points (an invalid byte counts as one).
size_t length(std::string_view s);

// Byte offset just after the first `n` code points.
size_t offset_of(std::string_view s, size_t n);

// Python's repr() / ascii() of a str (approximation of str.isprintable for
// the non-ASCII range: controls, separators and format characters escape).
std::string repr(std::string_view s);
std::string ascii(std::string_view s);

}  // namespace tend::unicode
