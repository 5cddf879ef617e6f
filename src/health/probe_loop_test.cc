#include "health/probe_loop.h"

#include <gtest/gtest.h>

#include "fakes/fake_clock.h"
#include "fakes/fake_prober.h"

namespace tend::health {
namespace {

class ProbeLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create(&clock);
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
    spec.kind = ProbeSpec::Kind::Tcp;
    spec.host = "127.0.0.1";
    spec.port = 80;
  }
  void make(double first, double interval, double timeout) {
    ProbeLoop::Timing t{seconds_d(first), seconds_d(interval), seconds_d(timeout)};
    probes = std::make_unique<ProbeLoop>(*loop, prober, spec, ProbeContext{}, t,
                                         [this](const ProbeResult& r) { results.push_back(r); });
  }
  void advance(double s) {
    clock.advance(s);
    loop->run_once(0);
  }
  FakeClock clock;
  std::unique_ptr<EventLoop> loop;
  FakeProber prober;
  ProbeSpec spec;
  std::unique_ptr<ProbeLoop> probes;
  std::vector<ProbeResult> results;
};

TEST_F(ProbeLoopTest, FirstAfterTheDelayThenIntervalAfterEachEnd) {
  make(2, 10, 5);
  advance(1.9);
  EXPECT_TRUE(prober.started.empty());
  advance(0.1);
  ASSERT_EQ(prober.started.size(), 1u);
  EXPECT_EQ(prober.started[0]->timeout, seconds_d(5));
  advance(3);  // a slow attempt: the next one waits for it
  EXPECT_EQ(prober.started.size(), 1u);
  prober.finish_last(ProbeResult::fail("connection refused"));
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].error, "connection refused");
  advance(9.9);
  EXPECT_EQ(prober.started.size(), 1u);
  advance(0.1);
  EXPECT_EQ(prober.started.size(), 2u);
  prober.finish_last(ProbeResult::pass());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[1].passed);
  EXPECT_EQ(probes->attempts(), 2);
}

TEST_F(ProbeLoopTest, DestroyingItCancelsTheAttemptInFlight) {
  make(0, 1, 1);
  advance(0);
  ASSERT_EQ(prober.in_flight(), 1u);
  probes.reset();
  EXPECT_EQ(prober.in_flight(), 0u);
  EXPECT_TRUE(prober.started[0]->cancelled);
  advance(5);
  EXPECT_EQ(prober.started.size(), 1u);
}

TEST_F(ProbeLoopTest, TheResultHandlerMayDestroyTheLoop) {
  ProbeLoop::Timing t{seconds_d(0), seconds_d(1), seconds_d(1)};
  probes = std::make_unique<ProbeLoop>(*loop, prober, spec, ProbeContext{}, t, [this](const ProbeResult& r) {
    results.push_back(r);
    probes.reset();
  });
  advance(0);
  prober.finish_last(ProbeResult::pass());
  EXPECT_FALSE(probes);
  advance(5);
  EXPECT_EQ(prober.started.size(), 1u);
  EXPECT_EQ(results.size(), 1u);
}

}  // namespace
}  // namespace tend::health
