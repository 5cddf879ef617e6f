// Clock: the only source of time for the process state machine, so that tests
// can drive it with a fake. Monotonic time drives timers; wall time is only
// reported (getProcessInfo start/stop, log stamps).
#pragma once

#include <chrono>
#include <cstdint>

namespace tend {

using MonoTime = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime now() const = 0;
  // Seconds since the epoch (wall clock), for reporting only.
  virtual double wall_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  MonoTime now() const override { return std::chrono::steady_clock::now(); }
  double wall_now() const override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
};

inline Duration seconds_d(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

}  // namespace tend
