// depends_on in the whole supervisor, on a fake clock and a fake runtime (as
// supervisor_fake_test.cc): holding back, starting when met, starting a
// dependent's dependencies on request, and the stop order.
#include "core/dependency_scheduler.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <map>

#include "core/supervisor.h"
#include "fakes/fake_supervisor.h"
#include "fakes/test_configs.h"

namespace tend {
namespace {

using C = Dependency::Condition;
using test_support::config_of;
using test_support::exited_with;
using test_support::killed_by;

ProcessConfig program(const std::string& name, std::vector<Dependency> deps = {}, int priority = 999,
                      int startsecs = 1) {
  ProcessConfig p = test_support::program_config(name, "/bin/sleep 100", priority, startsecs);
  p.depends_on = std::move(deps);
  return p;
}

ProcessConfig manual(ProcessConfig p) {
  p.autostart = false;
  return p;
}

class DependencySchedulerTest : public test_support::FakeSupervisorTest {
 protected:
  ProcessState state(const std::string& name) { return proc(name).state(); }
  const std::string& waiting(const std::string& name) { return proc(name).notes().waiting_for; }
  // Starts `name` through the command layer; the answer lands in `answer`.
  void start(const std::string& name, bool wait) {
    answer.reset();
    sup->commands().start(proc(name), wait, Waiter{[this](CommandResult r) { answer = r; }});
    settle();
  }

