// Checks on a whole supervisor with a fake clock, a fake runtime (fake pids,
// real pipes) and a fake prober: readiness, the ready timeout's log line,
// sd_notify from the program or a stranger, the watchdog, health checks and
// their actions. The test plays the program: it sends to the NOTIFY_SOCKET
// the spawn got, writes to the notification fd the spawn got, and finishes
// probe attempts. Who is below whom is a fake process table (parent_of).
#include "health/checks.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "fakes/fake_prober.h"
#include "fakes/fake_supervisor.h"
#include "fakes/test_configs.h"
#include "log/logger.h"

namespace tend::health {
namespace {

int killed_by(int sig) { return sig & 0x7f; }

ProbeSpec probe(ProbeSpec::Kind kind) {
  ProbeSpec s;
  s.kind = kind;
  if (kind == ProbeSpec::Kind::Tcp) {
    s.host = "127.0.0.1";
    s.port = 5432;
  }
  if (kind == ProbeSpec::Kind::Fd) {
    s.fd = 3;
  }
  return s;
}

class ChecksTest : public test_support::FakeSupervisorTest {
 protected:
  void SetUp() override {
    FakeSupervisorTest::SetUp();
    char tmpl[] = "/tmp/tend-checks-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    LoggerOptions lo;
    lo.logfile = dir + "/main.log";
    lo.level = Level::Debug;
    ASSERT_TRUE(main_logger().open(lo).ok());
  }
  void TearDown() override {
    checks.reset();
    sup.reset();
    main_logger().close();
    [[maybe_unused]] int rc = std::system(("rm -rf " + dir).c_str());
  }
  ProcessConfig program(ProbeSpec ready, double ready_timeout = 60) {
    ProcessConfig p = test_support::program_config("app", "/bin/sleep 100", 999, 1);
    p.ready = std::move(ready);
    p.ready_timeout = ready_timeout;
    p.autorestart = AutoRestart::Unexpected;
    return p;
  }
  void make(ProcessConfig pc) {
    build(test_support::config_of({std::move(pc)}));
    Checks::Options opts;
    opts.prober = &prober;
    opts.parent_of = [this](pid_t pid) -> std::optional<pid_t> {
      auto it = parents.find(pid);
      return it == parents.end() ? std::nullopt : std::optional<pid_t>(it->second);
    };
    checks = std::make_unique<Checks>(*sup, opts);
    health_events = sup->bus().subscribe(mask_of(EventKind::Health), [this](const Event& e) {
      const auto& h = std::get<ProcessHealth>(e);
      healths.push_back(h.healthy);
    });
    start();
  }
  void advance(double s) {
    // In steps, so that timers set by earlier ones fire in order.
    for (double done = 0; done + 1e-9 < s;) {
      double step = std::min(0.5, s - done);
      clock.advance(step);
      settle();
      done += step;
    }
  }
  const Process& app() { return *sup->table().find("app", "app"); }
  std::string env_of(pid_t pid, const std::string& name) { return env_get(rt.extra_env[pid], name, "<unset>"); }
  // The program (the test process, made its descendant) sends a datagram.
  void notify(const std::string& text) {
    parents[getpid()] = app().pid();
    ASSERT_TRUE(send_notify(env_of(app().pid(), "NOTIFY_SOCKET"), text).ok());
    settle();
  }
  void exit_app(int status) {
    sup->child_exited(app().pid(), status);
    settle();
  }
  std::string log() {
    std::ifstream in(dir + "/main.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  size_t log_count(const std::string& needle) {
    std::string text = log();
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

  FakeProber prober;
  std::map<pid_t, pid_t> parents;
  std::unique_ptr<Checks> checks;
  EventBus::Subscription health_events;
  std::vector<bool> healths;
  std::string dir;
};

using K = ProbeSpec::Kind;
using S = ProcessState;

// --- readiness -----------------------------------------------------------------

TEST_F(ChecksTest, AProbeKeepsTheProgramStartingUntilItPasses) {
  ProcessConfig pc = program(probe(K::Tcp));
  pc.ready_interval = 0.5;
  make(pc);
  ASSERT_EQ(prober.started.size(), 1u);  // at once, after the spawn
  EXPECT_EQ(prober.started[0]->spec, pc.ready);
  prober.finish_last(ProbeResult::fail("connection refused"));
  advance(5);  // far beyond startsecs: readiness decides, not time
  EXPECT_EQ(app().state(), S::Starting);
  EXPECT_GE(prober.started.size(), 2u);
  prober.finish_last(ProbeResult::fail("connection refused"));
  advance(0.5);
  prober.finish_last(ProbeResult::pass());
  settle();
  EXPECT_EQ(app().state(), S::Running);
  EXPECT_TRUE(app().ready());
  size_t attempts = prober.started.size();
  advance(5);
  EXPECT_EQ(prober.started.size(), attempts);  // no probing once ready
}

TEST_F(ChecksTest, NotReadyInTimeLogsTheCheckAndItsLastFailure) {
  ProcessConfig pc = program(probe(K::Tcp), 2);
  pc.ready_interval = 0.5;
  make(pc);
  for (int i = 0; i < 3; ++i) {
    prober.finish_last(ProbeResult::fail(i < 2 ? "connection refused" : "no connection within 5s"));
    advance(0.5);
  }
  advance(1);
  EXPECT_EQ(app().fsm().fsm_state(), FsmState::FailedStart);
  EXPECT_EQ(prober.in_flight(), 0u);  // probing stopped with the start
  EXPECT_NE(log().find("app was not ready within 2 seconds (ready_timeout); stopping it"), std::string::npos);
  EXPECT_NE(log().find("app: readiness check tcp:127.0.0.1:5432 did not pass in time: no connection within 5s"),
            std::string::npos)
      << log();
  exit_app(killed_by(SIGTERM));
  EXPECT_EQ(app().state(), S::Backoff);
  EXPECT_EQ(checks->run_count(), 0u);
}

TEST_F(ChecksTest, NotifyReadyFromTheProgramEndsStarting) {
  make(program(probe(K::Notify)));
  std::string address = env_of(app().pid(), "NOTIFY_SOCKET");
  EXPECT_EQ(address.rfind("@tend/notify/app/", 0), 0u) << address;
  EXPECT_EQ(env_of(app().pid(), "WATCHDOG_USEC"), "<unset>");
  notify("STATUS=loading");
  EXPECT_EQ(app().state(), S::Starting);
  EXPECT_EQ(app().notes().status, "loading");
  notify("READY=1\nSTATUS=serving");
  EXPECT_EQ(app().state(), S::Running);
  EXPECT_EQ(app().notes().status, "serving");
}

TEST_F(ChecksTest, NotifyFromAStrangerIsDroppedAndLoggedOnce) {
  make(program(probe(K::Notify)));
  parents[getpid()] = 1;  // the test process is nobody's child here
  std::string address = env_of(app().pid(), "NOTIFY_SOCKET");
  ASSERT_TRUE(send_notify(address, "READY=1").ok());
  ASSERT_TRUE(send_notify(address, "STATUS=hijacked").ok());
  settle();
  EXPECT_EQ(app().state(), S::Starting);
  EXPECT_EQ(app().notes().status, "");
  EXPECT_EQ(log_count(fmt::format("app: dropped a message on its notify socket from pid {}", getpid())), 1u) << log();
}

TEST_F(ChecksTest, ExtendTimeoutMovesTheReadyDeadline) {
  make(program(probe(K::Notify), 2));
  advance(1);
  notify("EXTEND_TIMEOUT_USEC=10000000");
  advance(5);
  EXPECT_EQ(app().state(), S::Starting);
  advance(5.5);
  EXPECT_EQ(app().fsm().fsm_state(), FsmState::FailedStart);
  EXPECT_NE(log().find("app: readiness check notify did not pass in time: no READY=1 on NOTIFY_SOCKET"),
            std::string::npos)
      << log();
}

TEST_F(ChecksTest, TheNotificationFdIsTheChildsFdNAndANewlineMeansReady) {
  make(program(probe(K::Fd)));
  pid_t pid = app().pid();
  ASSERT_EQ(rt.extra_fds[pid].count(3), 1u);
  int child_fd = rt.extra_fds[pid][3].get();
  ASSERT_EQ(write(child_fd, "ok", 2), 2);
  settle();
  EXPECT_EQ(app().state(), S::Starting);
  ASSERT_EQ(write(child_fd, "\n", 1), 1);
  settle();
  EXPECT_EQ(app().state(), S::Running);
}

TEST_F(ChecksTest, ProgramsWithoutChecksGetNothing) {
  make(test_support::program_config("app", "/bin/sleep 100", 999, 1));
  EXPECT_EQ(checks->run_count(), 0u);
  EXPECT_TRUE(rt.extra_env[app().pid()].empty());
  EXPECT_TRUE(prober.started.empty());
}

// --- watchdog ------------------------------------------------------------------

TEST_F(ChecksTest, NoWatchdogPingInTimeRestartsTheProgram) {
  ProcessConfig pc = program(probe(K::Notify));
  pc.watchdog_sec = 3;
  make(pc);
  pid_t first = app().pid();
  EXPECT_EQ(env_of(first, "WATCHDOG_USEC"), "3000000");
  advance(10);  // before ready the watchdog does not count
  notify("READY=1");
  ASSERT_EQ(app().state(), S::Running);
  advance(2);
  notify("WATCHDOG=1");
  advance(2);
  EXPECT_EQ(app().state(), S::Running);
  EXPECT_TRUE(rt.signals_to(first).empty());
  advance(1.5);
  EXPECT_NE(log().find("app: watchdog timeout: no WATCHDOG=1 for 3s; restarting it"), std::string::npos) << log();
  EXPECT_EQ(app().state(), S::Stopping);
  EXPECT_EQ(rt.signals_to(first), (std::vector<int>{SIGTERM, SIGCONT}));
  exit_app(killed_by(SIGTERM));
  EXPECT_EQ(app().state(), S::Starting);  // started again
  EXPECT_NE(app().pid(), first);
}

TEST_F(ChecksTest, WatchdogTriggerRestartsAtOnce) {
  ProcessConfig pc = program(probe(K::Notify));
  pc.watchdog_sec = 30;
  make(pc);
  notify("READY=1");
  notify("WATCHDOG=trigger");
  EXPECT_EQ(app().state(), S::Stopping);
  EXPECT_NE(log().find("app: watchdog timeout: the program asked for it (WATCHDOG=trigger)"), std::string::npos);
}

TEST_F(ChecksTest, WatchdogUsecFromTheProgramSetsTheInterval) {
  make(program(probe(K::Notify)));  // no watchdog_sec
  notify("READY=1\nWATCHDOG_USEC=1000000");
  advance(0.5);
  EXPECT_EQ(app().state(), S::Running);
  advance(1);
  EXPECT_EQ(app().state(), S::Stopping);
}

// --- health --------------------------------------------------------------------

class HealthTest : public ChecksTest {
 protected:
  void make_checked(HealthAction action, double start_period = 0) {
    ProcessConfig pc = test_support::program_config("app", "/bin/sleep 100", 999, 1);
    pc.healthcheck = probe(K::Tcp);
    pc.healthcheck_interval = 10;
    pc.healthcheck_timeout = 2;
    pc.healthcheck_retries = 3;
    pc.healthcheck_start_period = start_period;
    pc.healthcheck_action = action;
    make(pc);
    advance(1);  // startsecs: RUNNING and ready
    ASSERT_EQ(app().state(), S::Running);
  }
  void fail_n(int n) {
    for (int i = 0; i < n; ++i) {
      prober.finish_last(ProbeResult::fail("connection refused"));
      settle();
      if (i + 1 < n) {
        advance(10);
      }
    }
  }
};

TEST_F(HealthTest, StartsAtReadyAndKeepsTheInterval) {
  make_checked(HealthAction::None);
  ASSERT_EQ(prober.started.size(), 1u);
  EXPECT_EQ(prober.started[0]->timeout, seconds_d(2));
  prober.finish_last(ProbeResult::pass());
  settle();
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Healthy);
  EXPECT_EQ(healths, (std::vector<bool>{true}));
  advance(9.5);
  EXPECT_EQ(prober.started.size(), 1u);
  advance(0.5);
  EXPECT_EQ(prober.started.size(), 2u);
}

TEST_F(HealthTest, FailuresInTheStartPeriodDoNotCount) {
  make_checked(HealthAction::Restart, 25);
  pid_t first = app().pid();
  fail_n(3);  // at 0, 10 and 20 s: all in the start period
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Unknown);
  advance(10);
  fail_n(2);  // at 30 and 40 s
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Unknown);
  EXPECT_TRUE(rt.signals_to(first).empty());
  advance(10);
  fail_n(1);
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Unhealthy);
  EXPECT_EQ(app().notes().health_detail, "3 failures: connection refused");
}

