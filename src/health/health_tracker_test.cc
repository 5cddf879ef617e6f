#include "health/health_tracker.h"

#include <gtest/gtest.h>

namespace tend::health {
namespace {

using H = ProcessNotes::Health;

// One step of a sequence: a result and what the tracker says after it.
struct Step {
  bool pass;
  H health;
  bool changed;
  const char* detail;
};

void run(int retries, const std::vector<Step>& steps) {
  HealthTracker t(retries);
  EXPECT_EQ(t.health(), H::Unknown);
  int i = 0;
  for (const Step& s : steps) {
    ProbeResult r = s.pass ? ProbeResult::pass() : ProbeResult::fail("connection refused");
    EXPECT_EQ(t.record(r), s.changed) << "retries " << retries << ", step " << i;
    EXPECT_EQ(t.health(), s.health) << "retries " << retries << ", step " << i;
    EXPECT_EQ(t.detail(), s.detail) << "retries " << retries << ", step " << i;
    ++i;
  }
}

TEST(HealthTracker, OnePassIsHealthy) { run(3, {{true, H::Healthy, true, ""}, {true, H::Healthy, false, ""}}); }

TEST(HealthTracker, RetriesConsecutiveFailuresAreUnhealthy) {
  run(3, {{false, H::Unknown, false, ""},
          {false, H::Unknown, false, ""},
          {false, H::Unhealthy, true, "3 failures: connection refused"},
          {false, H::Unhealthy, false, "4 failures: connection refused"},
          {true, H::Healthy, true, ""}});
}

TEST(HealthTracker, APassResetsTheCount) {
  run(2, {{true, H::Healthy, true, ""},
          {false, H::Healthy, false, ""},
          {true, H::Healthy, false, ""},
          {false, H::Healthy, false, ""},
          {false, H::Unhealthy, true, "2 failures: connection refused"}});
}

TEST(HealthTracker, RetriesBelowOneCountAsOne) {
  run(0, {{false, H::Unhealthy, true, "1 failure: connection refused"}});
  run(1, {{true, H::Healthy, true, ""}, {false, H::Unhealthy, true, "1 failure: connection refused"}});
}

TEST(HealthTracker, FailuresInTheStartPeriodDoNotCountUntilTheFirstPass) {
  HealthTracker t(2);
  ProbeResult fail = ProbeResult::fail("connection refused");
  EXPECT_FALSE(t.record(fail, true));
  EXPECT_FALSE(t.record(fail, true));
  EXPECT_FALSE(t.record(fail, true));
  EXPECT_EQ(t.health(), H::Unknown);
  EXPECT_EQ(t.consecutive_failures(), 0);
  EXPECT_FALSE(t.record(fail, false));  // the period is over: this one counts
  EXPECT_TRUE(t.record(fail, false));
  EXPECT_EQ(t.health(), H::Unhealthy);

  HealthTracker early(2);
  EXPECT_TRUE(early.record(ProbeResult::pass(), true));  // up early: healthy at once
  EXPECT_FALSE(early.record(fail, true));                // and from then on failures count
  EXPECT_TRUE(early.record(fail, true));
  EXPECT_EQ(early.health(), H::Unhealthy);
}

}  // namespace
}  // namespace tend::health
