// OutputChannel: what happens to the bytes a child writes on one of its output
// pipes (stdout or stderr). The core reads the pipe and hands each chunk to
// on_data(); it calls on_eof() when the pipe closes. The channel never reads or
// polls an fd itself.
//
// For each chunk, in order:
//  1. strip_ansi: drop "ESC [" ... up to and including the first of
//     H f A B C D R s u J K h l p m. Unlike supervisord, the state carries
//     across chunks, so an escape split between two reads is still removed.
//  2. the channel's log file (raw bytes, no timestamps), if one is configured;
//  3. the ConsoleMux, if console output is on for this channel;
//  4. the main log at DEBG as "'<name>' <channel> output:\n<data>", only when
//     the logger is at debug or lower;
//  5. syslog, "<name> <line>" per complete line (partial lines wait for their
//     '\n', up to 16 KiB, and are sent at EOF);
//  6. the event hook (future PROCESS_LOG_STDOUT/STDERR events).
// Steps 2-6 all see the same (stripped) data. A failing log file write is
// reported on the main log at ERRO once, until a write succeeds again; it never
// stops the other steps.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "log/console.h"
#include "log/logger.h"
#include "log/rotating_file.h"
#include "log/stream.h"
#include "log/syslog_sink.h"
#include "util/result.h"

namespace tend {

// Removes ANSI CSI sequences from a byte stream fed in pieces.
class AnsiStripper {
 public:
  // Appends the visible bytes of chunk to out.
  void feed(std::string_view chunk, std::string& out);
  // End of stream: a lone trailing ESC is visible text after all.
  void finish(std::string& out);

 private:
  enum class State { Text, Esc, Csi };
  State m_state = State::Text;
};

struct OutputChannelOptions {
  std::string process_name;
  Stream stream = Stream::Stdout;
  std::string logfile;   // absolute path (AUTO already resolved); "" = no file (NONE)
  int64_t maxbytes = 0;  // *_logfile_maxbytes
  int backups = 0;       // *_logfile_backups
  bool strip_ansi = false;
  bool syslog = false;   // *_syslog
  bool console = false;  // console_output on for this program
};

struct OutputSinks {
  Logger* logger = nullptr;       // the main log; nullptr: no copy, no error reports
  ConsoleMux* console = nullptr;  // needed when options.console
  SyslogSink* syslog = nullptr;   // nullptr: system_syslog()
};

class OutputChannel {
 public:
  static constexpr size_t k_max_syslog_partial = 16 * 1024;
  // Called with the (stripped) data of every chunk.
  using Hook = std::function<void(std::string_view process, Stream stream, std::string_view data)>;

  OutputChannel(OutputChannelOptions opts, OutputSinks sinks);

  // Opens the log file, if any ("unable to open <path>: <reason>" on failure;
  // the channel then works without a file). Call at spawn, like supervisord.
  Status open();

  void on_data(std::string_view chunk);
  void on_eof();
  void set_hook(Hook hook) { m_hook = std::move(hook); }

  // SIGUSR2 / external rotation (also retries a file that failed to open);
  // clearProcessLogs. No-ops without a configured file.
  Status reopen();
  Status clear();

  const OutputChannelOptions& options() const { return m_opts; }
  // The open log file, or nullptr (none configured, or open() failed / not called).
  RotatingFile* file() { return m_file ? &*m_file : nullptr; }

 private:
  void deliver(std::string_view data);
  void to_syslog(std::string_view data);

  // Per-channel state stays small: a daemon holds two channels per program.
  // Scratch space for stripped data is shared by all channels (see
  // output_channel.cc), so no channel keeps a chunk-sized buffer of its own.
  OutputChannelOptions m_opts;
  OutputSinks m_sinks;
  std::optional<RotatingFile> m_file;
  std::string m_syslog_partial;  // a line still waiting for its '\n'
  Hook m_hook;
  AnsiStripper m_stripper;
  bool m_file_failing = false;
};

}  // namespace tend
