#include "sys/event_loop.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "fakes/fake_clock.h"

namespace tend {
namespace {

using namespace std::chrono_literals;

TEST(EventLoop, TimersFireInDeadlineOrderAndCancelWorks) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok()) << loop.error();
  EventLoop& l = **loop;
  std::vector<int> order;
  MonoTime base = l.now();
  l.add_timer(base + 3ms, [&] {
    order.push_back(3);
    l.stop(0);
  });
  l.add_timer(base + 1ms, [&] { order.push_back(1); });
  EventLoop::TimerId cancelled = l.add_timer(base + 2ms, [&] { order.push_back(2); });
  l.cancel_timer(cancelled);
  EXPECT_EQ(l.run(), 0);
  EXPECT_EQ(order, (std::vector<int>{1, 3}));
  EXPECT_EQ(l.timer_count(), 0u);
}

TEST(EventLoop, FdCallbackRunsOnReadableAndRemovalStopsDelivery) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  EventLoop& l = **loop;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  Fd r(p[0]), w(p[1]);
  int calls = 0;
  ASSERT_TRUE(l.add_fd(r.get(), EPOLLIN, [&](uint32_t) {
                 char buf[16];
                 ASSERT_GT(read(r.get(), buf, sizeof buf), 0);
                 ++calls;
                 l.remove_fd(r.get());
                 l.stop(7);
               }).ok());
  ASSERT_EQ(write(w.get(), "x", 1), 1);
  EXPECT_EQ(l.run(), 7);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(l.watching(r.get()));
}

TEST(EventLoop, SignalIsDeliveredThroughSignalfd) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  EventLoop& l = **loop;
  int got = 0;
  ASSERT_TRUE(l.handle_signal(SIGUSR2, [&](const signalfd_siginfo& si) {
                 got = static_cast<int>(si.ssi_signo);
                 l.stop(0);
               }).ok());
  l.defer([] { kill(getpid(), SIGUSR2); });
  l.run();
  EXPECT_EQ(got, SIGUSR2);
}

// glibc's sigaddset refuses 32 and 33 and its sigprocmask drops them: without
// raw system calls they are never blocked, and kill -32 ends the process.
TEST(EventLoop, ReservedAndRealTimeSignalsArriveAndTheMaskIsRestored) {
  KernelSigset before = 0;
  ASSERT_TRUE(change_kernel_mask(SIG_BLOCK, 0, &before).ok());
  std::vector<int> sigs = {32, 33, SIGRTMIN + 3, SIGRTMAX};
  std::vector<int> got;
  {
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    EventLoop& l = **loop;
    auto on_signal = [&](const signalfd_siginfo& si) {
      got.push_back(static_cast<int>(si.ssi_signo));
      if (got.size() == sigs.size()) {
        l.stop(0);
      }
    };
    for (int sig : sigs) {
      ASSERT_TRUE(l.handle_signal(sig, on_signal).ok());
    }
    KernelSigset during = 0;
    ASSERT_TRUE(change_kernel_mask(SIG_BLOCK, 0, &during).ok());
    for (int sig : sigs) {
      EXPECT_NE(during & kernel_sigbit(sig), 0u) << sig;
    }
    l.defer([&] {
      for (int sig : sigs) {
        kill(getpid(), sig);
      }
    });
    l.run();
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, sigs);
  KernelSigset after = 0;
  ASSERT_TRUE(change_kernel_mask(SIG_BLOCK, 0, &after).ok());
  EXPECT_EQ(after, before);
}

TEST(EventLoop, RefusesUncatchableSignals) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  for (int sig : {0, SIGKILL, SIGSTOP, 65}) {
    EXPECT_FALSE((*loop)->handle_signal(sig, [](const signalfd_siginfo&) {}).ok()) << sig;
  }
}

TEST(EventLoop, IdleLoopDoesNotWakeWithoutEvents) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop.ok());
  EventLoop& l = **loop;
  // One timer 30 ms out: exactly one wake-up, not a stream of polls.
  l.add_timer_after(30ms, [&] { l.stop(0); });
  l.run();
  EXPECT_EQ(l.wakeups(), 1u);
}

TEST(EventLoop, FakeClockFiresTimersOnlyWhenAdvanced) {
  FakeClock clock;
  auto loop = EventLoop::create(&clock);
  ASSERT_TRUE(loop.ok());
  EventLoop& l = **loop;
  std::vector<int> fired;
  l.add_timer_after(seconds_d(5), [&] { fired.push_back(5); });
  l.add_timer_after(seconds_d(1), [&] {
    fired.push_back(1);
    l.add_timer_after(seconds_d(0), [&] { fired.push_back(0); });  // due now: next pass
  });
  bool deferred = false;
  l.defer([&] { deferred = true; });
  l.run_once(0);
  EXPECT_TRUE(deferred);
  EXPECT_TRUE(fired.empty());
  clock.advance(1);
  l.run_once(0);
  EXPECT_EQ(fired, (std::vector<int>{1}));
  l.run_once(0);
  EXPECT_EQ(fired, (std::vector<int>{1, 0}));
  clock.advance(3.9);
  l.run_once(0);
  EXPECT_EQ(fired.size(), 2u);
  clock.advance(0.1);
  l.run_once(0);
  EXPECT_EQ(fired, (std::vector<int>{1, 0, 5}));
  EXPECT_EQ(l.timer_count(), 0u);
}

}  // namespace
}  // namespace tend
