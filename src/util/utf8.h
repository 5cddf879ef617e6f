// Well-formed UTF-8 (Unicode table 3-7: no overlong forms, no surrogates,
// nothing above U+10FFFF) for the places that show or forward bytes a program
// wrote: the JSON log lines, the console's pieces and the web console.
#pragma once

#include <cstddef>
#include <string_view>

namespace tend {

// The length of the well-formed UTF-8 sequence at the start of s (non-empty),
// or 0 when s starts with an ill-formed or cut-short one.
size_t utf8_sequence_length(std::string_view s);

// For s (non-empty) starting with an ill-formed or cut-short sequence (utf8_sequence_length(s) ==
// 0): how many bytes one U+FFFD replaces, the sequence's maximal subpart (the lead byte and the
// continuation bytes it allowed before the first it did not). Unicode's recommended practice, which
// Python's decode(errors="replace") and browsers follow: "x\xE2\x82" is "x" and one U+FFFD, as
// supervisord shows it; a byte that starts nothing is one U+FFFD on its own.
size_t utf8_invalid_length(std::string_view s);

// The length of the longest prefix of s that does not end inside a UTF-8
// sequence that its next bytes could still complete: s.size() unless s ends
// with the start of a well-formed sequence (1 to 3 bytes) that is cut short.
size_t utf8_complete_prefix(std::string_view s);

}  // namespace tend
