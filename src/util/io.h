// Small I/O helpers shared by the daemon, the logs and init mode.
#pragma once

#include <string_view>

namespace tend {

// Writes every byte: retries EINTR and short writes, and waits (poll) when a
// non-blocking fd is full. False with errno set on any other failure.
bool write_all(int fd, std::string_view data);

}  // namespace tend
