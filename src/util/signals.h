// Signal names <-> numbers, as supervisord spells them ("SIGTERM").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tend {

// "SIGTERM" for 15; "SIGRTMIN+3" for real-time signals; "signal 99" if unknown.
std::string signal_name(int sig);
// Accepts "TERM", "sigterm", "SIGTERM", "15" (case-insensitive). nullopt if not a valid signal.
std::optional<int> signal_number(std::string_view text);

}  // namespace tend