TEST_F(HealthTest, RetriesFailuresMakeItUnhealthyAndRestartIt) {
  make_checked(HealthAction::Restart);
  pid_t first = app().pid();
  prober.finish_last(ProbeResult::pass());
  advance(10);
  fail_n(2);
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Healthy);
  EXPECT_TRUE(rt.signals_to(first).empty());
  advance(10);
  fail_n(1);
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Unhealthy);
  EXPECT_EQ(app().notes().health_detail, "3 failures: connection refused");
  EXPECT_EQ(healths, (std::vector<bool>{true, false}));
  EXPECT_NE(log().find("app: unhealthy (3 failures: connection refused; health check tcp:127.0.0.1:5432); "
                       "restarting it (healthcheck_action=restart)"),
            std::string::npos)
      << log();
  EXPECT_EQ(app().state(), S::Stopping);
  EXPECT_EQ(prober.in_flight(), 0u);
  exit_app(killed_by(SIGTERM));
  EXPECT_EQ(app().state(), S::Starting);
  EXPECT_NE(app().pid(), first);
  // A new run: its health is not known yet.
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Unknown);
  EXPECT_EQ(app().notes().health_detail, "");
}

TEST_F(HealthTest, StopActionLeavesItStopped) {
  make_checked(HealthAction::Stop);
  fail_n(3);
  EXPECT_EQ(app().state(), S::Stopping);
  exit_app(killed_by(SIGTERM));
  EXPECT_EQ(app().state(), S::Stopped);
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Unhealthy);  // why it stopped stays visible
}

