#include "log/output_channel.h"

#include <fmt/format.h>

#include <algorithm>

namespace tend {
namespace {

bool is_csi_terminator(char c) {
  switch (c) {
    case 'H': case 'f': case 'A': case 'B': case 'C': case 'D': case 'R':
    case 's': case 'u': case 'J': case 'K': case 'h': case 'l': case 'p': case 'm':
      return true;
    default:
      return false;
  }
}

constexpr char k_esc = '\x1b';

// Space for the stripped data of the chunk being delivered. Channels run on the
// loop thread only, so one buffer serves all of them instead of each channel
// keeping a chunk-sized string; a nested delivery (a hook that feeds another
// channel) gets a string of its own. The shared one keeps its capacity (at most
// one read chunk), so steady stripping allocates nothing.
class StripBuffer {
 public:
  StripBuffer() : m_nested(s_in_use), m_buf(m_nested ? m_own : s_shared) {
    s_in_use = true;
    m_buf.clear();
  }
  ~StripBuffer() {
    if (!m_nested) {
      s_in_use = false;
    }
  }
  StripBuffer(const StripBuffer&) = delete;
  StripBuffer& operator=(const StripBuffer&) = delete;

  std::string& get() { return m_buf; }

 private:
  static inline std::string s_shared;
  static inline bool s_in_use = false;
  bool m_nested;
  std::string m_own;
  std::string& m_buf;
};

}  // namespace

void AnsiStripper::feed(std::string_view chunk, std::string& out) {
  for (char c : chunk) {
    switch (m_state) {
      case State::Text:
        if (c == k_esc) {
          m_state = State::Esc;
        } else {
          out.push_back(c);
        }
        break;
      case State::Esc:
        if (c == '[') {
          m_state = State::Csi;
        } else if (c != k_esc) {  // not an escape after all: keep both bytes
          out.push_back(k_esc);
          out.push_back(c);
          m_state = State::Text;
        } else {
          out.push_back(k_esc);  // ESC ESC: the first is text, the second may start one
        }
        break;
      case State::Csi:
        if (is_csi_terminator(c)) {
          m_state = State::Text;
        }
        break;
    }
  }
}

void AnsiStripper::finish(std::string& out) {
  if (m_state == State::Esc) {
    out.push_back(k_esc);
  }
  m_state = State::Text;
}

OutputChannel::OutputChannel(OutputChannelOptions opts, OutputSinks sinks)
    : m_opts(std::move(opts)), m_sinks(sinks) {
  if (m_opts.capture_maxbytes > 0) {
    m_capture = std::make_unique<Capture>(*this, m_opts.capture_maxbytes);
  }
}

Status OutputChannel::open() {
  if (m_capture) {
    // Each run starts outside a block, as supervisord's new dispatchers do.
    m_capture->scanner.reset();
    m_capture->buffer.clear();
  }
  m_file.reset();
  if (m_opts.logfile.empty()) {
    return ok_status();
  }
  Result<RotatingFile> f = RotatingFile::open(m_opts.logfile, m_opts.maxbytes, m_opts.backups);
  if (!f) {
    return make_error(f.error());
  }
  m_file.emplace(std::move(*f));
  return ok_status();
}

void OutputChannel::on_data(std::string_view chunk) {
  m_bytes_received += chunk.size();
  if (m_capture) {
    m_capture->scanner.feed(chunk, *m_capture);
  } else {
    take_text(chunk);
  }
}

void OutputChannel::take_text(std::string_view chunk) {
  if (!m_opts.strip_ansi) {
    deliver(chunk);
  } else {
    StripBuffer stripped;
    m_stripper.feed(chunk, stripped.get());
    deliver(stripped.get());
  }
  if (m_hook) {
    m_hook(m_opts.process_name, m_opts.stream, chunk);
  }
}

void OutputChannel::take_captured(std::string_view chunk) {
  StripBuffer stripped;
  std::string_view data = chunk;
  if (m_opts.strip_ansi) {
    m_stripper.feed(chunk, stripped.get());
    data = stripped.get();
  }
  if (!data.empty()) {
    m_capture->buffer.append(data);
    debug_copy(data);
  }
  if (m_hook) {
    m_hook(m_opts.process_name, m_opts.stream, chunk);
  }
}

void OutputChannel::end_block() {
  if (m_block_hook) {
    m_block_hook(m_opts.stream, m_capture->buffer.view());
  }
  if (m_sinks.logger != nullptr && m_sinks.logger->enabled(Level::Debug)) {
    m_sinks.logger->log(Level::Debug,
                        fmt::format("'{}' {} emitted a comm event", m_opts.process_name, stream_name(m_opts.stream)));
  }
  m_capture->buffer.clear();
}

void OutputChannel::on_eof() {
  if (m_capture) {
    m_capture->scanner.finish(*m_capture);  // a held possible token start was data
  }
  if (m_opts.strip_ansi) {
    StripBuffer stripped;
    m_stripper.finish(stripped.get());
    deliver(stripped.get());
  }
  if (m_opts.console && m_sinks.console != nullptr) {
    m_sinks.console->flush(console_name(), m_opts.stream, m_pid);
  }
  if (!m_syslog_partial.empty()) {
    SyslogSink& sink = m_sinks.syslog != nullptr ? *m_sinks.syslog : system_syslog();
    sink.send(fmt::format("{} {}", m_opts.process_name, m_syslog_partial));
    std::string().swap(m_syslog_partial);
  }
}

void OutputChannel::deliver(std::string_view data) {
  if (data.empty()) {
    return;
  }
  if (m_file) {
    write_file(data);
  }
  if (m_opts.console && m_sinks.console != nullptr) {
    m_sinks.console->write(console_name(), m_opts.stream, data, m_pid);
  }
  debug_copy(data);
  if (m_opts.syslog) {
    to_syslog(data);
  }
}

std::string_view OutputChannel::console_name() const {
  bool json = m_sinks.console != nullptr && m_sinks.console->format() == ConsoleFormat::Json;
  return json && !m_opts.namespec.empty() ? m_opts.namespec : m_opts.process_name;
}

void OutputChannel::write_file(std::string_view data) {
  size_t written = 0;
  Status st = m_file->write(data, &written);
  if (!st) {
    m_dropped_bytes += data.size() - written;
    if (!m_file_failing && m_sinks.logger != nullptr) {
      m_sinks.logger->log(Level::Error, st.error());
    }
    m_file_failing = true;
  } else if (m_file_failing) {
    m_file_failing = false;
    if (m_sinks.logger != nullptr) {
      m_sinks.logger->log(Level::Warn,
                          fmt::format("resumed writing {}: {} bytes were dropped while it could not be written",
                                      m_file->path(), m_dropped_bytes));
    }
    m_dropped_bytes = 0;
  }
}

void OutputChannel::debug_copy(std::string_view data) {
  if (m_sinks.logger != nullptr && m_sinks.logger->enabled(Level::Debug)) {
    m_sinks.logger->log(Level::Debug,
                        fmt::format("'{}' {} output:\n{}", m_opts.process_name, stream_name(m_opts.stream), data));
  }
}

void OutputChannel::to_syslog(std::string_view data) {
  SyslogSink& sink = m_sinks.syslog != nullptr ? *m_sinks.syslog : system_syslog();
  std::string msg;
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      size_t room = k_max_syslog_partial - m_syslog_partial.size();
      m_syslog_partial.append(data.substr(0, room));
      data.remove_prefix(std::min(room, data.size()));
      if (m_syslog_partial.size() >= k_max_syslog_partial) {
        sink.send(fmt::format("{} {}", m_opts.process_name, m_syslog_partial));
        std::string().swap(m_syslog_partial);
      }
      continue;
    }
    msg = fmt::format("{} {}{}", m_opts.process_name, m_syslog_partial, data.substr(0, nl));
    std::string().swap(m_syslog_partial);  // a rare long partial line keeps no memory
    sink.send(msg);
    data.remove_prefix(nl + 1);
  }
}

Status OutputChannel::reopen() {
  if (!m_file) {
    return open();  // retries a file that failed to open at spawn; no-op without one
  }
  return m_file->reopen();
}

Status OutputChannel::clear() {
  if (m_capture) {
    m_capture->buffer.clear();
  }
  if (!m_file) {
    return ok_status();
  }
  return m_file->clear();
}

}  // namespace tend
