// ExitPolicy (critical, main_program, exit_when) and one-shot programs in the
// supervisor, on a fake clock and a fake runtime.
#include "core/exit_policy.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "core/supervisor.h"
#include "fakes/fake_supervisor.h"
#include "fakes/test_configs.h"

namespace tend {
namespace {

using test_support::config_of;
using test_support::exited_with;
using test_support::killed_by;
using W = SupervisordConfig::ExitWhen;

ProcessConfig program(const std::string& name, int startsecs = 1) {
  return test_support::program_config(name, "/bin/sleep 100", 999, startsecs);
}

ProcessConfig oneshot(const std::string& name) {
  ProcessConfig p = program(name);
  p.oneshot = true;
  p.startretries = 1;
  return p;
}

class ExitPolicyTest : public test_support::FakeSupervisorTest {
 protected:
  bool ended() const { return sup->state() != SupervisorState::Running; }
  // Lets the shutdown finish: every live program exits on its stop signal.
  void finish_shutdown(std::initializer_list<const char*> live) {
    for (const char* name : live) {
      exit(name, killed_by(SIGTERM));
    }
    EXPECT_TRUE(loop->stopping());
  }
};

TEST_F(ExitPolicyTest, CriticalKilledBySignalEndsWith128PlusNAfterStoppingTheOthers) {
  ProcessConfig c = program("core");
  c.critical = true;
  c.autorestart = AutoRestart::Never;
  make(config_of({c, program("side")}));
  advance(1);
  exit("core", killed_by(SIGKILL));
  EXPECT_EQ(sup->state(), SupervisorState::Stopping);
  EXPECT_EQ(rt.signals_to(pid_of("side")), (std::vector<int>{SIGTERM, SIGCONT}));
  finish_shutdown({"side"});
  EXPECT_EQ(sup->exit_code(), 137);
}

TEST_F(ExitPolicyTest, CriticalThatIsRestartedDoesNotEndTend) {
  ProcessConfig c = program("core");
  c.critical = true;  // autorestart=unexpected
  make(config_of({c}));
  advance(1);
  exit("core", exited_with(2));
  advance(1);
  EXPECT_FALSE(ended());
  EXPECT_EQ(proc("core").state(), ProcessState::Running);
}

TEST_F(ExitPolicyTest, CriticalFatalEndsWithItsLastExitCode) {
  ProcessConfig c = program("core");
  c.critical = true;
  c.startretries = 0;
  make(config_of({c, program("side")}));
  exit("core", exited_with(4));  // too quickly, no retries left: FATAL
  EXPECT_EQ(proc("core").state(), ProcessState::Fatal);
  EXPECT_EQ(sup->state(), SupervisorState::Stopping);
  finish_shutdown({"side"});
  EXPECT_EQ(sup->exit_code(), 4);
}

TEST_F(ExitPolicyTest, CriticalThatCannotBeSpawnedEndsWith127) {
  ProcessConfig c = program("core");
  c.critical = true;
  c.startretries = 0;
  c.command = "/nope";
  rt.fail["/nope"] = "can't find command '/nope'";
  make(config_of({c}));
  settle();
  EXPECT_TRUE(loop->stopping());
  EXPECT_EQ(sup->exit_code(), 127);
}

TEST_F(ExitPolicyTest, CriticalWhoseRestartCannotBeSpawnedEndsWith127NotItsEarlierExit) {
  ProcessConfig c = program("core");
  c.critical = true;
  c.startretries = 0;
  make(config_of({c}));
  advance(1);
  rt.fail[c.command] = "can't find command '/bin/sleep'";
  exit("core", exited_with(2));  // unexpected: restarted, and that spawn fails
  EXPECT_EQ(proc("core").state(), ProcessState::Fatal);
  EXPECT_TRUE(loop->stopping());
  EXPECT_EQ(sup->exit_code(), 127);
}

TEST_F(ExitPolicyTest, CriticalOneshotThatCompletesDoesNotEndTend) {
  ProcessConfig j = oneshot("job");
  j.critical = true;
  make(config_of({j, program("side")}));
  exit("job", exited_with(0));
  EXPECT_TRUE(proc("job").fsm().completed());
  EXPECT_FALSE(ended());
}

TEST_F(ExitPolicyTest, CriticalOneshotThatFailsForGoodEndsWithItsStatus) {
  ProcessConfig j = oneshot("job");
  j.critical = true;
  make(config_of({j, program("side")}));
  exit("job", exited_with(3));
  EXPECT_EQ(proc("job").state(), ProcessState::Backoff);
  advance(1);
  exit("job", exited_with(5));
  EXPECT_EQ(proc("job").state(), ProcessState::Fatal);
  finish_shutdown({"side"});
  EXPECT_EQ(sup->exit_code(), 5);
}

TEST_F(ExitPolicyTest, AnyExitedEndsOnTheFirstProgramThatEndsForGood) {
  Config cfg = config_of({program("a"), program("b"), oneshot("init")});
  cfg.supervisord.exit_when = W::AnyExited;
  make(cfg);
  exit("init", exited_with(0));  // a completed one-shot is not an end
  advance(1);
  EXPECT_FALSE(ended());
  exit("a", exited_with(1));  // unexpected: restarted, not an end
  advance(1);
  EXPECT_FALSE(ended());
  EXPECT_EQ(proc("a").state(), ProcessState::Running);
  exit("a", exited_with(0));  // expected: autorestart=unexpected leaves it EXITED
  EXPECT_EQ(sup->state(), SupervisorState::Stopping);
  finish_shutdown({"b"});
  EXPECT_EQ(sup->exit_code(), 0);
}

TEST_F(ExitPolicyTest, AnyExitedIgnoresScheduledPrograms) {
  ProcessConfig job = oneshot("job");
  job.schedule = "@every 1m";
  Config cfg = config_of({job, program("a")});
  cfg.supervisord.exit_when = W::AnyExited;
  make(cfg);
  ASSERT_EQ(proc("job").state(), ProcessState::Starting);  // autostart set here explicitly
  exit("job", exited_with(9));
  advance(1);
  exit("job", exited_with(9));
  EXPECT_EQ(proc("job").state(), ProcessState::Fatal);
  EXPECT_FALSE(ended());
}

TEST_F(ExitPolicyTest, AllExitedWaitsForTheLastAndReportsTheFirstFailure) {
  ProcessConfig a = program("a");
  a.autorestart = AutoRestart::Never;
  ProcessConfig b = program("b");
  b.autorestart = AutoRestart::Never;
  ProcessConfig c = program("c");
  c.autorestart = AutoRestart::Never;
  Config cfg = config_of({a, b, c});
  cfg.supervisord.exit_when = W::AllExited;
  make(cfg);
  advance(1);
  exit("a", exited_with(0));
  exit("b", exited_with(6));
  EXPECT_FALSE(ended());
  exit("c", killed_by(SIGSEGV));
  EXPECT_TRUE(loop->stopping());
  EXPECT_EQ(sup->exit_code(), 6);
}

TEST_F(ExitPolicyTest, AllExitedIsZeroWhenEveryoneSucceeded) {
  Config cfg = config_of({oneshot("x"), oneshot("y")});
  cfg.supervisord.exit_when = W::AllExited;
  make(cfg);
  exit("x", exited_with(0));
  EXPECT_FALSE(ended());
  exit("y", exited_with(0));
  EXPECT_TRUE(loop->stopping());
  EXPECT_EQ(sup->exit_code(), 0);
}

TEST_F(ExitPolicyTest, AllExitedWaitsForDependentsReleasedByACompletion) {
  ProcessConfig web = oneshot("web");
  web.depends_on = {Dependency{"migrate", Dependency::Condition::Ready}};  // ready of a one-shot: completed
  Config cfg = config_of({oneshot("migrate"), web});
  cfg.supervisord.exit_when = W::AllExited;
  make(cfg);
  EXPECT_EQ(proc("web").state(), ProcessState::Stopped);
  EXPECT_FALSE(proc("web").notes().waiting_for.empty());
  exit("migrate", exited_with(0));
  EXPECT_FALSE(ended());
  EXPECT_EQ(proc("web").state(), ProcessState::Starting);
  exit("web", exited_with(0));
  EXPECT_TRUE(loop->stopping());
}

TEST_F(ExitPolicyTest, AllExitedKeepsRunningWhileAProgramIsScheduled) {
  ProcessConfig job = oneshot("job");
  job.schedule = "@every 1m";
  job.autostart = false;
  Config cfg = config_of({oneshot("x"), job});
  cfg.supervisord.exit_when = W::AllExited;
  make(cfg);
  exit("x", exited_with(0));
  EXPECT_FALSE(ended());
}

TEST_F(ExitPolicyTest, MainProgramStillEndsWhateverItsAutorestart) {
  ProcessConfig m = program("main");
  m.autorestart = AutoRestart::Always;
  Config cfg = config_of({m});
  cfg.supervisord.main_program = "main";
  make(cfg);
  advance(1);
  exit("main", exited_with(0));
  EXPECT_TRUE(loop->stopping());
  EXPECT_EQ(sup->exit_code(), 0);
}

TEST_F(ExitPolicyTest, OneshotStartWithWaitAnswersWhenItCompletes) {
  ProcessConfig j = oneshot("job");
  j.autostart = false;
  make(config_of({j}));
  std::optional<CommandResult> answer;
  sup->commands().start(proc("job"), true, Waiter{[&](CommandResult r) { answer = r; }});
  advance(5);
  EXPECT_FALSE(answer);
  exit("job", exited_with(0));
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->ok());
}

}  // namespace
}  // namespace tend
