#include "core/ticker.h"

#include <cmath>

namespace tend {

namespace {
int64_t slice(double wall, int period) { return static_cast<int64_t>(std::floor(wall / period)) * period; }
}  // namespace

Ticker::Ticker(EventLoop& loop, EventBus& bus) : m_loop(loop), m_bus(bus) {
  m_bus.set_interest_hook(EventKind::Tick, [this](bool wanted) { interest(wanted); });
  if (m_bus.wanted(EventKind::Tick)) {
    interest(true);
  }
}

Ticker::~Ticker() {
  m_bus.set_interest_hook(EventKind::Tick, nullptr);
  m_loop.cancel_timer(m_timer);
}

void Ticker::interest(bool wanted) {
  m_loop.cancel_timer(m_timer);
  m_timer = 0;
  if (!wanted) {
    return;
  }
  double wall = m_loop.clock().wall_now();
  for (size_t i = 0; i < k_periods.size(); ++i) {
    m_last[i] = slice(wall, k_periods[i]);
  }
  arm();
}

void Ticker::arm() {
  // The next 5 s boundary is the soonest of all (60 and 3600 are multiples of 5).
  double wall = m_loop.clock().wall_now();
  double next = static_cast<double>(m_last[0] + k_periods[0]);
  double wait = std::max(0.0, next - wall);
  m_timer = m_loop.add_timer_after(seconds_d(wait), [this] {
    m_timer = 0;
    fire();
  });
}

void Ticker::fire() {
  double wall = m_loop.clock().wall_now();
  for (size_t i = 0; i < k_periods.size(); ++i) {
    int64_t now_slice = slice(wall, k_periods[i]);
    if (now_slice != m_last[i]) {
      m_last[i] = now_slice;
      m_bus.publish(Tick{k_periods[i], now_slice});
    }
  }
  if (m_bus.wanted(EventKind::Tick) && m_timer == 0) {
    arm();
  }
}

}  // namespace tend
