#include "core/ticker.h"

#include <gtest/gtest.h>

#include <vector>

#include "fakes/fake_clock.h"

namespace tend {
namespace {

class TickerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // FakeClock's wall time starts at 1,700,001,000: a multiple of 5 and 60
    // (not of 3600: 1,700,002,800 is the next hour).
    auto l = EventLoop::create(&clock);
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  void advance(double s) {
    clock.advance(s);
    loop->run_once(0);
    loop->run_once(0);
  }
  FakeClock clock;
  std::unique_ptr<EventLoop> loop;
  EventBus bus;
};

TEST_F(TickerTest, NoSubscriberNoTimer) {
  Ticker t(*loop, bus);
  EXPECT_FALSE(t.armed());
  EXPECT_EQ(loop->timer_count(), 0u);
  auto other = bus.subscribe(mask_of(EventKind::ProcessState), [](const Event&) {});
  EXPECT_EQ(loop->timer_count(), 0u);
}

TEST_F(TickerTest, TicksAtEachBoundaryWhileSubscribedOnly) {
  Ticker t(*loop, bus);
  std::vector<std::pair<int, int64_t>> ticks;
  auto sub = bus.subscribe(mask_of(EventKind::Tick), [&](const Event& e) {
    const Tick& tk = std::get<Tick>(e);
    ticks.emplace_back(tk.period, tk.when);
  });
  EXPECT_TRUE(t.armed());
  advance(4.9);
  EXPECT_TRUE(ticks.empty());
  advance(0.1);
  ASSERT_EQ(ticks.size(), 1u);
  EXPECT_EQ(ticks[0], (std::pair<int, int64_t>{5, 1'700'001'005}));
  for (int i = 0; i < 11; ++i) {
    advance(5);
  }
  // 60 s after the start: the twelfth 5 s tick and the first 60 s tick.
  ASSERT_EQ(ticks.size(), 13u);
  EXPECT_EQ(ticks[11], (std::pair<int, int64_t>{5, 1'700'001'060}));
  EXPECT_EQ(ticks[12], (std::pair<int, int64_t>{60, 1'700'001'060}));
  sub.reset();
  EXPECT_FALSE(t.armed());
  EXPECT_EQ(loop->timer_count(), 0u);
  advance(100);
  EXPECT_EQ(ticks.size(), 13u);
}

TEST_F(TickerTest, HourTick) {
  Ticker t(*loop, bus);
  std::vector<int64_t> hours;
  auto sub = bus.subscribe(mask_of(EventKind::Tick), [&](const Event& e) {
    if (std::get<Tick>(e).period == 3600) {
      hours.push_back(std::get<Tick>(e).when);
    }
  });
  for (int i = 0; i < 400; ++i) {
    advance(5);
  }
  ASSERT_EQ(hours.size(), 1u);
  EXPECT_EQ(hours[0], 1'700'002'800);
}

}  // namespace
}  // namespace tend
