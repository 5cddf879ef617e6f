// The scheduler in a supervisor on a fake clock and a fake runtime: runs at
// due moments, skips overlapping runs, follows wall-clock steps, and stops
// with the supervisor.
#include "core/job_scheduler.h"

#include <gtest/gtest.h>

#include "core/supervisor.h"
#include "fakes/fake_supervisor.h"
#include "fakes/test_configs.h"

namespace tend {
namespace {

using test_support::config_of;
using test_support::exited_with;

ProcessConfig job(const std::string& name, const std::string& schedule) {
  ProcessConfig p = test_support::program_config(name, "/bin/sh", 999, 1);
  p.oneshot = true;
  p.schedule = schedule;
  p.autostart = false;
  return p;
}

class JobSchedulerTest : public test_support::FakeSupervisorTest {
 protected:
  void make_with(Config c) {
    build(std::move(c));
    sched = std::make_unique<JobScheduler>(*sup, &utc);
    start();
  }
  size_t spawns() const { return rt.spawned.size(); }

  sched::UtcTimeZone utc;
  std::unique_ptr<JobScheduler> sched;
};

TEST_F(JobSchedulerTest, EveryStartsTheProgramAtEachPeriod) {
  make_with(config_of({job("j", "@every 2s")}));
  EXPECT_EQ(sched->job_count(), 1u);
  EXPECT_EQ(proc("j").state(), ProcessState::Stopped);  // autostart is off
  advance(1.9);
  EXPECT_EQ(spawns(), 0u);
  advance(0.1);
  EXPECT_EQ(spawns(), 1u);
  EXPECT_EQ(proc("j").state(), ProcessState::Starting);
  exit("j", exited_with(0));
  EXPECT_TRUE(proc("j").fsm().completed());
  advance(2);
  EXPECT_EQ(spawns(), 2u);
}

TEST_F(JobSchedulerTest, OverlappingRunIsSkippedAndCounted) {
  make_with(config_of({job("j", "@every 2s")}));
  advance(2);
  ASSERT_EQ(spawns(), 1u);
  advance(2);  // still running
  advance(2);
  EXPECT_EQ(spawns(), 1u);
  EXPECT_EQ(sched->skipped_runs(proc("j")), 2u);
  EXPECT_EQ(proc("j").notes().skipped_runs, 2u);
  exit("j", exited_with(0));
  advance(2);
  EXPECT_EQ(spawns(), 2u);
}

TEST_F(JobSchedulerTest, NextRunIsInTheNotes) {
  // The fake wall clock starts at 2023-11-14 22:30:00 UTC.
  make_with(config_of({job("j", "0 * * * *")}));
  EXPECT_EQ(proc("j").notes().next_run_text, "2023-11-14 23:00:00");
  EXPECT_DOUBLE_EQ(proc("j").notes().next_run, 1'700'002'800.0);
  advance(1799);
  EXPECT_EQ(spawns(), 0u);
  advance(1);
  EXPECT_EQ(spawns(), 1u);
  EXPECT_EQ(proc("j").notes().next_run_text, "2023-11-15 00:00:00");
}

TEST_F(JobSchedulerTest, ForwardStepRunsAMissedJobOnceAndBackwardStepDoesNotRepeatIt) {
  make_with(config_of({job("j", "*/10 * * * *")}));
  clock.step_wall(3600);
  sched->clock_stepped();
  settle();
  EXPECT_EQ(spawns(), 1u);
  exit("j", exited_with(0));
  clock.step_wall(-3600);
  sched->clock_stepped();
  settle();
  EXPECT_EQ(spawns(), 1u);
  EXPECT_EQ(proc("j").notes().next_run_text, "2023-11-14 23:40:00");
}

TEST_F(JobSchedulerTest, FailedRunIsRetriedAndTheNextScheduleStillRuns) {
  ProcessConfig j = job("j", "@every 1m");
  j.startretries = 0;
  make_with(config_of({j}));
  advance(60);
  exit("j", exited_with(1));
  EXPECT_EQ(proc("j").state(), ProcessState::Fatal);
  advance(60);
  EXPECT_EQ(spawns(), 2u);  // FATAL does not stop the schedule
}

TEST_F(JobSchedulerTest, ShutdownDropsEveryJob) {
  make_with(config_of({job("j", "@every 1s"), job("k", "* * * * *")}));
  EXPECT_EQ(sched->job_count(), 2u);
  sup->request_shutdown("test");
  settle();
  EXPECT_EQ(sched->job_count(), 0u);
  advance(120);
  EXPECT_EQ(spawns(), 0u);
}

TEST_F(JobSchedulerTest, NothingIsArmedForUnscheduledPrograms) {
  make_with(config_of({test_support::program_config("p", "/bin/sh")}));
  EXPECT_EQ(sched->job_count(), 0u);
}

}  // namespace
}  // namespace tend
