// NotificationPipe: s6's readiness protocol (notification-fd). The program
// gets the write end of a pipe as fd N (ready = fd:N) and writes a newline
// once it is ready; whatever comes before the newline is ignored. tend closes
// its read end at the newline (a later write by the program then fails, as
// under s6-supervise). The pipe ending without a newline (every copy of the
// write end closed) means the program will never say it.
#pragma once

#include <functional>
#include <memory>

#include "sys/event_loop.h"
#include "util/fd.h"
#include "util/result.h"

namespace tend::health {

class NotificationPipe {
 public:
  enum class Outcome { Ready, Closed };
  // Called once; may destroy the pipe.
  using Handler = std::function<void(Outcome)>;

  static Result<std::unique_ptr<NotificationPipe>> open(EventLoop& loop, Handler handler);
  ~NotificationPipe();
  NotificationPipe(const NotificationPipe&) = delete;
  NotificationPipe& operator=(const NotificationPipe&) = delete;

  // The write end, for SpawnSpec::extra_fds (valid until close_child_end).
  int child_end() const { return m_write.get(); }
  // Once the child has its copy: from then on the end of the pipe means the
  // program (and whatever it passed the fd to) closed it.
  void close_child_end() { m_write.close(); }

 private:
  NotificationPipe(EventLoop& loop, Fd read, Fd write, Handler handler);
  void on_readable();
  void finish(Outcome o);

  EventLoop& m_loop;
  Fd m_read;
  Fd m_write;
  Handler m_handler;
};

}  // namespace tend::health
