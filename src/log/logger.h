// Logger: tend's main log (supervisord's "logfile"). Lines look like
//   2026-11-26 16:22:15,715 INFO spawned: 'good' with pid 8585
// (local time, milliseconds truncated, level tag, message, '\n').
//
// Contract:
//  - Levels and their numbers are supervisord's; a message is emitted when its
//    level >= the threshold.
//  - Until open() succeeds (and again after close(), e.g. during a reload),
//    messages of every level are queued with their timestamps (bounded to
//    k_max_pending, oldest dropped); open() writes the queued ones that pass the
//    new threshold, in order.
//  - Targets: a RotatingFile (logfile, maxbytes, backups), or syslog(3) when the
//    logfile is "syslog" (one message per line of text, each "<asctime> <LEVEL>
//    <line>", like supervisord), or nothing when logfile is "".
//  - echo_stdout (nodaemon and not silent) also writes each line to the echo fd
//    (1) in one write() (waiting, not dropping, if the fd is full). Deliberate fix: when the log file *is* that same open
//    target (logfile=/dev/stdout), the line is written once, not twice.
//  - A failing write is reported once on stderr ("tend: unable to write ...")
//    until a write succeeds again; logging never fails the caller. The lines
//    the file did not take are counted, and the first line written again is
//    followed by a WARN line (whatever the level): "resumed writing <path>: <n>
//    lines (<b> bytes) were dropped while it could not be written".
//  - Single-threaded, like the rest of the daemon.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <fmt/format.h>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "log/level.h"
#include "log/rotating_file.h"
#include "log/syslog_sink.h"
#include "util/result.h"

namespace tend {


// "critical" "error" "warn" "info" "debug" "trace" "blather", any case.
// Anything else ("warning", "") is nullopt, as supervisord rejects it.
std::optional<Level> parse_level(std::string_view name);
// The config spelling ("info") and the four-letter tag ("INFO") of a level.
std::string_view level_name(Level level);
std::string_view level_tag(Level level);

using WallTime = std::chrono::system_clock::time_point;

// "YYYY-MM-DD HH:MM:SS,mmm" in local time (the TZ of the process).
std::string format_timestamp(WallTime t);
// The full main-log line, newline included.
std::string format_log_line(WallTime t, Level level, std::string_view msg);

struct LoggerOptions {
  std::string logfile;       // a path, "syslog", or "" for no file
  int64_t maxbytes = 0;      // logfile_maxbytes
  int backups = 0;           // logfile_backups
  Level level = Level::Info;
  bool echo_stdout = false;  // nodaemon && !silent
  int echo_fd = 1;           // where echo_stdout writes (tests redirect it)
  SyslogSink* syslog = nullptr;  // nullptr: system_syslog()
};

class Logger {
 public:
  static constexpr size_t k_max_pending = 10000;

  Logger() = default;
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // Opens the targets and flushes the queue. On error ("unable to open <path>:
  // <reason>") nothing changes: the logger keeps queueing.
  Status open(const LoggerOptions& opts);
  // Closes the targets; later messages queue until the next open().
  void close();
  bool is_open() const { return m_open; }

  Level level() const { return m_opts.level; }
  void set_level(Level level) { m_opts.level = level; }
  // Whether a message at this level would be kept. True for everything while
  // not open, since the threshold is not known yet.
  bool enabled(Level level) const { return !m_open || level >= m_opts.level; }

  void log(Level level, std::string_view msg);
  // For messages whose time was taken earlier (and tests).
  void log_at(WallTime t, Level level, std::string_view msg);

  template <typename... A>
  void critical(fmt::format_string<A...> f, A&&... a) { logf(Level::Critical, f, std::forward<A>(a)...); }
  template <typename... A>
  void error(fmt::format_string<A...> f, A&&... a) { logf(Level::Error, f, std::forward<A>(a)...); }
  template <typename... A>
  void warn(fmt::format_string<A...> f, A&&... a) { logf(Level::Warn, f, std::forward<A>(a)...); }
  template <typename... A>
  void info(fmt::format_string<A...> f, A&&... a) { logf(Level::Info, f, std::forward<A>(a)...); }
  template <typename... A>
  void debug(fmt::format_string<A...> f, A&&... a) { logf(Level::Debug, f, std::forward<A>(a)...); }
  template <typename... A>
  void trace(fmt::format_string<A...> f, A&&... a) { logf(Level::Trace, f, std::forward<A>(a)...); }
  template <typename... A>
  void blather(fmt::format_string<A...> f, A&&... a) { logf(Level::Blather, f, std::forward<A>(a)...); }

  // Reopens the log file (SIGUSR2). No-op for syslog / no file.
  Status reopen();
  // Removes and recreates the log file (supervisor.clearLog).
  Status clear();
  // The logfile as configured ("" if none, "syslog" for syslog).
  const std::string& path() const { return m_opts.logfile; }
  // The open file, if the target is a file (tailing, rotation checks).
  RotatingFile* file() { return m_file ? &*m_file : nullptr; }

  // Called with each line as it is written (newline included; not while
  // queueing before open()). The web console's main-log stream is fed from
  // here; the observer must not log. nullptr removes it.
  void set_line_observer(std::function<void(std::string_view line)> observer) { m_observer = std::move(observer); }

  size_t pending() const { return m_pending.size(); }
  // Writes the queued lines to fd (e.g. stderr when the config fails to load
  // and the log is never opened) and empties the queue.
  void flush_pending_to(int fd);

 private:
  struct Pending {
    WallTime time;
    Level level;
    std::string msg;
  };

  template <typename... A>
  void logf(Level level, fmt::format_string<A...> f, A&&... a) {
    if (enabled(level)) {
      log(level, fmt::format(f, std::forward<A>(a)...));
    }
  }
  void emit(WallTime t, Level level, std::string_view msg);
  void report_failure(const std::string& what);

  LoggerOptions m_opts;
  bool m_open = false;
  bool m_syslog = false;
  bool m_echo = false;  // echo_stdout and the echo fd is not the log file itself
  std::optional<RotatingFile> m_file;
  std::deque<Pending> m_pending;
  bool m_failing = false;  // a write error was reported and none succeeded since
  // What the file did not take while m_failing: lines not wholly written, bytes.
  uint64_t m_dropped_lines = 0;
  uint64_t m_dropped_bytes = 0;
  std::function<void(std::string_view)> m_observer;
};

// The one process-wide main logger (the daemon is single-threaded).
Logger& main_logger();

}  // namespace tend
