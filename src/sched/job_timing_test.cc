// JobTiming with a fake clock: @every periods, cron instants, and steps of
// the wall clock in both directions.
#include "sched/job_timing.h"

#include <gtest/gtest.h>

#include "fakes/fake_clock.h"

namespace tend::sched {
namespace {

class JobTimingTest : public ::testing::Test {
 protected:
  JobTiming make(const std::string& text) {
    Result<Schedule> s = parse_schedule(text);
    EXPECT_TRUE(s.ok()) << s.error();
    return JobTiming(*s, utc, clock.now(), clock.wall_now());
  }
  // Seconds from now until the timing wants to be woken.
  double wait_of(const JobTiming& t) const {
    std::optional<MonoTime> at = t.wake_at(clock.now(), clock.wall_now());
    EXPECT_TRUE(at.has_value());
    return std::chrono::duration<double>(*at - clock.now()).count();
  }
  bool take(JobTiming& t) { return t.take_due(clock.now(), clock.wall_now()); }
  // Moves the fake clock to the moment the timing wants to be woken.
  void sleep_until_due(const JobTiming& t) { clock.advance(wait_of(t)); }

  FakeClock clock;
  UtcTimeZone utc;
};

TEST_F(JobTimingTest, EveryCountsMonotonicPeriodsFromItsStart) {
  JobTiming t = make("@every 30s");
  EXPECT_DOUBLE_EQ(wait_of(t), 30);
  clock.advance(29.9);
  EXPECT_FALSE(take(t));  // early: nothing due
  clock.advance(0.1);
  EXPECT_TRUE(take(t));
  EXPECT_DOUBLE_EQ(wait_of(t), 30);
  EXPECT_FALSE(take(t));  // each period runs once
}

TEST_F(JobTimingTest, EveryRunsOnceForSeveralMissedPeriodsAndKeepsItsPhase) {
  JobTiming t = make("@every 10s");
  clock.advance(35);  // 10, 20 and 30 passed while tend did not run
  EXPECT_TRUE(take(t));
  EXPECT_FALSE(take(t));
  EXPECT_DOUBLE_EQ(wait_of(t), 5);  // the phase of the start: 40
}

TEST_F(JobTimingTest, EveryIgnoresStepsOfTheWallClock) {
  JobTiming t = make("@every 1m");
  clock.step_wall(-3600);
  t.clock_stepped(clock.wall_now());
  EXPECT_DOUBLE_EQ(wait_of(t), 60);
  clock.step_wall(7200);
  t.clock_stepped(clock.wall_now());
  EXPECT_FALSE(take(t));
  EXPECT_DOUBLE_EQ(wait_of(t), 60);
}

TEST_F(JobTimingTest, CronFiresAtEachMatchingInstantOnce) {
  // The fake wall clock starts at 1,700,001,000 = 2023-11-14 22:30:00 UTC.
  ASSERT_EQ(format_local(static_cast<int64_t>(clock.wall_now()), utc), "2023-11-14 22:30:00");
  JobTiming t = make("*/5 * * * *");
  EXPECT_EQ(format_local(static_cast<int64_t>(*t.next_wall(clock.now(), clock.wall_now())), utc),
            "2023-11-14 22:35:00");
  EXPECT_DOUBLE_EQ(wait_of(t), 300);
  sleep_until_due(t);
  EXPECT_TRUE(take(t));
  EXPECT_FALSE(take(t));
  EXPECT_DOUBLE_EQ(wait_of(t), 300);
}

TEST_F(JobTimingTest, ForwardStepRunsAMissedJobOnce) {
  JobTiming t = make("*/5 * * * *");
  clock.step_wall(3600);  // twelve instants skipped
  t.clock_stepped(clock.wall_now());
  EXPECT_DOUBLE_EQ(wait_of(t), 0);
  EXPECT_TRUE(take(t));
  EXPECT_FALSE(take(t));
  EXPECT_EQ(format_local(static_cast<int64_t>(*t.next_wall(clock.now(), clock.wall_now())), utc),
            "2023-11-14 23:35:00");
}

TEST_F(JobTimingTest, BackwardStepDoesNotRunAnInstantTwice) {
  JobTiming t = make("*/5 * * * *");
  sleep_until_due(t);  // 22:35
  ASSERT_TRUE(take(t));
  clock.step_wall(-3600);  // 21:35 again
  t.clock_stepped(clock.wall_now());
  EXPECT_FALSE(take(t));
  // Next: 22:40, an hour and five minutes of real time away.
  EXPECT_DOUBLE_EQ(wait_of(t), 3900);
  clock.advance(3899);
  EXPECT_FALSE(take(t));
  clock.advance(1);
  EXPECT_TRUE(take(t));
}

TEST_F(JobTimingTest, BackwardStepOfMoreThanThreeHoursStartsAgainFromTheNewTime) {
  JobTiming t = make("0 * * * *");
  clock.step_wall(-24 * 3600.0);  // a clock that was a day ahead, corrected
  t.clock_stepped(clock.wall_now());
  EXPECT_DOUBLE_EQ(wait_of(t), 1800);  // the next full hour of the new time
}

TEST_F(JobTimingTest, CronWithoutAnyInstantNeverWakes) {
  JobTiming t = make("0 0 30 2 *");
  EXPECT_FALSE(t.wake_at(clock.now(), clock.wall_now()));
  EXPECT_FALSE(t.next_wall(clock.now(), clock.wall_now()));
  EXPECT_FALSE(take(t));
}

TEST_F(JobTimingTest, NextWallOfEveryIsOnTheWallClock) {
  JobTiming t = make("@every 2m");
  EXPECT_DOUBLE_EQ(*t.next_wall(clock.now(), clock.wall_now()), clock.wall_now() + 120);
}

}  // namespace
}  // namespace tend::sched
