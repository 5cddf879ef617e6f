// Base64 (RFC 4648, standard alphabet, '=' padding), for XML-RPC <base64>
// values and HTTP Basic credentials.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace tend {

// One line, no newlines.
std::string base64_encode(std::string_view bytes);
// Like Python's base64.encodebytes: lines of at most 76 characters, each ending
// in '\n' (empty input gives "").
std::string base64_encode_lines(std::string_view bytes);
// Skips ASCII whitespace; fails on any other character outside the alphabet or
// on bad padding.
Result<std::string> base64_decode(std::string_view text);

}  // namespace tend
