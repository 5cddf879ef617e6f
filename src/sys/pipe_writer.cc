#include "sys/pipe_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tend {

namespace {
// A drained queue whose buffer grew beyond this gives the memory back: one
// large sendProcessStdin must not pin megabytes for the life of the process.
constexpr size_t k_keep_capacity = 64 * 1024;
}  // namespace

PipeWriter::PipeWriter(EventLoop& loop, Fd fd, std::string what, size_t limit)
    : m_loop(loop), m_fd(std::move(fd)), m_what(std::move(what)), m_limit(limit) {
  if (!m_fd) {
    m_closed_reason = "no file descriptor";
    return;
  }
  // A blocking write to a full pipe would stall the whole loop.
  int flags = fcntl(m_fd.get(), F_GETFL);
  if (flags < 0 || ((flags & O_NONBLOCK) == 0 && fcntl(m_fd.get(), F_SETFL, flags | O_NONBLOCK) != 0)) {
    m_closed_reason = fmt::format("unable to make it non-blocking: {}", strerror(errno));
    m_fd.close();
  }
}

PipeWriter::~PipeWriter() { stop_watching(); }

Status PipeWriter::write(std::string_view data) {
  if (closed()) {
    return make_error(fmt::format("unable to write to {}: {}", m_what, m_closed_reason));
  }
  if (data.size() > m_limit - pending()) {
    return make_error(fmt::format("unable to queue {} bytes for {}: {} bytes are waiting already, at most {} may",
                                  data.size(), m_what, pending(), m_limit));
  }
  if (pending() == 0 && send(data) == Progress::Failed) {
    std::string reason = strerror(errno);
    fail(reason);
    return make_error(fmt::format("unable to write to {}: {}", m_what, reason));
  }
  if (data.empty()) {
    return ok_status();
  }
  if (m_head > 0 && m_head >= m_queue.size() / 2) {
    m_queue.erase(0, m_head);  // amortised: at most as many bytes moved as were written
    m_head = 0;
  }
  m_queue.append(data);
  if (!m_watching) {
    Status st = m_loop.add_fd(m_fd.get(), EPOLLOUT, [this](uint32_t) { on_writable(); });
    if (!st) {
      // Nothing would ever send the queue: better to say so now.
      fail(st.error());
      return make_error(fmt::format("unable to write to {}: {}", m_what, st.error()));
    }
    m_watching = true;
  }
  return ok_status();
}

void PipeWriter::close() {
  stop_watching();
  m_fd.close();
  m_closed_reason = "closed";
  std::string().swap(m_queue);
  m_head = 0;
}

PipeWriter::Progress PipeWriter::send(std::string_view& data) {
  while (!data.empty()) {
    ssize_t n = ::write(m_fd.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno == EAGAIN ? Progress::Blocked : Progress::Failed;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Progress::Drained;
}

void PipeWriter::on_writable() {
  // EPOLLERR/EPOLLHUP need no case of their own: the write below then fails.
  std::string_view rest(m_queue.data() + m_head, m_queue.size() - m_head);
  size_t before = rest.size();
  Progress p = send(rest);
  m_head += before - rest.size();
  if (p == Progress::Failed) {
    std::string reason = strerror(errno);
    size_t dropped = fail(reason);
    ClosedCallback cb = std::move(m_on_closed);
    m_on_closed = nullptr;
    if (cb) {
      cb(reason, dropped);  // may destroy *this: nothing may follow
    }
    return;
  }
  if (p == Progress::Drained) {
    if (m_queue.capacity() > k_keep_capacity) {
      std::string().swap(m_queue);
    } else {
      m_queue.clear();
    }
    m_head = 0;
    stop_watching();
  }
}

size_t PipeWriter::fail(const std::string& reason) {
  size_t dropped = pending();
  close();
  m_closed_reason = reason;
  return dropped;
}

void PipeWriter::stop_watching() {
  if (m_watching) {
    m_loop.remove_fd(m_fd.get());
    m_watching = false;
  }
}

}  // namespace tend
