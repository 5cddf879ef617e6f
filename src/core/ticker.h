// Ticker: publishes Tick events (periods 5, 60 and 3600 s) as supervisord's
// TICK_5/TICK_60/TICK_3600, but only while someone subscribes to them: with no
// tick subscriber, no timer is armed and tend stays asleep when idle.
//
// A tick fires when wall time crosses a multiple of its period; `when` is that
// multiple. The first tick of each period is the first boundary after the
// subscription (supervisord likewise starts counting at start-up).
#pragma once

#include <array>
#include <cstdint>

#include "core/event_bus.h"
#include "sys/event_loop.h"

namespace tend {

class Ticker {
 public:
  static constexpr std::array<int, 3> k_periods{5, 60, 3600};

  Ticker(EventLoop& loop, EventBus& bus);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  bool armed() const { return m_timer != 0; }

 private:
  void interest(bool wanted);
  void arm();
  void fire();

  EventLoop& m_loop;
  EventBus& m_bus;
  std::array<int64_t, k_periods.size()> m_last{};  // the last boundary seen per period
  EventLoop::TimerId m_timer = 0;
};

}  // namespace tend
