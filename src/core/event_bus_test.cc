#include "core/event_bus.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace tend {
namespace {

// Stand-ins for processes: the bus only compares their addresses.
const Process* fake_process(int n) { return reinterpret_cast<const Process*>(static_cast<uintptr_t>(0x1000 + 16 * n)); }

Event state_event(const Process* p, ProcessState to = ProcessState::Running) {
  return ProcessStateChanged{p, ProcessState::Starting, to, 42, 0, false};
}

TEST(EventBus, DeliversByKindInSubscriptionOrder) {
  EventBus bus;
  std::vector<std::string> seen;
  auto a = bus.subscribe(mask_of(EventKind::ProcessState), [&](const Event&) { seen.push_back("a"); });
  auto b = bus.subscribe(mask_of(EventKind::GroupAdded), [&](const Event&) { seen.push_back("b"); });
  auto c = bus.subscribe(k_all_events, [&](const Event&) { seen.push_back("c"); });
  bus.publish(state_event(fake_process(1)));
  bus.publish(GroupAdded{"web"});
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "c", "b", "c"}));
}

TEST(EventBus, ProcessSubscriptionSeesOnlyItsProcess) {
  EventBus bus;
  int calls1 = 0;
  int calls2 = 0;
  auto s1 = bus.subscribe_process(fake_process(1), k_process_events, [&](const Event&) { ++calls1; });
  auto s2 = bus.subscribe_process(fake_process(2), k_process_events, [&](const Event&) { ++calls2; });
  bus.publish(state_event(fake_process(1)));
  bus.publish(state_event(fake_process(1)));
  bus.publish(state_event(fake_process(3)));
  bus.publish(GroupAdded{"g"});
  EXPECT_EQ(calls1, 2);
  EXPECT_EQ(calls2, 0);
}

TEST(EventBus, ManyWaitsCostOneCallPerEvent) {
  // startAllProcesses(wait=True) over N processes: each state change reaches
  // exactly one waiter, so the total is N calls, not N*N.
  EventBus bus;
  constexpr int n = 2000;
  int total = 0;
  std::vector<EventBus::Subscription> subs;
  for (int i = 0; i < n; ++i) {
    subs.push_back(bus.subscribe_process(fake_process(i), k_process_events, [&](const Event&) { ++total; }));
  }
  for (int i = 0; i < n; ++i) {
    bus.publish(state_event(fake_process(i)));
  }
  EXPECT_EQ(total, n);
}

TEST(EventBus, UnsubscribingDuringDeliveryStopsAtOnce) {
  EventBus bus;
  std::vector<std::string> seen;
  EventBus::Subscription second;
  auto first = bus.subscribe(k_all_events, [&](const Event&) {
    seen.push_back("first");
    second.reset();  // the next handler of this very delivery must not run
  });
  second = bus.subscribe(k_all_events, [&](const Event&) { seen.push_back("second"); });
  bus.publish(GroupAdded{"g"});
  bus.publish(GroupAdded{"g"});
  EXPECT_EQ(seen, (std::vector<std::string>{"first", "first"}));
  EXPECT_EQ(bus.subscriber_count(), 1u);
}

TEST(EventBus, HandlerMayUnsubscribeItself) {
  EventBus bus;
  int calls = 0;
  EventBus::Subscription self;
  self = bus.subscribe(k_all_events, [&](const Event&) {
    ++calls;
    self.reset();
  });
  bus.publish(GroupAdded{"g"});
  bus.publish(GroupAdded{"g"});
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.subscriber_count(), 0u);
}

TEST(EventBus, SubscriptionMadeDuringDeliveryStartsWithTheNextEvent) {
  EventBus bus;
  std::vector<EventBus::Subscription> added;
  int late_calls = 0;
  auto adder = bus.subscribe(k_all_events, [&](const Event&) {
    // Enough new slots to make a vector reallocate under the running handler.
    for (int i = 0; i < 100; ++i) {
      added.push_back(bus.subscribe(k_all_events, [&](const Event&) { ++late_calls; }));
    }
  });
  bus.publish(GroupAdded{"g"});
  EXPECT_EQ(late_calls, 0);
  adder.reset();
  bus.publish(GroupAdded{"g"});
  EXPECT_EQ(late_calls, 100);
}

TEST(EventBus, NestedPublishIsDeliveredInside) {
  EventBus bus;
  std::vector<std::string> seen;
  auto a = bus.subscribe(mask_of(EventKind::GroupAdded), [&](const Event&) {
    seen.push_back("added");
    bus.publish(GroupRemoved{"g"});
  });
  auto b = bus.subscribe(mask_of(EventKind::GroupRemoved), [&](const Event&) { seen.push_back("removed"); });
  bus.publish(GroupAdded{"g"});
  EXPECT_EQ(seen, (std::vector<std::string>{"added", "removed"}));
}

TEST(EventBus, WantedAndInterestHookFollowSubscriptions) {
  EventBus bus;
  std::vector<bool> changes;
  bus.set_interest_hook(EventKind::Tick, [&](bool w) { changes.push_back(w); });
  EXPECT_FALSE(bus.wanted(EventKind::Tick));
  auto a = bus.subscribe(mask_of(EventKind::Tick), [](const Event&) {});
  auto b = bus.subscribe(mask_of(EventKind::Tick) | mask_of(EventKind::Output), [](const Event&) {});
  EXPECT_TRUE(bus.wanted(EventKind::Tick));
  EXPECT_TRUE(bus.wanted(EventKind::Output));
  a.reset();
  EXPECT_TRUE(bus.wanted(EventKind::Tick));
  b.reset();
  EXPECT_FALSE(bus.wanted(EventKind::Tick));
  EXPECT_FALSE(bus.wanted(EventKind::Output));
  EXPECT_EQ(changes, (std::vector<bool>{true, false}));
}

TEST(EventBus, ProcessSubscriptionNeverWantsTicks) {
  EventBus bus;
  auto s = bus.subscribe_process(fake_process(1), k_all_events, [](const Event&) {});
  EXPECT_TRUE(bus.wanted(EventKind::ProcessState));
  EXPECT_FALSE(bus.wanted(EventKind::Tick));
}

TEST(EventBus, SubscriptionMayOutliveTheBus) {
  EventBus::Subscription s;
  {
    EventBus bus;
    s = bus.subscribe(k_all_events, [](const Event&) {});
  }
  s.reset();  // no crash, no access to the dead bus (ASan checks)
  EXPECT_FALSE(s.active());
}

TEST(EventBus, ProcessOfNamesTheProcess) {
  EXPECT_EQ(process_of(state_event(fake_process(7))), fake_process(7));
  EXPECT_EQ(process_of(Event(ProcessOutput{fake_process(8), Stream::Stderr, "x"})), fake_process(8));
  EXPECT_EQ(process_of(Event(Tick{5, 1700000000})), nullptr);
}

}  // namespace
}  // namespace tend
