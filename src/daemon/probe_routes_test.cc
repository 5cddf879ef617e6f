// What /readyz says, on a supervisor with a fake clock and runtime.
#include "daemon/probe_routes.h"

#include <gtest/gtest.h>

#include "fakes/fake_supervisor.h"
#include "fakes/test_configs.h"

namespace tend::rpc {
namespace {

using test_support::config_of;
using test_support::exited_with;

ProcessConfig program(const std::string& name, int startsecs = 1) {
  return test_support::program_config(name, "/bin/sleep 100", 999, startsecs);
}

class ReadinessTest : public test_support::FakeSupervisorTest {};

TEST_F(ReadinessTest, ReadyOnceEveryAutostartProgramRuns) {
  ProcessConfig manual = program("manual");
  manual.autostart = false;
  make(config_of({program("a"), program("b", 3), manual}));
  EXPECT_EQ(readiness_problems(*sup), "a STARTING\nb STARTING\n");
  advance(1);
  EXPECT_EQ(readiness_problems(*sup), "b STARTING\n");
  advance(2);
  EXPECT_EQ(readiness_problems(*sup), "");  // "manual" is not autostart: not waited for
}

TEST_F(ReadinessTest, AFatalProgramMakesItNotReadyUntilItRunsAgain) {
  ProcessConfig a = program("a");
  a.startretries = 0;
  make(config_of({a}));
  exit("a", exited_with(1));  // before startsecs: a failed start, no retries left
  EXPECT_EQ(proc("a").state(), ProcessState::Fatal);
  EXPECT_EQ(readiness_problems(*sup), "a FATAL\n");
  sup->commands().start(proc("a"), false, Waiter{[](CommandResult) {}});
  settle();
  advance(1);
  EXPECT_EQ(readiness_problems(*sup), "");
}

TEST_F(ReadinessTest, ACompletedOneshotCountsAsUpAFailedOneNot) {
  ProcessConfig job = program("job");
  job.oneshot = true;
  job.autorestart = AutoRestart::Never;
  ProcessConfig bad = program("bad");
  bad.oneshot = true;
  bad.autorestart = AutoRestart::Never;
  bad.startretries = 0;
  make(config_of({job, bad}));
  EXPECT_EQ(readiness_problems(*sup), "bad STARTING\njob STARTING\n");
  exit("job", exited_with(0));
  exit("bad", exited_with(3));
  EXPECT_EQ(readiness_problems(*sup), "bad FATAL\n");
}

TEST_F(ReadinessTest, AnExpectedExitThatIsNotRestartedCountsAsDone) {
  ProcessConfig once = program("once", 0);
  once.autorestart = AutoRestart::Unexpected;
  make(config_of({once}));
  exit("once", exited_with(0));
  EXPECT_EQ(proc("once").state(), ProcessState::Exited);
  EXPECT_EQ(readiness_problems(*sup), "");
}

TEST_F(ReadinessTest, AnUnexpectedExitAwaitingItsRestartIsNotUp) {
  ProcessConfig crashy = program("crashy", 0);
  crashy.autorestart = AutoRestart::Unexpected;
  crashy.restartpause = 30;  // the restart waits: EXITED meanwhile
  make(config_of({crashy}));
  exit("crashy", exited_with(2));
  EXPECT_EQ(proc("crashy").state(), ProcessState::Exited);
  EXPECT_EQ(readiness_problems(*sup), "crashy EXITED\n");
}

TEST_F(ReadinessTest, ShuttingDownIsNeverReady) {
  make(config_of({program("a", 0)}));
  EXPECT_EQ(readiness_problems(*sup), "");
  sup->commands().shutdown("test");
  settle();
  EXPECT_EQ(readiness_problems(*sup), "tend is shutting down\n");
}

}  // namespace
}  // namespace tend::rpc