  std::optional<CommandResult> answer;
};

TEST_F(DependencySchedulerTest, AChainStartsOneLinkAtATimeAsEachBecomesReady) {
  make(config_of({program("c", {{"b"}}, 1), program("b", {{"a"}}, 2), program("a", {}, 3)}));
  EXPECT_EQ(state("a"), ProcessState::Starting);
  EXPECT_EQ(state("b"), ProcessState::Stopped);
  EXPECT_EQ(waiting("b"), "a (ready)");
  EXPECT_EQ(waiting("c"), "b (ready)");
  advance(1);  // a passes startsecs
  EXPECT_EQ(state("a"), ProcessState::Running);
  EXPECT_EQ(state("b"), ProcessState::Starting);
  EXPECT_EQ(waiting("b"), "");
  EXPECT_EQ(state("c"), ProcessState::Stopped);
  advance(1);
  EXPECT_EQ(state("c"), ProcessState::Starting);
  EXPECT_EQ(rt.spawned.size(), 3u);
}

TEST_F(DependencySchedulerTest, ADiamondStartsBothMiddlesTogetherInPriorityOrderAndTheTopAfterBoth) {
  make(config_of({program("web", {{"left"}, {"right"}}, 1), program("right", {{"db"}}, 2),
                  program("left", {{"db"}}, 3), program("db", {}, 4)}));
  advance(1);
  ASSERT_EQ(state("left"), ProcessState::Starting);
  ASSERT_EQ(state("right"), ProcessState::Starting);
  EXPECT_LT(pid_of("right"), pid_of("left"));  // right's priority is lower: spawned first
  EXPECT_EQ(waiting("web"), "left (ready), right (ready)");
  exit("left", exited_with(1));  // too quickly: BACKOFF, retried 1 s later
  advance(1);
  EXPECT_EQ(state("right"), ProcessState::Running);
  EXPECT_EQ(state("left"), ProcessState::Starting);
  EXPECT_EQ(state("web"), ProcessState::Stopped);
  EXPECT_EQ(waiting("web"), "left (ready)");
  advance(1);
  EXPECT_EQ(state("left"), ProcessState::Running);
  EXPECT_EQ(state("web"), ProcessState::Starting);
}

TEST_F(DependencySchedulerTest, ReadyWaitsForTheReadinessCheck) {
  ProcessConfig db = program("db");
  db.ready.kind = ProbeSpec::Kind::Notify;
  make(config_of({program("web", {{"db"}}), db}));
  advance(5);
  EXPECT_EQ(state("db"), ProcessState::Starting);
  EXPECT_EQ(state("web"), ProcessState::Stopped);
  sup->commands().report_ready(proc("db"));
  settle();
  EXPECT_EQ(state("db"), ProcessState::Running);
  EXPECT_EQ(state("web"), ProcessState::Starting);
}

TEST_F(DependencySchedulerTest, StartedAndHealthyAndCompleted) {
  ProcessConfig api = program("api");
  api.healthcheck.kind = ProbeSpec::Kind::Tcp;
  ProcessConfig migrate = program("migrate", {}, 999, 0);
  migrate.autorestart = AutoRestart::Never;
  make(config_of({program("fast", {{"api", C::Started}}), program("safe", {{"api", C::Healthy}}),
                  program("after", {{"migrate", C::Completed}}), api, migrate}));
  EXPECT_EQ(state("fast"), ProcessState::Starting);  // api is STARTING: spawned
  advance(1);
  EXPECT_EQ(state("api"), ProcessState::Running);
  EXPECT_EQ(state("safe"), ProcessState::Stopped);  // ready, but no verdict yet
  sup->commands().annotate(proc("api"), [](ProcessNotes& n) { n.health = ProcessNotes::Health::Healthy; });
  settle();
  EXPECT_EQ(state("safe"), ProcessState::Starting);
  EXPECT_EQ(waiting("after"), "migrate (completed)");
  exit("migrate", exited_with(0));
  EXPECT_EQ(state("migrate"), ProcessState::Exited);
  EXPECT_EQ(state("after"), ProcessState::Starting);
}

TEST_F(DependencySchedulerTest, AnUnexpectedExitIsNotCompleted) {
  ProcessConfig migrate = program("migrate", {}, 999, 0);
  migrate.autorestart = AutoRestart::Never;
  make(config_of({program("after", {{"migrate", C::Completed}}), migrate}));
  exit("migrate", exited_with(3));
  EXPECT_EQ(state("migrate"), ProcessState::Exited);
  EXPECT_EQ(state("after"), ProcessState::Stopped);
  EXPECT_EQ(waiting("after"), "migrate (completed)");
}

TEST_F(DependencySchedulerTest, AFatalDependencyLeavesItsDependentsWaiting) {
  ProcessConfig db = program("db");
  db.command = "/bin/db";
  db.startretries = 0;
  rt.fail["/bin/db"] = "can't find command '/bin/db'";
  make(config_of({program("web", {{"db"}}), db}));
  EXPECT_EQ(state("db"), ProcessState::Fatal);
  advance(10);
  EXPECT_EQ(state("web"), ProcessState::Stopped);
  EXPECT_EQ(waiting("web"), "db (ready)");
}

TEST_F(DependencySchedulerTest, StartingADependentStartsItsDependenciesFirstAndWaitsForIt) {
  make(config_of({manual(program("web", {{"api"}})), manual(program("api", {{"db"}, {"cache", C::Started}})),
                  manual(program("db")), manual(program("cache")), manual(program("other"))}));
  start("web", true);
  EXPECT_EQ(state("db"), ProcessState::Starting);
  EXPECT_EQ(state("cache"), ProcessState::Starting);
  EXPECT_EQ(state("api"), ProcessState::Stopped);
  EXPECT_EQ(waiting("api"), "db (ready)");
  EXPECT_EQ(waiting("web"), "api (ready)");
  EXPECT_EQ(state("other"), ProcessState::Stopped);
  EXPECT_FALSE(answer);
  advance(1);
  EXPECT_EQ(state("api"), ProcessState::Starting);
  EXPECT_FALSE(answer);
  advance(1);
  EXPECT_EQ(state("web"), ProcessState::Starting);
  EXPECT_FALSE(answer);
  advance(1);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->ok());
  EXPECT_EQ(state("web"), ProcessState::Running);
}

TEST_F(DependencySchedulerTest, AStartWithoutWaitAnswersAtOnceWhileTheProcessWaits) {
  make(config_of({manual(program("web", {{"db"}})), manual(program("db"))}));
  start("web", false);
  ASSERT_TRUE(answer);
  EXPECT_TRUE(answer->ok());
  EXPECT_EQ(waiting("web"), "db (ready)");
  start("web", false);  // still held: asked again, waits again
  EXPECT_TRUE(answer->ok());
  advance(1);
  EXPECT_EQ(state("web"), ProcessState::Starting);
}

TEST_F(DependencySchedulerTest, StartAllStartsEachByItsOwnRequestDependenciesFirst) {
  // web comes first in the table; started first, it would pull db up, and
  // db's own start would then be refused as already started.
  make(config_of({manual(program("web", {{"db"}}, 1)), manual(program("db", {}, 999))}));
  std::map<std::string, CommandResult> answers;
  std::vector<Commands::StartItem> items;
  for (const char* name : {"web", "db"}) {
    items.push_back({&proc(name), Waiter{[&answers, name](CommandResult r) { answers[name] = r; }}});
  }
  sup->commands().start_together(std::move(items), true);
  settle();
  EXPECT_EQ(state("db"), ProcessState::Starting);
  EXPECT_EQ(waiting("web"), "db (ready)");
  advance(1);
  ASSERT_TRUE(answers.count("db"));
  EXPECT_TRUE(answers["db"].ok());
  EXPECT_FALSE(answers.count("web"));
  advance(1);
  ASSERT_TRUE(answers.count("web"));
  EXPECT_TRUE(answers["web"].ok());
}

TEST_F(DependencySchedulerTest, AWaitingStartFailsWhenADependencyGoesFatal) {
  ProcessConfig db = manual(program("db"));
  db.startretries = 0;
  make(config_of({manual(program("web", {{"db"}})), db}));
  start("web", true);
  EXPECT_FALSE(answer);
  exit("db", exited_with(1));  // too quickly, no retries left: FATAL
  EXPECT_EQ(state("db"), ProcessState::Fatal);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->refusal, Refusal::Failed);
  EXPECT_EQ(answer->detail, "web waits for db, which is FATAL");
  EXPECT_EQ(waiting("web"), "db (ready)");
  // Starting web again retries the FATAL dependency.
  start("web", false);
  EXPECT_EQ(state("db"), ProcessState::Starting);
}

