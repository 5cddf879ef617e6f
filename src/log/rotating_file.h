// RotatingFile: an append-only log file that rolls over by size, the way
// supervisord names its backups (name, name.1 = newest backup, name.2 = older...).
//
// Contract:
//  - open() opens the path with O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC|O_NOCTTY and
//    mode 0666 (the umask applies, as with Python's open(path, "ab")).
//  - write() writes every byte (retries EINTR and short writes) before it checks
//    the size; rotation therefore happens only between writes and never splits or
//    drops data. A file may overshoot maxbytes by up to one write.
//  - Rotation (with backups) links the file to name.1 and renames a fresh file
//    over name, so the path exists at every moment; where hard links fail it
//    falls back to rename + reopen.
//  - Rotation happens only for regular files with maxbytes > 0. Anything else
//    (a pipe behind /dev/stdout, a FIFO, a tty, /dev/null) is written to and never
//    rotated, and no seek is ever made, so the "Illegal seek" failure of
//    supervisord (#935, #1078) cannot happen.
//  - The size is tracked as fstat() size at open + bytes written since.
//  - /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N that cannot be
//    open()ed (a socket gives ENXIO) fall back to dup()ing our own fd N.
//  - Errors read "unable to <verb> <path>: <strerror>".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/fd.h"
#include "util/io.h"
#include "util/result.h"

namespace tend {

class RotatingFile {
 public:
  // maxbytes <= 0: never rotate. backups <= 0: rotation just truncates.
  static Result<RotatingFile> open(std::string path, int64_t maxbytes = 0, int backups = 0);

  RotatingFile(RotatingFile&&) noexcept = default;
  RotatingFile& operator=(RotatingFile&&) noexcept = default;

  // Writes all of data, then rotates if due. On a write error some bytes may be
  // lost (that is what the error says); a rotation error leaves the current file
  // open and appends to it. `written`, when given, gets how many bytes of data
  // reached the file, whatever the result.
  Status write(std::string_view data, size_t* written = nullptr);

  // Closes and reopens the path in append mode (external rotation, SIGUSR2).
  // On failure the old descriptor stays in use.
  Status reopen();

  // Removes the file (only if it is a regular file: /dev/stdout is never
  // unlinked) and opens a fresh one. Backups are left alone.
  Status clear();

  // Rotates now, regardless of size (only for rotatable targets).
  Status rotate();

  const std::string& path() const { return m_path; }
  int64_t maxbytes() const { return m_maxbytes; }
  int backups() const { return m_backups; }
  // Bytes in the current file as we count them (0 for non-regular targets).
  int64_t size() const { return m_size; }
  // True for a regular file: rotation and clear() apply.
  bool seekable() const { return m_regular; }
  int fd() const { return m_fd.get(); }

 private:
  RotatingFile(std::string path, int64_t maxbytes, int backups)
      : m_path(std::move(path)), m_maxbytes(maxbytes), m_backups(backups) {}
  // Opens m_path (appending, or truncating) and swaps it in on success.
  Status open_current(bool truncate);
  // Makes fd the current file (size from fstat).
  Status adopt(Fd fd);
  // Rotation step for backups > 0: links the current file to `backup`, then
  // renames a fresh file over the path, so the path never goes missing; the
  // result is that of adopting the fresh file. nullopt when the filesystem
  // refuses (the path may then be unlinked, its data kept under `backup`): the
  // caller renames and reopens instead.
  std::optional<Status> swap_in_fresh_file(const std::string& backup);
  Status rotate_if_due();

  std::string m_path;
  int64_t m_maxbytes = 0;
  int m_backups = 0;
  Fd m_fd;
  bool m_regular = false;
  int64_t m_size = 0;
};


}  // namespace tend
