// Cell-by-cell tests of the process state machine (supervisord §2.2), with a fake clock.
#include "core/process_fsm.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "fakes/fake_clock.h"
#include "fakes/fake_process_ops.h"

namespace tend {
namespace {

using S = ProcessState;

int exit_status(int code) { return (code & 0xff) << 8; }
int signal_status(int sig) { return sig & 0x7f; }

class FsmTest : public ::testing::Test {
 protected:
  FsmParams params(int startsecs = 1, int startretries = 3) {
    FsmParams p;
    p.name = "app";
    p.startsecs = startsecs;
    p.startretries = startretries;
    return p;
  }
  ProcessFsm make(FsmParams p) { return ProcessFsm(std::move(p), ops, clock); }
  // Fires the timer exactly at its deadline, as the event loop would.
  void fire(ProcessFsm& f) {
    ASSERT_TRUE(f.deadline().has_value());
    clock.set(*f.deadline());
    f.timer();
  }
  FakeClock clock;
  FakeProcessOps ops;
};

TEST_F(FsmTest, AutostartSpawnsAndRunsAfterStartsecs) {
  ProcessFsm f = make(params(1));
  f.added();
  EXPECT_EQ(f.state(), S::Starting);
  EXPECT_EQ(f.pid(), 100);
  EXPECT_TRUE(ops.logged("spawned: 'app' with pid 100"));
  ASSERT_TRUE(f.deadline());
  EXPECT_EQ(*f.deadline(), clock.now() + std::chrono::seconds(1));
  fire(f);
  EXPECT_EQ(f.state(), S::Running);
  EXPECT_TRUE(ops.logged("success: app entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)"));
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, AutostartFalseStaysStopped) {
  FsmParams p = params();
  p.autostart = false;
  ProcessFsm f = make(p);
  f.added();
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_EQ(ops.spawns, 0);
}

TEST_F(FsmTest, AddedOnlyAutostartsWhenNeverStarted) {
  ProcessFsm f = make(params(0));
  f.added();
  ASSERT_TRUE(f.stop().ok());
  f.exited(signal_status(SIGTERM));
  EXPECT_EQ(f.state(), S::Stopped);
  f.added();
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_EQ(ops.spawns, 1);
}

TEST_F(FsmTest, StartsecsZeroIsRunningAtOnce) {
  ProcessFsm f = make(params(0));
  f.added();
  EXPECT_EQ(f.state(), S::Running);
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, QuickExitGoesToBackoffRegardlessOfCode) {
  ProcessFsm f = make(params(1));
  f.added();
  clock.advance(0.5);
  f.exited(exit_status(0));
  EXPECT_EQ(f.state(), S::Backoff);
  EXPECT_EQ(f.spawnerr(), "Exited too quickly (process log may have details)");
  EXPECT_TRUE(ops.logged("exited: app (exit status 0; not expected)"));
  EXPECT_EQ(f.exitstatus(), 0);
}

TEST_F(FsmTest, BackoffDelaysGrowLinearlyThenFatal) {
  ProcessFsm f = make(params(1, 2));
  f.added();
  std::vector<double> waits;
  for (int attempt = 0; attempt < 3; ++attempt) {
    clock.advance(0.1);
    f.exited(exit_status(1));
    if (f.state() == S::Fatal) {
      break;
    }
    ASSERT_EQ(f.state(), S::Backoff);
    waits.push_back(std::chrono::duration<double>(*f.deadline() - clock.now()).count());
    fire(f);
    ASSERT_EQ(f.state(), S::Starting);
  }
  EXPECT_EQ(waits, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(f.state(), S::Fatal);
  EXPECT_EQ(ops.spawns, 3);  // 1 + startretries
  EXPECT_TRUE(ops.logged("gave up: app entered FATAL state, too many start retries too quickly"));
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, SpawnErrorGoesToBackoffWithSpawnerr) {
  ProcessFsm f = make(params(1, 0));
  ops.spawn_errors = {"can't find command 'nope'"};
  f.added();
  EXPECT_EQ(f.state(), S::Fatal);  // startretries=0: one attempt only
  EXPECT_EQ(f.spawnerr(), "can't find command 'nope'");
  EXPECT_TRUE(ops.logged("spawnerr: can't find command 'nope'"));
  EXPECT_EQ(f.pid(), 0);
}

TEST_F(FsmTest, RunningExitExpectedIsExitedWithoutRestartWhenUnexpectedPolicy) {
  ProcessFsm f = make(params(1));
  f.added();
  fire(f);
  clock.advance(5);
  f.exited(exit_status(0));
  EXPECT_EQ(f.state(), S::Exited);
  EXPECT_TRUE(ops.logged("exited: app (exit status 0; expected)"));
  EXPECT_EQ(ops.spawns, 1);
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, RunningExitUnexpectedRestartsAtOnce) {
  ProcessFsm f = make(params(1));
  f.added();
  fire(f);
  clock.advance(5);
  f.exited(exit_status(3));
  EXPECT_TRUE(ops.logged("exited: app (exit status 3; not expected)"));
  EXPECT_EQ(f.state(), S::Starting);
  EXPECT_EQ(ops.spawns, 2);
  EXPECT_EQ(f.spawnerr(), "");
}

TEST_F(FsmTest, AutorestartAlwaysRestartsExpectedExit) {
  FsmParams p = params(0);
  p.autorestart = AutoRestart::Always;
  ProcessFsm f = make(p);
  f.added();
  clock.advance(2);
  f.exited(exit_status(0));
  EXPECT_EQ(f.state(), S::Running);  // startsecs=0 -> straight back to RUNNING
  EXPECT_EQ(ops.spawns, 2);
}

TEST_F(FsmTest, AutorestartNeverLeavesExited) {
  FsmParams p = params(0);
  p.autorestart = AutoRestart::Never;
  ProcessFsm f = make(p);
  f.added();
  clock.advance(2);
  f.exited(exit_status(9));
  EXPECT_EQ(f.state(), S::Exited);
  EXPECT_EQ(f.exitstatus(), 9);
  EXPECT_EQ(f.spawnerr(), "Bad exit code 9");
}

TEST_F(FsmTest, CrashLoopRestartsAtMostOncePerSecond) {
  FsmParams p = params(0);
  p.autorestart = AutoRestart::Always;
  ProcessFsm f = make(p);
  f.added();
  clock.advance(0.01);
  f.exited(exit_status(1));
  EXPECT_EQ(f.state(), S::Exited);
  EXPECT_EQ(ops.spawns, 1);
  ASSERT_TRUE(f.deadline());
  fire(f);
  EXPECT_EQ(ops.spawns, 2);
}

TEST_F(FsmTest, SignalDeathIsNeverExpected) {
  ProcessFsm f = make(params(0));
  f.added();
  clock.advance(3);
  FsmParams p = params(0);
  p.autorestart = AutoRestart::Never;
  f.set_params(p);
  f.exited(signal_status(SIGSEGV));
  EXPECT_TRUE(ops.logged("exited: app (terminated by SIGSEGV; not expected)"));
  EXPECT_EQ(f.exitstatus(), -1);
}

TEST_F(FsmTest, StopSendsStopsignalThenSigkillAfterStopwaitsecs) {
  FsmParams p = params(0);
  p.stopsignal = SIGQUIT;
  p.stopwaitsecs = 2;
  ProcessFsm f = make(p);
  f.added();
  ASSERT_TRUE(f.stop().ok());
  EXPECT_EQ(f.state(), S::Stopping);
  ASSERT_EQ(ops.sent.size(), 1u);
  EXPECT_EQ(ops.sent[0], (FakeProcessOps::Sent{100, SIGQUIT, false}));
  EXPECT_EQ(*f.deadline(), clock.now() + std::chrono::seconds(2));
  fire(f);
  EXPECT_TRUE(ops.logged("killing 'app' (100) with SIGKILL"));
  ASSERT_EQ(ops.sent.size(), 2u);
  EXPECT_EQ(ops.sent[1], (FakeProcessOps::Sent{100, SIGKILL, false}));
  EXPECT_EQ(f.state(), S::Stopping);
  // SIGKILL repeats every stopwaitsecs while the process refuses to die.
  fire(f);
  EXPECT_EQ(ops.sent.size(), 3u);
  f.exited(signal_status(SIGKILL));
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_TRUE(ops.logged("stopped: app (terminated by SIGKILL)"));
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, StopasgroupAndKillasgroupTargetTheGroup) {
  FsmParams p = params(0);
  p.stopasgroup = true;
  p.killasgroup = true;
  ProcessFsm f = make(p);
  f.added();
  ASSERT_TRUE(f.stop().ok());
  fire(f);
  ASSERT_EQ(ops.sent.size(), 2u);
  EXPECT_TRUE(ops.sent[0].group);
  EXPECT_TRUE(ops.sent[1].group);
}

TEST_F(FsmTest, KillasgroupOnlyAppliesToTheSigkill) {
  FsmParams p = params(0);
  p.killasgroup = true;
  ProcessFsm f = make(p);
  f.added();
  ASSERT_TRUE(f.stop().ok());
  fire(f);
  EXPECT_FALSE(ops.sent[0].group);
  EXPECT_TRUE(ops.sent[1].group);
}

TEST_F(FsmTest, StopFromStartingGoesToStopping) {
  ProcessFsm f = make(params(5));
  f.added();
  ASSERT_TRUE(f.stop().ok());
  EXPECT_EQ(f.state(), S::Stopping);
  f.exited(exit_status(0));
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_TRUE(ops.logged("stopped: app (exit status 0)"));
}

TEST_F(FsmTest, StopInBackoffIsStoppedWithoutSignal) {
  ProcessFsm f = make(params(1));
  f.added();
  f.exited(exit_status(1));
  ASSERT_EQ(f.state(), S::Backoff);
  ASSERT_TRUE(f.stop().ok());
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_TRUE(ops.sent.empty());
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, StopWhenNotRunningIsAnError) {
  ProcessFsm f = make(params());
  Status st = f.stop();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "attempted to kill app with sig SIGTERM but it wasn't running");
}

TEST_F(FsmTest, StopInStoppingIsAnError) {
  ProcessFsm f = make(params(0));
  f.added();
  ASSERT_TRUE(f.stop().ok());
  EXPECT_FALSE(f.stop().ok());
  EXPECT_EQ(ops.sent.size(), 1u);
}

TEST_F(FsmTest, SignalFailureOtherThanEsrchGoesUnknown) {
  ProcessFsm f = make(params(0));
  f.added();
  ops.signal_error = "Operation not permitted";
  ASSERT_TRUE(f.stop().ok());
  EXPECT_EQ(f.state(), S::Unknown);
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, ShutdownGivesUpBackoffAndStopsRunning) {
  ProcessFsm backoff = make(params(1));
  backoff.added();
  backoff.exited(exit_status(1));
  ASSERT_EQ(backoff.state(), S::Backoff);
  backoff.stop_for_shutdown();
  EXPECT_EQ(backoff.state(), S::Fatal);

  ProcessFsm running = make(params(0));
  running.added();
  running.stop_for_shutdown();
  EXPECT_EQ(running.state(), S::Stopping);
  running.exited(signal_status(SIGTERM));
  EXPECT_EQ(running.state(), S::Stopped);
}

TEST_F(FsmTest, NoAutorestartWhileShuttingDown) {
  FsmParams p = params(0);
  p.autorestart = AutoRestart::Always;
  ProcessFsm f = make(p);
  f.added();
  f.set_shutting_down(true);
  clock.advance(5);
  f.exited(exit_status(1));
  EXPECT_EQ(f.state(), S::Exited);
  EXPECT_EQ(ops.spawns, 1);
}

TEST_F(FsmTest, AdminStartFromEachStartableState) {
  for (S target : {S::Stopped, S::Exited, S::Fatal, S::Backoff}) {
    FakeProcessOps local;
    FsmParams p = params(1, 0);
    p.autorestart = AutoRestart::Never;
    ProcessFsm f(p, local, clock);
    if (target != S::Stopped) {
      f.start();
      if (target == S::Exited) {
        clock.advance(2);
        f.timer();
        f.exited(exit_status(0));
      } else if (target == S::Fatal) {
        f.exited(exit_status(1));
      } else {
        FsmParams q = params(1, 5);
        f.set_params(q);
        f.exited(exit_status(1));
      }
    }
    ASSERT_EQ(f.state(), target) << state_name(target);
    EXPECT_TRUE(f.start());
    EXPECT_EQ(f.state(), S::Starting);
  }
}

TEST_F(FsmTest, AdminStartRefusedWhileUp) {
  ProcessFsm f = make(params(1));
  f.added();
  EXPECT_FALSE(f.start());
  fire(f);
  EXPECT_FALSE(f.start());
  ASSERT_TRUE(f.stop().ok());
  EXPECT_FALSE(f.start());
  EXPECT_EQ(ops.spawns, 1);
}

TEST_F(FsmTest, ExitAtStartsecsBoundaryPassesThroughRunning) {
  ProcessFsm f = make(params(1));
  f.added();
  clock.advance(1.0);  // the deadline is due but its timer has not run yet
  f.exited(exit_status(0));
  ASSERT_GE(ops.transitions.size(), 3u);
  EXPECT_EQ(ops.transitions[ops.transitions.size() - 2], std::make_pair(S::Starting, S::Running));
  EXPECT_EQ(f.state(), S::Exited);
}

TEST_F(FsmTest, SignalRequiresALivePid) {
  ProcessFsm f = make(params(0));
  EXPECT_FALSE(f.signal(SIGHUP).ok());
  f.added();
  ASSERT_TRUE(f.signal(SIGHUP).ok());
  EXPECT_EQ(ops.sent.back(), (FakeProcessOps::Sent{100, SIGHUP, false}));
  EXPECT_EQ(f.state(), S::Running);
}

TEST_F(FsmTest, StopCancelsPendingAutorestart) {
  FsmParams p = params(0);
  p.autorestart = AutoRestart::Always;
  ProcessFsm f = make(p);
  f.added();
  f.exited(exit_status(1));
  ASSERT_TRUE(f.deadline());
  ASSERT_TRUE(f.stop().ok());
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, WallTimesAreRecorded) {
  ProcessFsm f = make(params(0));
  EXPECT_FALSE(f.ever_started());
  f.added();
  double start = f.laststart_wall();
  EXPECT_GT(start, 0);
  clock.advance(4);
  ASSERT_TRUE(f.stop().ok());
  f.exited(signal_status(SIGTERM));
  EXPECT_DOUBLE_EQ(f.laststop_wall() - start, 4.0);
}

}  // namespace
}  // namespace tend
