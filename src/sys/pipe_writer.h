// PipeWriter: sends bytes to a reader that may be slow (a child's stdin, an
// event listener's stdin) without ever blocking the loop.
//
// Contract:
// - write() writes what the fd takes at once and queues the rest; the queue
//   drains as epoll reports EPOLLOUT. The fd is registered with the loop only
//   while bytes are queued, so an idle writer costs no wake-up.
// - At most limit() bytes wait in the queue. A write() that does not fit in
//   the room left is refused whole (nothing of it is sent or queued): a reader
//   never sees part of a message.
// - When the reader is gone (EPIPE), or a write fails in any other way than
//   "would block", the writer closes: the fd is closed, the queue dropped, and
//   every later write() fails. That discovery is reported once: by the write()
//   that made it, or, when it happens while draining the queue on the loop, by
//   the on_closed callback.
// - Bytes leave in the order write() was called.
// SIGPIPE must be ignored (tend does so at start), or EPIPE would be a signal.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "sys/event_loop.h"
#include "util/fd.h"
#include "util/result.h"

namespace tend {

class PipeWriter {
 public:
  // The default bound on queued bytes. A reader that never reads must not be
  // able to make tend grow without limit; 8 MiB still holds four of the
  // largest sendProcessStdin requests (the HTTP body limit is 2 MiB) behind a
  // full pipe, and thousands of event envelopes.
  static constexpr size_t k_default_limit = 8 * 1024 * 1024;

  // Called with the reason (e.g. "Broken pipe") and the number of queued bytes
  // it dropped. It may destroy the writer.
  using ClosedCallback = std::function<void(const std::string& reason, size_t dropped)>;

  // Takes ownership of `fd` (the write end; made non-blocking here). `what`
  // names the destination in error messages ("the stdin of cat").
  PipeWriter(EventLoop& loop, Fd fd, std::string what, size_t limit = k_default_limit);
  ~PipeWriter();
  PipeWriter(const PipeWriter&) = delete;
  PipeWriter& operator=(const PipeWriter&) = delete;

  // Sends `data` after everything queued before it. Fails, changing nothing,
  // when the writer is closed or the queue would exceed limit(); fails and
  // closes when the reader turns out to be gone.
  Status write(std::string_view data);
  // Stops writing: drops the queue and closes the fd, without a callback.
  void close();

  void set_on_closed(ClosedCallback cb) { m_on_closed = std::move(cb); }
  bool closed() const { return !m_fd.valid(); }
  size_t pending() const { return m_queue.size() - m_head; }
  size_t limit() const { return m_limit; }
  // Whether the loop watches the fd (only while bytes are queued).
  bool watching() const { return m_watching; }

 private:
  enum class Progress { Drained, Blocked, Failed };
  // Writes from `data` until it is all written, the fd would block or a write
  // fails; `data` loses the written prefix. errno is kept for Failed.
  Progress send(std::string_view& data);
  void on_writable();
  // Closes after a failed write; returns the dropped byte count.
  size_t fail(const std::string& reason);
  void stop_watching();

  EventLoop& m_loop;
  Fd m_fd;
  std::string m_what;
  size_t m_limit;
  std::string m_closed_reason;  // why write() now fails; set when m_fd is closed
  // Queued bytes are m_queue[m_head..]; the written prefix is dropped lazily.
  std::string m_queue;
  size_t m_head = 0;
  bool m_watching = false;
  ClosedCallback m_on_closed;
};

}  // namespace tend
