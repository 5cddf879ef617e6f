#include "sys/coalesced_call.h"

#include <gtest/gtest.h>

#include <memory>

#include "fakes/fake_clock.h"

namespace tend {
namespace {

class CoalescedCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create(&clock);
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  FakeClock clock;
  std::unique_ptr<EventLoop> loop;
};

TEST_F(CoalescedCallTest, RequestsBeforeTheRunGiveOneRun) {
  int runs = 0;
  CoalescedCall call(*loop, [&] { ++runs; });
  call.request();
  call.request();
  EXPECT_TRUE(call.pending());
  EXPECT_EQ(runs, 0);  // not inside the request
  loop->run_once(0);
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(call.pending());
  loop->run_once(0);
  EXPECT_EQ(runs, 1);
  call.request();
  loop->run_once(0);
  EXPECT_EQ(runs, 2);
}

TEST_F(CoalescedCallTest, TheCallbackMayRequestAgain) {
  int runs = 0;
  std::unique_ptr<CoalescedCall> call;
  call = std::make_unique<CoalescedCall>(*loop, [&] {
    if (++runs < 3) {
      call->request();
    }
  });
  call->request();
  for (int i = 0; i < 5; ++i) {
    loop->run_once(0);
  }
  EXPECT_EQ(runs, 3);
}

TEST_F(CoalescedCallTest, DestroyedBeforeItsRunNothingRuns) {
  int runs = 0;
  auto call = std::make_unique<CoalescedCall>(*loop, [&] { ++runs; });
  call->request();
  call.reset();
  loop->run_once(0);
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace tend
