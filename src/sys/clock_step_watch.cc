#include "sys/clock_step_watch.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdint>

#include <fmt/format.h>

namespace tend {

Result<std::unique_ptr<ClockStepWatch>> ClockStepWatch::create(EventLoop& loop, std::function<void()> on_step) {
  Fd fd(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd.valid()) {
    return make_error(fmt::format("unable to create a wall-clock timer: {}", strerror(errno)));
  }
  std::unique_ptr<ClockStepWatch> w(new ClockStepWatch(loop, std::move(fd), std::move(on_step)));
  if (Status st = w->arm(); !st) {
    return make_error(st.error());
  }
  ClockStepWatch* self = w.get();
  if (Status st = loop.add_fd(self->m_fd.get(), EPOLLIN, [self](uint32_t) { self->on_readable(); }); !st) {
    return make_error(st.error());
  }
  return w;
}

ClockStepWatch::ClockStepWatch(EventLoop& loop, Fd fd, std::function<void()> on_step)
    : m_loop(loop), m_fd(std::move(fd)), m_on_step(std::move(on_step)) {}

ClockStepWatch::~ClockStepWatch() {
  if (m_fd.valid()) {
    m_loop.remove_fd(m_fd.get());
  }
}

Status ClockStepWatch::arm() {
  // Far enough never to expire (year 2200), near enough for a 64-bit time_t
  // and for kernels that refuse absurd values.
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(7'258'118'400);
  if (timerfd_settime(m_fd.get(), TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, nullptr) != 0) {
    return make_error(fmt::format("unable to arm the wall-clock timer: {}", strerror(errno)));
  }
  return ok_status();
}

void ClockStepWatch::on_readable() {
  uint64_t expirations = 0;
  ssize_t n = read(m_fd.get(), &expirations, sizeof expirations);
  if (n < 0 && errno == EAGAIN) {
    return;
  }
  // ECANCELED (a step) or an expiry: either way the timer must be armed
  // again before the next step can be seen.
  (void)arm();
  m_on_step();
}

}  // namespace tend