TEST_F(DependencySchedulerTest, StoppingAHeldProcessCancelsItsStart) {
  make(config_of({manual(program("web", {{"db"}})), manual(program("db"))}));
  start("web", true);
  std::optional<CommandResult> stopped;
  EXPECT_TRUE(Commands::stoppable(proc("web")));
  sup->commands().stop(proc("web"), true, Waiter{[&](CommandResult r) { stopped = r; }});
  settle();
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(stopped->ok());
  ASSERT_TRUE(answer);  // the start that waited
  EXPECT_EQ(answer->refusal, Refusal::AbnormalTermination);
  EXPECT_EQ(waiting("web"), "");
  advance(2);
  EXPECT_EQ(state("db"), ProcessState::Running);
  EXPECT_EQ(state("web"), ProcessState::Stopped);
}

TEST_F(DependencySchedulerTest, AnAddedGroupJoinsTheGraph) {
  make(config_of({program("db")}));
  ASSERT_TRUE(sup->add_group(config_of({program("web", {{"db"}})}).groups[0]).ok());
  EXPECT_EQ(waiting("web"), "db (ready)");
  advance(1);
  EXPECT_EQ(state("web"), ProcessState::Starting);
}

TEST_F(DependencySchedulerTest, ShutdownStopsDependentsFirstWhateverThePriorities) {
  // By priority alone a would stop first; the chain says c, then b, then a.
  make(config_of({program("c", {{"b"}}, 1), program("b", {{"a"}}, 2), program("a", {}, 3), program("x", {}, 2)}));
  for (int i = 0; i < 3; ++i) {
    advance(1);  // a and x, then b, then c pass startsecs
  }
  pid_t a = pid_of("a"), b = pid_of("b"), c = pid_of("c"), x = pid_of("x");  // gone once reaped
  ASSERT_EQ(state("c"), ProcessState::Running);
  sup->request_shutdown("test");
  // x (2) and c (1) are the candidates: x has the higher priority.
  EXPECT_EQ(rt.signals_to(x), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_TRUE(rt.signals_to(c).empty());
  exit("x", killed_by(SIGTERM));
  EXPECT_EQ(rt.signals_to(c), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_TRUE(rt.signals_to(b).empty());
  exit("c", killed_by(SIGTERM));
  EXPECT_EQ(rt.signals_to(b), (std::vector<int>{SIGTERM, SIGCONT}));
  EXPECT_TRUE(rt.signals_to(a).empty());
  exit("b", killed_by(SIGTERM));
  EXPECT_EQ(rt.signals_to(a), (std::vector<int>{SIGTERM, SIGCONT}));
  sup->child_exited(a, killed_by(SIGTERM));
  settle();
  EXPECT_EQ(sup->state(), SupervisorState::Done);
}

TEST_F(DependencySchedulerTest, ShutdownDropsHolds) {
  make(config_of({program("web", {{"db"}}), manual(program("db"))}));
  EXPECT_EQ(waiting("web"), "db (ready)");
  sup->request_shutdown("test");
  settle();
  EXPECT_EQ(waiting("web"), "");
  EXPECT_EQ(sup->state(), SupervisorState::Done);
}

TEST_F(DependencySchedulerTest, StopAllStopsEachOnceItsDependentsHaveExited) {
  make(config_of({program("web", {{"db"}}), program("admin", {{"db"}}), program("db"), program("solo")}));
  advance(2);
  std::vector<Commands::StopItem> items;
  std::map<std::string, CommandResult> answers;
  for (const char* name : {"admin", "db", "solo", "web"}) {
    items.push_back({&proc(name), Waiter{[&answers, name](CommandResult r) { answers[name] = r; }}});
  }
  sup->commands().stop_together(std::move(items), true);
  settle();
  EXPECT_EQ(state("web"), ProcessState::Stopping);
  EXPECT_EQ(state("admin"), ProcessState::Stopping);
  EXPECT_EQ(state("solo"), ProcessState::Stopping);
  EXPECT_EQ(state("db"), ProcessState::Running);
  exit("web", killed_by(SIGTERM));
  EXPECT_EQ(state("db"), ProcessState::Running);  // admin is still up
  exit("admin", killed_by(SIGTERM));
  EXPECT_EQ(state("db"), ProcessState::Stopping);
  EXPECT_FALSE(answers.count("db"));
  exit("db", killed_by(SIGTERM));
  EXPECT_TRUE(answers["db"].ok());
  EXPECT_TRUE(answers["web"].ok());
  EXPECT_FALSE(answers.count("solo"));
}

}  // namespace
}  // namespace tend
