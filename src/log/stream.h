// Stream: which of a child's output pipes a chunk came from.
#pragma once

#include <string_view>

namespace tend {

enum class Stream { Stdout = 0, Stderr = 1 };

// "stdout" / "stderr", as used in log names and messages.
inline std::string_view stream_name(Stream s) { return s == Stream::Stdout ? "stdout" : "stderr"; }

}  // namespace tend
