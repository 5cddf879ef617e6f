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
// Transitional: sys/exit_status.h declares and sys/exit_status.cc defines this;
// core still finds it through this header. Delete once core includes
// sys/exit_status.h (util must not include sys).
std::string describe_wait_status(int wait_status);

}  // namespace tend
