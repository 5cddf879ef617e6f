// S6ServiceDir: tend standing in for s6-supervise on an s6 service directory,
// as far as s6's readiness helpers need one. s6-notifyoncheck (run by the
// program, with the service directory as its working directory) refuses to
// start unless `supervise/lock` is locked by its supervisor, and subscribes
// to the fifodir `event/` to learn when the service goes down. So, for a
// program with ready = fd:N whose `directory` has a `supervise/`
// subdirectory, tend:
//  - holds a write lock on supervise/lock (created 0644 if missing) for as
//    long as the program is configured (an open-file-description lock, so
//    two programs or a stray close elsewhere in tend cannot drop it);
//  - writes s6's event bytes to every fifo in event/: 'u' once spawned, 'U'
//    once ready, 'd' once the process is gone (s6-notifyoncheck then stops
//    polling).
// What the user provides (docs/containers.md): supervise/, event/ (writable
// by the program's user), notification-fd holding N, and data/check.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "util/fd.h"
#include "util/result.h"

namespace tend::health {

class S6ServiceDir {
 public:
  // nullptr when `dir` has no supervise/ subdirectory (not a service directory).
  static Result<std::unique_ptr<S6ServiceDir>> claim(const std::string& dir);

  // Best effort: a fifo without a reader, or none at all, is skipped.
  void announce(char event) const;
  const std::string& dir() const { return m_dir; }

 private:
  S6ServiceDir(std::string dir, Fd lock) : m_dir(std::move(dir)), m_lock(std::move(lock)) {}
  std::string m_dir;
  Fd m_lock;
};

// The number in `dir`/notification-fd, if that file exists and holds one.
std::optional<int> read_notification_fd_file(const std::string& dir);

}  // namespace tend::health
