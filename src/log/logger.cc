#include "log/logger.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cctype>

#include "log/json_line.h"

namespace tend {
namespace {

struct LevelInfo {
  Level level;
  std::string_view name;
  std::string_view tag;
};

constexpr std::array<LevelInfo, 7> k_levels{{
    {Level::Critical, "critical", "CRIT"},
    {Level::Error, "error", "ERRO"},
    {Level::Warn, "warn", "WARN"},
    {Level::Info, "info", "INFO"},
    {Level::Debug, "debug", "DEBG"},
    {Level::Trace, "trace", "TRAC"},
    {Level::Blather, "blather", "BLAT"},
}};

bool same_file(int a, int b) {
  struct stat sa {};
  struct stat sb {};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  std::string lower;
  for (char c : name) {
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (const LevelInfo& li : k_levels) {
    if (li.name == lower) {
      return li.level;
    }
  }
  return std::nullopt;
}

std::string_view level_name(Level level) {
  for (const LevelInfo& li : k_levels) {
    if (li.level == level) {
      return li.name;
    }
  }
  return "info";
}

std::string_view level_tag(Level level) {
  for (const LevelInfo& li : k_levels) {
    if (li.level == level) {
      return li.tag;
    }
  }
  return "INFO";
}

std::string format_timestamp(WallTime t) {
  EpochMs e = split_epoch_ms(t);
  struct tm tm {};
  ::localtime_r(&e.secs, &tm);
  return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d},{:03d}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, e.ms);
}

std::string format_log_line(WallTime t, Level level, std::string_view msg) {
  return fmt::format("{} {} {}\n", format_timestamp(t), level_tag(level), msg);
}

std::string format_json_log_line(WallTime t, Level level, std::string_view msg) {
  JsonRecord r;
  r.ts = t;
  r.level = level_name(level);
  r.msg = msg;
  std::string line;
  append_json_record(line, r);
  return line;
}

Status Logger::open(const LoggerOptions& opts) {
  ::tzset();
  std::optional<RotatingFile> file;
  bool syslog = opts.logfile == "syslog";
  if (!syslog && !opts.logfile.empty()) {
    Result<RotatingFile> f = RotatingFile::open(opts.logfile, opts.maxbytes, opts.backups);
    if (!f) {
      return make_error(f.error());
    }
    file.emplace(std::move(*f));
  }
  m_opts = opts;
  m_file = std::move(file);
  m_syslog = syslog;
  m_echo = opts.echo_stdout && !(m_file && same_file(m_file->fd(), opts.echo_fd));
  m_open = true;
  m_failing = false;
  m_dropped_lines = 0;
  m_dropped_bytes = 0;
  std::deque<Pending> queued = std::move(m_pending);
  m_pending.clear();
  for (const Pending& p : queued) {
    if (p.level >= m_opts.level) {
      emit(p.time, p.level, p.msg);
    }
  }
  return ok_status();
}

void Logger::close() {
  m_file.reset();
  m_open = false;
  m_syslog = false;
  m_echo = false;
}

void Logger::log(Level level, std::string_view msg) { log_at(std::chrono::system_clock::now(), level, msg); }

void Logger::log_at(WallTime t, Level level, std::string_view msg) {
  if (!m_open) {
    if (m_pending.size() >= k_max_pending) {
      m_pending.pop_front();
    }
    m_pending.push_back(Pending{t, level, std::string(msg)});
    return;
  }
  if (level >= m_opts.level) {
    emit(t, level, msg);
    if (m_observer) {
      m_observer(format_log_line(t, level, msg));
    }
  }
}

void Logger::emit(WallTime t, Level level, std::string_view msg) {
  if (m_syslog) {
    SyslogSink& sink = m_opts.syslog != nullptr ? *m_opts.syslog : system_syslog();
    send_lines(sink, fmt::format("{} {} ", format_timestamp(t), level_tag(level)), msg);
  }
  if (!m_file && !m_echo) {
    return;
  }
  std::string line =
      m_opts.format == LogFormat::Json ? format_json_log_line(t, level, msg) : format_log_line(t, level, msg);
  if (m_echo) {
    // Best effort: a closed stdout must not stop the file from getting the line.
    write_all(m_opts.echo_fd, line);
  }
  if (m_file) {
    size_t written = 0;
    Status st = m_file->write(line, &written);
    if (!st) {
      if (written < line.size()) {
        ++m_dropped_lines;
        m_dropped_bytes += line.size() - written;
      }
      report_failure(st.error());
    } else if (m_failing) {
      m_failing = false;
      std::string notice = fmt::format(
          "resumed writing {}: {} lines ({} bytes) were dropped while it could not be written", m_file->path(),
          m_dropped_lines, m_dropped_bytes);
      m_dropped_lines = 0;
      m_dropped_bytes = 0;
      emit(t, Level::Warn, notice);
    }
  }
}

void Logger::report_failure(const std::string& what) {
  if (m_failing) {
    return;
  }
  m_failing = true;
  write_all(2, fmt::format("tend: {}\n", what));
}

Status Logger::reopen() {
  if (!m_file) {
    return ok_status();
  }
  return m_file->reopen();
}

Status Logger::clear() {
  if (!m_file) {
    return ok_status();
  }
  return m_file->clear();
}

void Logger::flush_pending_to(int fd) {
  for (const Pending& p : m_pending) {
    write_all(fd, format_log_line(p.time, p.level, p.msg));
  }
  m_pending.clear();
}

Logger& main_logger() {
  static Logger logger;
  return logger;
}

}  // namespace tend
