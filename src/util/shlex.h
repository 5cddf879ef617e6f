// shlex_split: POSIX shell-like word splitting as Python's shlex.split does it
// (quotes, backslash escapes, no variables, no globs, '#' is not a comment).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace tend {

// Errors: "No closing quotation", "No escaped character".
Result<std::vector<std::string>> shlex_split(std::string_view text);

}  // namespace tend
