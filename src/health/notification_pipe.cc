#include "health/notification_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <fmt/format.h>

#include "health/probe.h"

namespace tend::health {

Result<std::unique_ptr<NotificationPipe>> NotificationPipe::open(EventLoop& loop, Handler handler) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return make_error(fmt::format("unable to create a notification pipe: {}", errno_text(errno)));
  }
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  // Only our end is non-blocking: the program's stays as a program expects it.
  if (fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) {
    return make_error(fmt::format("unable to make a notification pipe non-blocking: {}", errno_text(errno)));
  }
  std::unique_ptr<NotificationPipe> p(
      new NotificationPipe(loop, std::move(read_end), std::move(write_end), std::move(handler)));
  NotificationPipe* raw = p.get();
  if (Status st = loop.add_fd(raw->m_read.get(), EPOLLIN, [raw](uint32_t) { raw->on_readable(); }); !st) {
    return make_error(fmt::format("unable to watch a notification pipe: {}", st.error()));
  }
  return p;
}

NotificationPipe::NotificationPipe(EventLoop& loop, Fd read, Fd write, Handler handler)
    : m_loop(loop), m_read(std::move(read)), m_write(std::move(write)), m_handler(std::move(handler)) {}

NotificationPipe::~NotificationPipe() { m_loop.remove_fd(m_read.get()); }

void NotificationPipe::on_readable() {
  char buf[512];
  while (true) {
    ssize_t n = read(m_read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      return;
    }
    if (n <= 0) {
      finish(Outcome::Closed);
      return;
    }
    if (memchr(buf, '\n', static_cast<size_t>(n)) != nullptr) {
      finish(Outcome::Ready);
      return;
    }
  }
}

void NotificationPipe::finish(Outcome o) {
  m_loop.remove_fd(m_read.get());
  m_read.close();
  Handler handler = std::move(m_handler);  // may destroy this
  m_handler = nullptr;
  if (handler) {
    handler(o);
  }
}

}  // namespace tend::health
