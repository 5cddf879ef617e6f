// The supervisor's logic on a fake clock and a fake runtime (fakes/fake_supervisor.h).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "core/supervisor.h"
#include "fakes/fake_supervisor.h"
#include "fakes/test_configs.h"

namespace tend {
namespace {

using test_support::config_of;
using test_support::exited_with;
using test_support::killed_by;

ProcessConfig program(const std::string& name, int priority = 999, int startsecs = 1) {
  return test_support::program_config(name, "/bin/sleep 100", priority, startsecs);
}

class SupervisorFakeTest : public test_support::FakeSupervisorTest {};

TEST_F(SupervisorFakeTest, ProcessesRunOnceStartsecsPassOnTheFakeClock) {
  make(config_of({program("a"), program("b", 999, 3)}));
  EXPECT_EQ(proc("a").state(), ProcessState::Starting);
  advance(1);
  EXPECT_EQ(proc("a").state(), ProcessState::Running);
  EXPECT_EQ(proc("b").state(), ProcessState::Starting);
  advance(2);
  EXPECT_EQ(proc("b").state(), ProcessState::Running);
}

TEST_F(SupervisorFakeTest, ShutdownStopsByDescendingPriorityAndWakesEachWithSigcont) {
  make(config_of({program("a", 1), program("b", 5), program("c", 5), program("d", 999)}));
  advance(1);
  pid_t a = pid_of("a"), b = pid_of("b"), c = pid_of("c"), d = pid_of("d");
  sup->request_shutdown("test");
  EXPECT_EQ(sup->state(), SupervisorState::Stopping);
  EXPECT_EQ(rt.signals_to(d), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_TRUE(rt.signals_to(b).empty());
  exit("d", killed_by(SIGTERM));
  // Both groups of priority 5 at once, nothing yet for priority 1.
  EXPECT_EQ(rt.signals_to(b), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_EQ(rt.signals_to(c), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_TRUE(rt.signals_to(a).empty());
  exit("b", exited_with(0));
  EXPECT_TRUE(rt.signals_to(a).empty());  // c is still stopping
  // c ignores TERM: SIGKILL after its stopwaitsecs (10 s), not before.
  advance(9.9);
  EXPECT_EQ(rt.signals_to(c).size(), 2u);
  advance(0.1);
  EXPECT_EQ(rt.signals_to(c), (std::vector<int>{SIGTERM, SIGCONT, SIGKILL}));
  sup->child_exited(c, killed_by(SIGKILL));
  settle();
  EXPECT_EQ(rt.signals_to(a), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_FALSE(loop->stopping());
  sup->child_exited(a, killed_by(SIGTERM));
  settle();
  // Every program is down and nothing else descends from us: done at once.
  EXPECT_EQ(sup->state(), SupervisorState::Done);
  EXPECT_TRUE(loop->stopping());
  EXPECT_EQ(sup->exit_code(), 0);
}

TEST_F(SupervisorFakeTest, StateChangesArePublishedWithPidTriesAndExpected) {
  make(config_of({program("a")}));
  std::vector<ProcessStateChanged> seen;
  std::vector<SupervisorStateChanged> sup_seen;
  auto s1 = sup->bus().subscribe(mask_of(EventKind::ProcessState),
                                 [&](const Event& e) { seen.push_back(std::get<ProcessStateChanged>(e)); });
  auto s2 = sup->bus().subscribe(mask_of(EventKind::SupervisorState),
                                 [&](const Event& e) { sup_seen.push_back(std::get<SupervisorStateChanged>(e)); });
  advance(1);
  pid_t a = pid_of("a");
  exit("a", exited_with(0));  // expected: exitcodes=0; autorestart=unexpected: stays EXITED
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].to, ProcessState::Running);
  EXPECT_EQ(seen[0].pid, a);
  EXPECT_EQ(seen[1].from, ProcessState::Running);
  EXPECT_EQ(seen[1].to, ProcessState::Exited);
  EXPECT_EQ(seen[1].pid, a);
  EXPECT_TRUE(seen[1].expected);
  sup->request_shutdown("test");
  settle();
  ASSERT_GE(sup_seen.size(), 2u);
  EXPECT_EQ(sup_seen[0].to, SupervisorState::Stopping);
  EXPECT_EQ(sup_seen.back().to, SupervisorState::Done);
}

TEST_F(SupervisorFakeTest, MainProgramExitEndsWithItsStatusAfterStoppingTheOthers) {
  Config c = config_of({program("main"), program("side")});
  c.supervisord.main_program = "main";
  make(c);
  advance(1);
  exit("main", exited_with(7));
  EXPECT_EQ(sup->state(), SupervisorState::Stopping);
  EXPECT_EQ(rt.signals_to(pid_of("side")), (std::vector<int>{SIGTERM, SIGCONT}));
  exit("side", killed_by(SIGTERM));
  EXPECT_TRUE(loop->stopping());
  EXPECT_EQ(sup->exit_code(), 7);
}

TEST_F(SupervisorFakeTest, StartWithWaitAnswersOnlyOnceRunning) {
  ProcessConfig p = program("a", 999, 5);
  p.autostart = false;
  make(config_of({p}));
  std::optional<CommandResult> answer;
  sup->commands().start(proc("a"), true, Waiter{[&](CommandResult r) { answer = r; }});
  settle();
  EXPECT_FALSE(answer);
  EXPECT_EQ(sup->commands().pending_waits(), 1u);
  advance(4.9);
  EXPECT_FALSE(answer);
  advance(0.1);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->ok());
  EXPECT_EQ(sup->commands().pending_waits(), 0u);
}

TEST_F(SupervisorFakeTest, StartWithWaitReportsAnEarlyExitOrStop) {
  ProcessConfig p = program("a", 999, 5);
  p.autostart = false;
  make(config_of({p}));
  std::optional<CommandResult> answer;
  sup->commands().start(proc("a"), true, Waiter{[&](CommandResult r) { answer = r; }});
  advance(1);
  exit("a", exited_with(1));  // too quickly: supervisord sets spawnerr, hence SPAWN_ERROR
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->refusal, Refusal::SpawnError);
  EXPECT_EQ(answer->detail, "Exited too quickly (process log may have details)");

  answer.reset();
  advance(1);  // BACKOFF retries
  ASSERT_EQ(proc("a").state(), ProcessState::Starting);
  std::optional<CommandResult> stopped;
  sup->commands().start(proc("a"), true, Waiter{[&](CommandResult r) { answer = r; }});
  EXPECT_EQ(answer->refusal, Refusal::AlreadyStarted);
  answer.reset();
  ProcessConfig q = program("q", 999, 5);
  q.autostart = false;
  ASSERT_TRUE(sup->add_group(config_of({q}).groups[0]).ok());
  sup->commands().start(proc("q"), true, Waiter{[&](CommandResult r) { answer = r; }});
  sup->commands().stop(proc("q"), false, Waiter{[&](CommandResult r) { stopped = r; }});
  exit("q", killed_by(SIGTERM));  // stopped before RUNNING, no spawn error
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->refusal, Refusal::AbnormalTermination);
}

TEST_F(SupervisorFakeTest, RefusalsComeFromOnePlace) {
  ProcessConfig p = program("a");
  make(config_of({p}));
  auto start = [&] {
    std::optional<CommandResult> r;
    sup->commands().start(proc("a"), false, Waiter{[&](CommandResult x) { r = x; }});
    return r.value_or(CommandResult::refused(Refusal::Failed, "no answer"));
  };
  EXPECT_EQ(start().refusal, Refusal::AlreadyStarted);  // STARTING
  exit("a", exited_with(1));                            // too quickly: BACKOFF
  ASSERT_EQ(proc("a").state(), ProcessState::Backoff);
  EXPECT_EQ(start().refusal, Refusal::AlreadyStarted);  // supervisord counts BACKOFF as started
  // A stop cancels the BACKOFF; then the start is accepted.
  std::optional<CommandResult> stopped;
  sup->commands().stop(proc("a"), false, Waiter{[&](CommandResult r) { stopped = r; }});
  ASSERT_TRUE(stopped && stopped->ok());
  EXPECT_EQ(proc("a").state(), ProcessState::Stopped);
  EXPECT_TRUE(start().ok());
  // Not running: stop and signal are refused with NotRunning.
  ProcessConfig q = program("q");
  q.autostart = false;
  ASSERT_TRUE(sup->add_group(config_of({q}).groups[0]).ok());
  std::optional<CommandResult> r;
  sup->commands().stop(proc("q"), false, Waiter{[&](CommandResult x) { r = x; }});
  EXPECT_EQ(r->refusal, Refusal::NotRunning);
  EXPECT_EQ(sup->commands().signal(proc("q"), SIGHUP).refusal, Refusal::NotRunning);
}

TEST_F(SupervisorFakeTest, StopCancelsAWaitingRestartLikeAnUpdateDoes) {
  ProcessConfig p = program("a", 999, 0);
  p.autorestart = AutoRestart::Always;
  make(config_of({p}));
  exit("a", exited_with(1));  // within 1 s of its start: the restart waits
  ASSERT_EQ(proc("a").fsm().fsm_state(), FsmState::RestartWait);
  std::optional<CommandResult> r;
  sup->commands().stop(proc("a"), true, Waiter{[&](CommandResult x) { r = x; }});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(proc("a").state(), ProcessState::Stopped);
  advance(5);
  EXPECT_EQ(rt.spawned.size(), 1u);  // never restarted
}

TEST_F(SupervisorFakeTest, UpdateRestartsOnlyWhatChanged) {
  make(config_of({program("a"), program("b")}));
  advance(1);
  pid_t b = pid_of("b");
  Config next = config_of({program("a"), program("b")});
  next.groups[0].processes[0].command = "/bin/sleep 101";
  ConfigDiff d = sup->update(next);
  ASSERT_EQ(d.changed.size(), 1u);
  pid_t old_a = rt.spawned[0];
  EXPECT_EQ(rt.signals_to(old_a), (std::vector<int>{SIGTERM, SIGCONT}));
  sup->child_exited(old_a, killed_by(SIGTERM));
  settle();
  EXPECT_EQ(proc("a").config().command, "/bin/sleep 101");
  EXPECT_EQ(proc("a").state(), ProcessState::Starting);
  EXPECT_EQ(pid_of("b"), b);
  EXPECT_TRUE(rt.signals_to(b).empty());
}

TEST_F(SupervisorFakeTest, RestartStopsEverythingThenStartsTheNewConfig) {
  Config second = config_of({program("q")});
  make(config_of({program("p", 1), program("r", 2)}), [&] { return Result<Config>(second); });
  advance(1);
  sup->request_restart("test");
  EXPECT_EQ(sup->state(), SupervisorState::Restarting);
  EXPECT_EQ(rt.signals_to(pid_of("r")).size(), 2u);
  EXPECT_TRUE(rt.signals_to(pid_of("p")).empty());
  exit("r", killed_by(SIGTERM));
  exit("p", killed_by(SIGTERM));
  EXPECT_EQ(sup->state(), SupervisorState::Running);
  EXPECT_EQ(sup->table().find_group("p"), nullptr);
  EXPECT_EQ(proc("q").state(), ProcessState::Starting);
}

TEST_F(SupervisorFakeTest, RestartWithABadConfigKeepsEverythingRunning) {
  make(config_of({program("p")}), [] { return Result<Config>(make_error("x.conf:3: not a valid boolean value")); });
  advance(1);
  pid_t before = pid_of("p");
  sup->request_restart("received SIGHUP indicating restart request");
  settle();
  EXPECT_EQ(sup->state(), SupervisorState::Running);
  EXPECT_EQ(pid_of("p"), before);
  EXPECT_TRUE(rt.kills.empty());
}

TEST_F(SupervisorFakeTest, UpdateWithABadConfigChangesNothing) {
  make(config_of({program("p")}), [] { return Result<Config>(make_error("x.conf:3: not a valid boolean value")); });
  advance(1);
  pid_t before = pid_of("p");
  sup->request_update("received SIGHUP indicating restart request");
  settle();
  EXPECT_EQ(pid_of("p"), before);
  EXPECT_EQ(proc("p").state(), ProcessState::Running);
  EXPECT_TRUE(rt.kills.empty());
}

TEST_F(SupervisorFakeTest, CommandsAreRefusedWhileStopping) {
  make(config_of({program("a")}));
  EXPECT_TRUE(sup->commands().accepting());
  sup->request_shutdown("test");
  EXPECT_FALSE(sup->commands().accepting());
}

}  // namespace
}  // namespace tend
