// ClockStepWatch: a callback when someone sets the system's wall clock (a
// step: settimeofday, clock_settime, NTP stepping), not when it is slewed.
// A CLOCK_REALTIME timerfd armed for a far-off absolute time with
// TFD_TIMER_CANCEL_ON_SET: the kernel cancels it on every step, which makes
// the fd readable with ECANCELED. Nothing is polled; an unstepped clock never
// wakes the loop.
#pragma once

#include <functional>

#include "sys/event_loop.h"
#include "util/fd.h"
#include "util/result.h"

namespace tend {

class ClockStepWatch {
 public:
  // Watches from now on; `on_step` runs on the loop after each step (several
  // steps between two passes of the loop give one call).
  static Result<std::unique_ptr<ClockStepWatch>> create(EventLoop& loop, std::function<void()> on_step);
  ~ClockStepWatch();
  ClockStepWatch(const ClockStepWatch&) = delete;
  ClockStepWatch& operator=(const ClockStepWatch&) = delete;

 private:
  ClockStepWatch(EventLoop& loop, Fd fd, std::function<void()> on_step);
  Status arm();
  void on_readable();

  EventLoop& m_loop;
  Fd m_fd;
  std::function<void()> m_on_step;
};

}  // namespace tend
