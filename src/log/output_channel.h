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
//  6. the event hook, with the chunk as read (not stripped: ProcessOutput
//     events carry the bytes; a listener's stdout is its protocol, and
//     PROCESS_LOG payloads are stripped per chunk where they are rendered).
// Steps 2-5 all see the same (stripped) data. A failing log file write is
// reported on the main log at ERRO once, until a write succeeds again; it never
// stops the other steps. The bytes the file did not take are counted, and the
// first write that succeeds again logs at WARN "resumed writing <path>: <n>
// bytes were dropped while it could not be written". That state outlives
// open(), so a program that respawns while its disk is full is not reported
// again.
//
// Capture mode (capture_maxbytes > 0, log/capture.h) looks for the tokens in
// the raw bytes first, as supervisord does, and the hook gets the pieces
// between them, never a token. Ordinary output takes the steps above; a
// block's bytes go only to the capture buffer (stripped), the main log's
// debug copy (4) and the event hook (6): supervisord swaps the child log (file
// and syslog) for the buffer and leaves the rest as it is, and tend's console
// (3) counts as part of the child log. At END the block hook gets the block,
// "'<name>' <channel> emitted a comm event" goes to the main log at DEBG, and
// the buffer is emptied. open() starts a new run outside a block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "log/capture.h"
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
  std::string namespec;  // "group:name" or "name"; what JSON console records call it ("" = process_name)
  Stream stream = Stream::Stdout;
  std::string logfile;   // absolute path (AUTO already resolved); "" = no file (NONE)
  int64_t maxbytes = 0;  // *_logfile_maxbytes
  int backups = 0;       // *_logfile_backups
  bool strip_ansi = false;
  bool syslog = false;   // *_syslog
  bool console = false;  // console_output on for this program
  int64_t capture_maxbytes = 0;  // *_capture_maxbytes; 0: no capture mode
};

struct OutputSinks {
  Logger* logger = nullptr;       // the main log; nullptr: no copy, no error reports
  ConsoleMux* console = nullptr;  // needed when options.console
  SyslogSink* syslog = nullptr;   // nullptr: system_syslog()
};

class OutputChannel {
 public:
  static constexpr size_t k_max_syslog_partial = 16 * 1024;
  // Called with every piece of output as read (capture-mode tokens taken out).
  using Hook = std::function<void(std::string_view process, Stream stream, std::string_view data)>;
  // Called with each complete capture-mode block (stripped, at most capture_maxbytes).
  using BlockHook = std::function<void(Stream stream, std::string_view block)>;

  OutputChannel(OutputChannelOptions opts, OutputSinks sinks);
  OutputChannel(const OutputChannel&) = delete;  // the capture state points back at it
  OutputChannel& operator=(const OutputChannel&) = delete;

  // Opens the log file, if any ("unable to open <path>: <reason>" on failure;
  // the channel then works without a file). Call at spawn, like supervisord.
  Status open();

  void on_data(std::string_view chunk);
  void on_eof();
  void set_hook(Hook hook) { m_hook = std::move(hook); }
  // The pid of the process writing now, for the console's JSON records.
  void set_pid(long pid) { m_pid = pid; }
  void set_block_hook(BlockHook hook) { m_block_hook = std::move(hook); }

  // SIGUSR2 / external rotation (also retries a file that failed to open);
  // clearProcessLogs, which also empties a block being captured. No-ops
  // without a configured file.
  Status reopen();
  Status clear();

  const OutputChannelOptions& options() const { return m_opts; }
  // Bytes handed to on_data() since the channel was made (capture-mode
  // tokens included): what the program wrote on this stream, across runs.
  uint64_t bytes_received() const { return m_bytes_received; }
  // Capture mode only: whether a block is open.
  bool in_block() const { return m_capture && m_capture->scanner.in_block(); }
  // The open log file, or nullptr (none configured, or open() failed / not called).
  RotatingFile* file() { return m_file ? &*m_file : nullptr; }

 private:
  // A chunk of ordinary output: stripped, then every step.
  void take_text(std::string_view chunk);
  // A piece of a block: stripped, then the buffer, the debug copy and the hook.
  void take_captured(std::string_view chunk);
  void end_block();
  void deliver(std::string_view data);
  // Step 2: the log file, with the failure report and the drop count.
  void write_file(std::string_view data);
  void debug_copy(std::string_view data);
  void to_syslog(std::string_view data);
  // The name the console shows: the namespec in JSON records.
  std::string_view console_name() const;

  // Routes what the scanner finds back into the channel.
  struct Capture final : CaptureSink {
    Capture(OutputChannel& ch, int64_t maxbytes) : channel(ch), buffer(maxbytes) {}
    void text(std::string_view data) override { channel.take_text(data); }
    void captured(std::string_view data) override { channel.take_captured(data); }
    void block_end() override { channel.end_block(); }
    OutputChannel& channel;
    CaptureScanner scanner;
    CaptureBuffer buffer;
  };

  // Per-channel state stays small: a daemon holds two channels per program.
  // Scratch space for stripped data is shared by all channels (see
  // output_channel.cc), so no channel keeps a chunk-sized buffer of its own.
  OutputChannelOptions m_opts;
  OutputSinks m_sinks;
  std::optional<RotatingFile> m_file;
  std::string m_syslog_partial;  // a line still waiting for its '\n'
  Hook m_hook;
  BlockHook m_block_hook;
  std::unique_ptr<Capture> m_capture;  // only in capture mode
  AnsiStripper m_stripper;
  long m_pid = 0;
  uint64_t m_bytes_received = 0;
  bool m_file_failing = false;
  uint64_t m_dropped_bytes = 0;  // not written since m_file_failing was set
};

}  // namespace tend
