// Reading log files for the XML-RPC log methods, with supervisord's
// readFile/tailFile arithmetic, without ever blocking the loop: only regular
// files are read (a FIFO or tty behind a log path is a failure, not a hang),
// with pread() on a descriptor opened O_NONBLOCK.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace tend::rpc {

// Why read_log_range failed: the fault supervisord would raise.
enum class ReadError { BadArguments, Failed };

struct ReadResult {
  bool ok = false;
  ReadError error = ReadError::Failed;
  std::string data;  // raw bytes
};

// supervisord's readFile:
//  offset >= 0, length == 0: from offset to the end of the file;
//  offset >= 0, length > 0:  up to length bytes from offset;
//  offset < 0, length == 0:  the last |offset| bytes;
//  offset < 0 with length != 0, or a negative length: BadArguments;
//  the file cannot be opened or read: Failed (checked before the arguments,
//  as supervisord opens the file first).
ReadResult read_log_range(const std::string& path, int64_t offset, int64_t length);

struct TailResult {
  std::string data;  // raw bytes
  int64_t offset = 0;
  bool overflow = false;
};

// supervisord's tailFile: when the file holds more than offset+length bytes,
// overflow is set and the last `length` bytes are returned; otherwise the
// bytes from offset (at most length) up to the end. The returned offset is
// the file size. An unreadable file gives {"", offset (as adjusted), false}.
TailResult tail_log(const std::string& path, int64_t offset, int64_t length);

// Makes log bytes safe for an XML-RPC string: invalid UTF-8 sequences and
// characters XML 1.0 cannot carry (C0 controls other than TAB, LF, CR; U+FFFE,
// U+FFFF) become U+FFFD. supervisord instead fails the request (HTTP 500)
// for invalid UTF-8 and emits raw control bytes that clients cannot parse.
std::string sanitize_for_xml(std::string_view bytes);

}  // namespace tend::rpc
