// ConsoleMux: tend's console_output feature. Child output is copied to tend's
// own stdout (stdout channel) or stderr (stderr channel), one line at a time,
// in one of two forms (console_output_format):
//  - Prefix: "name | line", the way docker compose shows it;
//  - Json: one JSON object per line (log/json_line.h), with "program" the
//    name given to write() (the supervisor passes the namespec), "level"
//    "info" for stdout and "error" for stderr, "partial":true on the pieces
//    of a cut line and on a last line without '\n'. A record is at most
//    k_max_json_record bytes, '\n' included: Docker and containerd split a
//    longer line of a container's output, which would leave two pieces that
//    are not JSON. A piece whose record would be longer (escapes, msg_b64)
//    is halved, between characters, until its records fit.
//
// Contract:
//  - Only whole lines are written, each as one write() of prefix + line + '\n',
//    so output of different programs never interleaves inside a line (and a
//    line up to PIPE_BUF is atomic against other writers of the same pipe).
//  - A partial line is kept per (program, channel) until its '\n' arrives, so
//    a line (and a UTF-8 character) split across reads comes out whole. A
//    line longer than k_max_partial bytes is written in pieces of at most
//    that size, each a line of its own ('\n' added), which bounds memory; a
//    piece ends at a UTF-8 character boundary when the text is UTF-8, so
//    each piece is valid text on its own. flush() writes what is left, '\n'
//    added.
//  - Blocking policy: a blocking console fd (the usual case: a pipe that docker
//    or a terminal reads) may block the daemon while it is full, as with any
//    log written to /dev/stdout. On a non-blocking fd, a line that finds the pipe
//    full (EAGAIN before any byte is written) is dropped and counted in
//    dropped_lines(); once part of a line is written, the rest is waited for so
//    the stream never carries a torn line. Other write errors (EPIPE, EBADF)
//    also drop and count.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "log/stream.h"

namespace tend {

enum class ConsoleFormat { Prefix, Json };

class ConsoleMux {
 public:
  static constexpr size_t k_max_partial = 16 * 1024;
  static constexpr size_t k_max_json_record = 16 * 1024;

  explicit ConsoleMux(int out_fd = 1, int err_fd = 2) : m_fds{out_fd, err_fd} {}

  // Names shorter than width are padded with spaces so the '|' columns line up.
  void set_name_width(size_t width) { m_width = width; }
  size_t name_width() const { return m_width; }
  void set_format(ConsoleFormat format) { m_format = format; }
  ConsoleFormat format() const { return m_format; }

  // Takes one chunk of a program's output on one channel; pid (0: none) goes
  // into the JSON records of the lines this chunk completes.
  void write(std::string_view program, Stream stream, std::string_view data, long pid = 0);
  // Writes the remaining partial lines of a program (process exit).
  void flush(std::string_view program);
  void flush(std::string_view program, Stream stream, long pid = 0);
  // Forgets a program's partial lines without writing them (program removed).
  void forget(std::string_view program);

  int64_t dropped_lines() const { return m_dropped; }

 private:
  // `cut`: the line goes on in the next piece (or ended without '\n').
  void emit(std::string_view program, Stream stream, std::string_view line, long pid, bool cut);
  void emit_json(std::string_view program, Stream stream, std::string_view line, long pid, bool cut,
                 std::chrono::system_clock::time_point ts);
  // Writes m_scratch to the stream's fd (counting a drop).
  void write_scratch(Stream stream);
  // Adds data (no '\n' in it) to the partial line, writing out full pieces.
  void append_partial(std::string_view program, Stream stream, std::string& partial, std::string_view data,
                      long pid);

  std::array<int, 2> m_fds;
  size_t m_width = 0;
  ConsoleFormat m_format = ConsoleFormat::Prefix;
  int64_t m_dropped = 0;
  std::map<std::string, std::array<std::string, 2>, std::less<>> m_partial;
  std::string m_scratch;  // reused output buffer
};

}  // namespace tend
