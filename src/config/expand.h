// Python's `format % mapping` as supervisor applies it to config values:
// %(name)s with flags "#0- +", a width, a precision, an optional h/l/L and any
// of the conversions d i u o x X e E f F g G c s r a, plus %% for a literal
// percent sign. Deliberate difference: a conversion without a (name), such as
// "%s", is an error here (Python would print the whole mapping).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "util/result.h"

namespace tend {

using ExpandValue = std::variant<std::string, int64_t>;
using Expansions = std::map<std::string, ExpandValue>;

// `what` names the value in messages, e.g. "program:web.command". Errors:
//   Format string '<s>' for '<what>' contains names ('x') which cannot be
//   expanded. Available names: a, b, c
//   Format string '<s>' for '<what>' is badly formatted: <reason>
Result<std::string> expand(std::string_view format, const Expansions& names, std::string_view what);

}  // namespace tend