TEST_F(HealthTest, ShutdownActionStopsTendWithStatusOne) {
  make_checked(HealthAction::Shutdown);
  fail_n(3);
  EXPECT_EQ(sup->state(), SupervisorState::Stopping);
  EXPECT_EQ(sup->exit_code(), 1);
}

TEST_F(HealthTest, NoActionOnlyReports) {
  make_checked(HealthAction::None);
  fail_n(3);
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Unhealthy);
  EXPECT_EQ(app().state(), S::Running);
  advance(10);
  fail_n(1);
  EXPECT_EQ(app().notes().health_detail, "4 failures: connection refused");
  advance(10);
  prober.finish_last(ProbeResult::pass());
  settle();
  EXPECT_EQ(app().notes().health, ProcessNotes::Health::Healthy);
  EXPECT_EQ(healths, (std::vector<bool>{false, true}));
}

TEST_F(HealthTest, AStopCancelsTheCheckInFlight) {
  make_checked(HealthAction::Restart);
  ASSERT_EQ(prober.in_flight(), 1u);
  sup->commands().stop(app(), false, Waiter{[](CommandResult) {}});
  settle();
  EXPECT_EQ(prober.in_flight(), 0u);
  EXPECT_TRUE(prober.started.back()->cancelled);
  exit_app(killed_by(SIGTERM));
  advance(30);
  EXPECT_EQ(prober.started.size(), 1u);
}

TEST_F(HealthTest, NoActionWhileTendShutsDown) {
  make_checked(HealthAction::Restart);
  fail_n(2);
  advance(10);
  sup->request_shutdown("test");
  settle();
  EXPECT_EQ(prober.in_flight(), 0u);  // the stop cancelled it: no third failure, no restart
  exit_app(killed_by(SIGTERM));
  EXPECT_EQ(app().state(), S::Stopped);
}

}  // namespace
}  // namespace tend::health
