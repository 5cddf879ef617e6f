// SyslogSink: where tend sends syslog lines (main log with logfile=syslog, and
// child output with stdout_syslog/stderr_syslog). An interface so tests can
// record lines instead of talking to the system logger.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tend {

class SyslogSink {
 public:
  virtual ~SyslogSink() = default;
  // Sends one message; it should not contain a newline.
  virtual void send(std::string_view line) = 0;
};

// syslog(3) with facility LOG_USER and priority LOG_INFO, like supervisord.
// No openlog(): the ident is the program's short name. Stateless.
class PosixSyslog final : public SyslogSink {
 public:
  void send(std::string_view line) override;
};

// The process-wide PosixSyslog instance.
SyslogSink& system_syslog();

// Sends each line of text (split on '\n', trailing newlines dropped first) as
// its own message, each prefixed by prefix. An empty text sends one empty line,
// as supervisord does.
void send_lines(SyslogSink& sink, std::string_view prefix, std::string_view text);

// A sink that keeps what it was sent (tests).
class RecordingSyslog final : public SyslogSink {
 public:
  void send(std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};

}  // namespace tend
