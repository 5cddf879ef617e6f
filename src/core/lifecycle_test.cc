// One test per cell of the supervisor's state machine (lifecycle.cc).
#include "core/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace tend {
namespace {

using S = SupervisorState;
using E = LifecycleEvent;

// Programs by priority: how many are not yet stopped.
class FakeHooks : public Lifecycle::Hooks {
 public:
  std::optional<StopStage> live_stage() override {
    if (forced) {
      return StopStage{*forced, {}};
    }
    for (auto it = live.rbegin(); it != live.rend(); ++it) {
      if (it->second > 0) {
        return StopStage{it->first, {}};
      }
    }
    return std::nullopt;
  }
  void stop_stage(const StopStage& stage) override { calls.push_back("stop " + std::to_string(stage.priority)); }
  void restart_now() override { calls.push_back("restart"); }
  void begin_sweep() override { calls.push_back("sweep"); }
  void finish() override { calls.push_back("finish"); }
  void entered(S from, S to) override {
    calls.push_back(std::string(supervisor_state_name(from)) + "->" + supervisor_state_name(to));
  }
  std::map<int, int> live;
  std::optional<int> forced;  // a stage the stop rule chose against priority (a dependency)
  std::vector<std::string> calls;
};

class LifecycleTest : public ::testing::Test {
 protected:
  // Brings `lc` to `target` through the events a real run goes through.
  void drive_to(Lifecycle& lc, S target) {
    hooks.live = {{1, 1}, {5, 1}};
    switch (target) {
      case S::Running:
        break;
      case S::Restarting:
        lc.handle(E::Restart);
        break;
      case S::Stopping:
        lc.handle(E::Shutdown);
        break;
      case S::Sweeping:
      case S::Killing:
      case S::Done:
        lc.handle(E::Shutdown);
        hooks.live.clear();
        lc.handle(E::ProcessDown);
        if (target != S::Sweeping) {
          lc.handle(E::SweepKilling);
        }
        if (target == S::Done) {
          lc.handle(E::SweepDone);
        }
        break;
    }
    ASSERT_EQ(lc.state(), target);
    hooks.calls.clear();
    hooks.live = {{1, 1}, {5, 1}};
  }
  FakeHooks hooks;
};

struct Cell {
  S from;
  E event;
  S to;
  bool acted;
  std::vector<std::string> calls;
};

// Every (state, event) pair, with two programs at priorities 1 and 5 still up.
const std::vector<Cell> k_cells = {
    {S::Running, E::Shutdown, S::Stopping, true, {"RUNNING->SHUTDOWN", "stop 5"}},
    {S::Running, E::Restart, S::Restarting, true, {"RUNNING->RESTARTING", "stop 5"}},
    {S::Running, E::ProcessDown, S::Running, false, {}},
    {S::Running, E::SweepKilling, S::Running, false, {}},
    {S::Running, E::SweepDone, S::Running, false, {}},
    {S::Restarting, E::Shutdown, S::Stopping, true, {"RESTARTING->SHUTDOWN", "stop 5"}},
    {S::Restarting, E::Restart, S::Restarting, false, {}},
    {S::Restarting, E::ProcessDown, S::Restarting, true, {"stop 5"}},
    {S::Restarting, E::SweepKilling, S::Restarting, false, {}},
    {S::Restarting, E::SweepDone, S::Restarting, false, {}},
    {S::Stopping, E::Shutdown, S::Stopping, false, {}},
    {S::Stopping, E::Restart, S::Stopping, false, {}},
    {S::Stopping, E::ProcessDown, S::Stopping, true, {"stop 5"}},
    {S::Stopping, E::SweepKilling, S::Stopping, false, {}},
    {S::Stopping, E::SweepDone, S::Stopping, false, {}},
    {S::Sweeping, E::Shutdown, S::Sweeping, false, {}},
    {S::Sweeping, E::Restart, S::Sweeping, false, {}},
    {S::Sweeping, E::ProcessDown, S::Sweeping, false, {}},
    {S::Sweeping, E::SweepKilling, S::Killing, true, {"SWEEPING->KILLING"}},
    {S::Sweeping, E::SweepDone, S::Done, true, {"SWEEPING->DONE", "finish"}},
    {S::Killing, E::Shutdown, S::Killing, false, {}},
    {S::Killing, E::Restart, S::Killing, false, {}},
    {S::Killing, E::ProcessDown, S::Killing, false, {}},
    {S::Killing, E::SweepKilling, S::Killing, false, {}},
    {S::Killing, E::SweepDone, S::Done, true, {"KILLING->DONE", "finish"}},
    {S::Done, E::Shutdown, S::Done, false, {}},
    {S::Done, E::Restart, S::Done, false, {}},
    {S::Done, E::ProcessDown, S::Done, false, {}},
    {S::Done, E::SweepKilling, S::Done, false, {}},
    {S::Done, E::SweepDone, S::Done, false, {}},
};

TEST_F(LifecycleTest, EveryCell) {
  ASSERT_EQ(k_cells.size(), static_cast<size_t>(k_supervisor_states * k_lifecycle_events));
  for (const Cell& c : k_cells) {
    SCOPED_TRACE(std::string(supervisor_state_name(c.from)) + " x event " + std::to_string(static_cast<int>(c.event)));
    Lifecycle lc(hooks);
    drive_to(lc, c.from);
    EXPECT_EQ(lc.handle(c.event), c.acted);
    EXPECT_EQ(lc.state(), c.to);
    EXPECT_EQ(hooks.calls, c.calls);
  }
}

TEST_F(LifecycleTest, ShutdownStopsStagesByDescendingPriorityThenSweeps) {
  Lifecycle lc(hooks);
  hooks.live = {{1, 2}, {5, 1}, {999, 1}};
  lc.handle(E::Shutdown);
  hooks.live[999] = 0;
  lc.handle(E::ProcessDown);
  hooks.live[5] = 0;
  lc.handle(E::ProcessDown);
  hooks.live[1] = 1;
  lc.handle(E::ProcessDown);  // one of two down: the stage goes on
  hooks.live[1] = 0;
  lc.handle(E::ProcessDown);
  lc.handle(E::SweepDone);
  EXPECT_EQ(hooks.calls, (std::vector<std::string>{"RUNNING->SHUTDOWN", "stop 999", "stop 5", "stop 1", "stop 1",
                                                   "SHUTDOWN->SWEEPING", "sweep", "SWEEPING->DONE", "finish"}));
}

// The stage is whatever the hooks say may stop now: a program that others
// depend on waits for them whatever its priority, and the lifecycle does not
// second-guess that.
TEST_F(LifecycleTest, StagesAreWhatTheHooksSayMayStopNow) {
  Lifecycle lc(hooks);
  hooks.live = {{1, 1}, {5, 1}};
  hooks.forced = 1;  // the priority 1 program depends on the priority 5 one
  lc.handle(E::Shutdown);
  hooks.forced.reset();
  hooks.live[1] = 0;
  lc.handle(E::ProcessDown);
  hooks.live[5] = 0;
  lc.handle(E::ProcessDown);
  EXPECT_EQ(hooks.calls, (std::vector<std::string>{"RUNNING->SHUTDOWN", "stop 1", "stop 5", "SHUTDOWN->SWEEPING",
                                                   "sweep"}));
}

TEST_F(LifecycleTest, RestartEndsRunningAgain) {
  Lifecycle lc(hooks);
  hooks.live = {{1, 1}};
  lc.handle(E::Restart);
  hooks.live.clear();
  lc.handle(E::ProcessDown);
  EXPECT_EQ(lc.state(), S::Running);
  EXPECT_EQ(hooks.calls,
            (std::vector<std::string>{"RUNNING->RESTARTING", "stop 1", "RESTARTING->RUNNING", "restart"}));
}

TEST_F(LifecycleTest, ShutdownWithNothingRunningSweepsAtOnce) {
  Lifecycle lc(hooks);
  lc.handle(E::Shutdown);
  EXPECT_EQ(lc.state(), S::Sweeping);
  EXPECT_EQ(hooks.calls, (std::vector<std::string>{"RUNNING->SHUTDOWN", "SHUTDOWN->SWEEPING", "sweep"}));
}

}  // namespace
}  // namespace tend
