#include "log/console.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "log/json_line.h"
#include "util/utf8.h"

namespace tend {
namespace {

enum class WriteOutcome { Written, Dropped };

// Writes buf whole, or nothing if the fd is non-blocking and full at the start.
WriteOutcome write_line(int fd, std::string_view buf) {
  bool started = false;
  while (!buf.empty()) {
    ssize_t n = ::write(fd, buf.data(), buf.size());
    if (n > 0) {
      started = true;
      buf.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!started) {
        return WriteOutcome::Dropped;
      }
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) {
        return WriteOutcome::Dropped;
      }
      continue;
    }
    return WriteOutcome::Dropped;
  }
  return WriteOutcome::Written;
}

}  // namespace

void ConsoleMux::emit(std::string_view program, Stream stream, std::string_view line, long pid, bool cut) {
  if (m_format == ConsoleFormat::Json) {
    emit_json(program, stream, line, pid, cut, std::chrono::system_clock::now());
    return;
  }
  m_scratch.assign(program);
  if (program.size() < m_width) {
    m_scratch.append(m_width - program.size(), ' ');
  }
  m_scratch.append(" | ");
  m_scratch.append(line);
  m_scratch.push_back('\n');
  write_scratch(stream);
}

void ConsoleMux::emit_json(std::string_view program, Stream stream, std::string_view line, long pid, bool cut,
                           std::chrono::system_clock::time_point ts) {
  m_scratch.clear();
  append_json_record(m_scratch, JsonRecord{.ts = ts,
                                           .level = stream == Stream::Stdout ? "info" : "error",
                                           .program = program,
                                           .stream = stream,
                                           .pid = pid,
                                           .msg = line,
                                           .partial = cut});
  if (m_scratch.size() > k_max_json_record && line.size() > 1) {
    // Escapes (and msg_b64) made it too long: halves, cut between characters.
    size_t half = utf8_complete_prefix(line.substr(0, line.size() / 2));
    if (half == 0) {
      half = line.size() / 2;
    }
    emit_json(program, stream, line.substr(0, half), pid, true, ts);
    emit_json(program, stream, line.substr(half), pid, cut, ts);
    return;
  }
  write_scratch(stream);
}

void ConsoleMux::write_scratch(Stream stream) {
  if (write_line(m_fds[static_cast<int>(stream)], m_scratch) == WriteOutcome::Dropped) {
    ++m_dropped;
  }
  if (m_scratch.capacity() > 4 * k_max_partial) {
    std::string().swap(m_scratch);  // do not keep a huge buffer after one long line
  }
}

void ConsoleMux::append_partial(std::string_view program, Stream stream, std::string& partial,
                                std::string_view data, long pid) {
  while (partial.size() + data.size() > k_max_partial) {
    size_t take = k_max_partial - partial.size();
    partial.append(data.substr(0, take));
    data.remove_prefix(take);
    // A character cut in two waits for the next piece (at most 3 bytes).
    size_t piece = utf8_complete_prefix(partial);
    emit(program, stream, std::string_view(partial).substr(0, piece), pid, true);
    partial.erase(0, piece);
  }
  partial.append(data);
}

void ConsoleMux::write(std::string_view program, Stream stream, std::string_view data, long pid) {
  if (data.empty()) {
    return;
  }
  auto it = m_partial.find(program);
  if (it == m_partial.end()) {
    it = m_partial.emplace(std::string(program), std::array<std::string, 2>{}).first;
  }
  std::string& partial = it->second[static_cast<int>(stream)];
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == std::string_view::npos) {
      append_partial(program, stream, partial, data, pid);
      return;
    }
    std::string_view line = data.substr(0, nl);
    if (partial.empty() && line.size() <= k_max_partial) {
      emit(program, stream, line, pid, false);
    } else {
      append_partial(program, stream, partial, line, pid);
      emit(program, stream, partial, pid, false);
      partial.clear();
    }
    data.remove_prefix(nl + 1);
  }
}

void ConsoleMux::flush(std::string_view program, Stream stream, long pid) {
  auto it = m_partial.find(program);
  if (it == m_partial.end()) {
    return;
  }
  std::string& partial = it->second[static_cast<int>(stream)];
  if (!partial.empty()) {
    emit(program, stream, partial, pid, true);
    partial.clear();
  }
}

void ConsoleMux::flush(std::string_view program) {
  flush(program, Stream::Stdout);
  flush(program, Stream::Stderr);
  forget(program);
}

void ConsoleMux::forget(std::string_view program) {
  auto it = m_partial.find(program);
  if (it != m_partial.end()) {
    m_partial.erase(it);
  }
}

}  // namespace tend
