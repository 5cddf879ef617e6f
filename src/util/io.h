// Small I/O helpers shared by the daemon, the logs and init mode.
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace tend {

// Writes every byte: retries EINTR and short writes, and waits (poll) when a
// non-blocking fd is full. False with errno set on any other failure.
// `written`, when given, gets the number of bytes that were written, on
// success and on failure alike (a full disk can take part of the data).
bool write_all(int fd, std::string_view data, size_t* written = nullptr);

// The whole content of a file, read with plain read(2) (<fstream> would pull
// the locale machinery into the static binary). The error is strerror's text.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace tend
