// FakeClock: time moves only when a test says so.
#pragma once

#include "util/clock.h"

namespace tend {

class FakeClock final : public Clock {
 public:
  MonoTime now() const override { return m_now; }
  double wall_now() const override {
    return 1'700'000'000.0 + m_wall_offset + std::chrono::duration<double>(m_now.time_since_epoch()).count();
  }
  void advance(double seconds) { m_now += seconds_d(seconds); }
  void set(MonoTime t) { m_now = t; }
  // Someone sets the wall clock: it jumps, monotonic time does not.
  void step_wall(double seconds) { m_wall_offset += seconds; }

 private:
  MonoTime m_now{std::chrono::seconds(1000)};
  double m_wall_offset = 0;
};

}  // namespace tend
