// ConsoleMux: tend's console_output feature. Child output is copied to tend's
// own stdout (stdout channel) or stderr (stderr channel), each line prefixed
// "name | " the way docker compose does it.
//
// Contract:
//  - Only whole lines are written, each as one write() of prefix + line + '\n',
//    so output of different programs never interleaves inside a line (and a
//    line up to PIPE_BUF is atomic against other writers of the same pipe).
//  - A partial line is kept per (program, channel) until its '\n' arrives. One
//    that reaches k_max_partial bytes is written as a line of its own ('\n'
//    added), which bounds memory. flush() writes what is left, '\n' added.
//  - Blocking policy: a blocking console fd (the usual case: a pipe that docker
//    or a terminal reads) may block the daemon while it is full, as with any
//    log written to /dev/stdout. On a non-blocking fd, a line that finds the pipe
//    full (EAGAIN before any byte is written) is dropped and counted in
//    dropped_lines(); once part of a line is written, the rest is waited for so
//    the stream never carries a torn line. Other write errors (EPIPE, EBADF)
//    also drop and count.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "log/stream.h"

namespace tend {

class ConsoleMux {
 public:
  static constexpr size_t k_max_partial = 16 * 1024;

  explicit ConsoleMux(int out_fd = 1, int err_fd = 2) : m_fds{out_fd, err_fd} {}

  // Names shorter than width are padded with spaces so the '|' columns line up.
  void set_name_width(size_t width) { m_width = width; }
  size_t name_width() const { return m_width; }

  // Takes one chunk of a program's output on one channel.
  void write(std::string_view program, Stream stream, std::string_view data);
  // Writes the remaining partial lines of a program (process exit).
  void flush(std::string_view program);
  void flush(std::string_view program, Stream stream);
  // Forgets a program's partial lines without writing them (program removed).
  void forget(std::string_view program);

  int64_t dropped_lines() const { return m_dropped; }

 private:
  void emit(std::string_view program, Stream stream, std::string_view line);
  void append_partial(std::string_view program, Stream stream, std::string& partial, std::string_view data);

  std::array<int, 2> m_fds;
  size_t m_width = 0;
  int64_t m_dropped = 0;
  std::map<std::string, std::array<std::string, 2>, std::less<>> m_partial;
  std::string m_scratch;  // reused output buffer
};

}  // namespace tend
