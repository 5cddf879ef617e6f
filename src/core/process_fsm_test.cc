// Cell-by-cell tests of the process state machine (supervisord §2.2), with a fake clock.
#include "core/process_fsm.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <ostream>
#include <set>

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
  ASSERT_TRUE(f.stop().done());
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
  ASSERT_TRUE(f.stop().done());
  EXPECT_EQ(f.state(), S::Stopping);
  ASSERT_EQ(ops.sent.size(), 1u);
  EXPECT_EQ(ops.sent[0], (FakeProcessOps::Sent{100, SIGQUIT, false, true}));
  EXPECT_EQ(*f.deadline(), clock.now() + std::chrono::seconds(2));
  fire(f);
  EXPECT_TRUE(ops.logged("killing 'app' (100) with SIGKILL"));
  ASSERT_EQ(ops.sent.size(), 2u);
  EXPECT_EQ(ops.sent[1], (FakeProcessOps::Sent{100, SIGKILL, false, true}));
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
  ASSERT_TRUE(f.stop().done());
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
  ASSERT_TRUE(f.stop().done());
  fire(f);
  EXPECT_FALSE(ops.sent[0].group);
  EXPECT_TRUE(ops.sent[1].group);
}

TEST_F(FsmTest, StopFromStartingGoesToStopping) {
  ProcessFsm f = make(params(5));
  f.added();
  ASSERT_TRUE(f.stop().done());
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
  ASSERT_TRUE(f.stop().done());
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_TRUE(ops.sent.empty());
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, StopWhenNotRunningIsAnError) {
  ProcessFsm f = make(params());
  FsmReply r = f.stop();
  EXPECT_EQ(r.answer, FsmAnswer::NotRunning);
  EXPECT_EQ(r.error, "attempted to kill app with sig SIGTERM but it wasn't running");
}

TEST_F(FsmTest, StopInStoppingIsAnError) {
  ProcessFsm f = make(params(0));
  f.added();
  ASSERT_TRUE(f.stop().done());
  EXPECT_FALSE(f.stop().done());
  EXPECT_EQ(ops.sent.size(), 1u);
}

TEST_F(FsmTest, SignalFailureOtherThanEsrchGoesUnknown) {
  ProcessFsm f = make(params(0));
  f.added();
  ops.signal_error = "Operation not permitted";
  ASSERT_TRUE(f.stop().done());
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
  for (S target : {S::Stopped, S::Exited, S::Fatal}) {
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
      } else {
        f.exited(exit_status(1));
      }
    }
    ASSERT_EQ(f.state(), target) << state_name(target);
    EXPECT_TRUE(f.start().done());
    EXPECT_EQ(f.state(), S::Starting);
  }
}

TEST_F(FsmTest, AdminStartRefusedWhileUp) {
  ProcessFsm f = make(params(1));
  f.added();
  EXPECT_EQ(f.start().answer, FsmAnswer::AlreadyStarted);
  fire(f);
  EXPECT_EQ(f.start().answer, FsmAnswer::AlreadyStarted);
  ASSERT_TRUE(f.stop().done());
  EXPECT_EQ(f.start().answer, FsmAnswer::StillStopping);
  EXPECT_EQ(ops.spawns, 1);
}

TEST_F(FsmTest, AdminStartRefusedInBackoff) {
  // supervisord counts BACKOFF among the running states: ALREADY_STARTED.
  ProcessFsm f = make(params(1));
  f.added();
  f.exited(exit_status(1));
  ASSERT_EQ(f.state(), S::Backoff);
  EXPECT_EQ(f.start().answer, FsmAnswer::AlreadyStarted);
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
  EXPECT_FALSE(f.signal(SIGHUP).done());
  f.added();
  ASSERT_TRUE(f.signal(SIGHUP).done());
  EXPECT_EQ(ops.sent.back(), (FakeProcessOps::Sent{100, SIGHUP, false, false}));
  EXPECT_EQ(f.state(), S::Running);
}

TEST_F(FsmTest, StopCancelsPendingAutorestart) {
  FsmParams p = params(0);
  p.autorestart = AutoRestart::Always;
  ProcessFsm f = make(p);
  f.added();
  f.exited(exit_status(1));
  ASSERT_TRUE(f.deadline());
  ASSERT_TRUE(f.stop().done());
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
  ASSERT_TRUE(f.stop().done());
  f.exited(signal_status(SIGTERM));
  EXPECT_DOUBLE_EQ(f.laststop_wall() - start, 4.0);
}

// --- the table, cell by cell -------------------------------------------------------

using FS = FsmState;
using FE = FsmEvent;
using FA = FsmAnswer;

struct Cell {
  FS from;
  FE event;
  FS to;
  FA answer;
  int spawns;   // spawns the event caused
  int signals;  // signals the event sent
};

// Every (state, event) pair of ProcessFsm::k_table. Standard parameters:
// autostart, startsecs=1, startretries=3, autorestart=unexpected, exit code 0.
const std::vector<Cell> k_cells = {
    {FS::Stopped, FE::Added, FS::Starting, FA::Done, 1, 0},
    {FS::Stopped, FE::Start, FS::Starting, FA::Done, 1, 0},
    {FS::Stopped, FE::Stop, FS::Stopped, FA::NotRunning, 0, 0},
    {FS::Stopped, FE::Shutdown, FS::Stopped, FA::Ignored, 0, 0},
    {FS::Stopped, FE::Exit, FS::Stopped, FA::Ignored, 0, 0},
    {FS::Stopped, FE::Timer, FS::Stopped, FA::Ignored, 0, 0},
    {FS::Stopped, FE::Ready, FS::Stopped, FA::Ignored, 0, 0},
    {FS::Stopped, FE::Signal, FS::Stopped, FA::NotRunning, 0, 0},

    {FS::Starting, FE::Added, FS::Starting, FA::Ignored, 0, 0},
    {FS::Starting, FE::Start, FS::Starting, FA::AlreadyStarted, 0, 0},
    {FS::Starting, FE::Stop, FS::Stopping, FA::Done, 0, 1},
    {FS::Starting, FE::Shutdown, FS::Stopping, FA::Done, 0, 1},
    {FS::Starting, FE::Exit, FS::Backoff, FA::Done, 0, 0},
    {FS::Starting, FE::Timer, FS::Running, FA::Done, 0, 0},  // startsecs (with notify_ready: FailedStart, below)
    {FS::Starting, FE::Ready, FS::Running, FA::Done, 0, 0},
    {FS::Starting, FE::Signal, FS::Starting, FA::Done, 0, 1},

    {FS::Running, FE::Added, FS::Running, FA::Ignored, 0, 0},
    {FS::Running, FE::Start, FS::Running, FA::AlreadyStarted, 0, 0},
    {FS::Running, FE::Stop, FS::Stopping, FA::Done, 0, 1},
    {FS::Running, FE::Shutdown, FS::Stopping, FA::Done, 0, 1},
    {FS::Running, FE::Exit, FS::Exited, FA::Done, 0, 0},
    {FS::Running, FE::Timer, FS::Running, FA::Ignored, 0, 0},
    {FS::Running, FE::Ready, FS::Running, FA::Done, 0, 0},
    {FS::Running, FE::Signal, FS::Running, FA::Done, 0, 1},

    {FS::Backoff, FE::Added, FS::Backoff, FA::Ignored, 0, 0},
    {FS::Backoff, FE::Start, FS::Backoff, FA::AlreadyStarted, 0, 0},
    {FS::Backoff, FE::Stop, FS::Stopped, FA::Done, 0, 0},
    {FS::Backoff, FE::Shutdown, FS::Fatal, FA::Done, 0, 0},
    {FS::Backoff, FE::Exit, FS::Backoff, FA::Ignored, 0, 0},
    {FS::Backoff, FE::Timer, FS::Starting, FA::Done, 1, 0},
    {FS::Backoff, FE::Ready, FS::Backoff, FA::Ignored, 0, 0},
    {FS::Backoff, FE::Signal, FS::Backoff, FA::NotRunning, 0, 0},

    {FS::Stopping, FE::Added, FS::Stopping, FA::Ignored, 0, 0},
    {FS::Stopping, FE::Start, FS::Stopping, FA::StillStopping, 0, 0},
    {FS::Stopping, FE::Stop, FS::Stopping, FA::NotRunning, 0, 0},
    {FS::Stopping, FE::Shutdown, FS::Stopping, FA::Ignored, 0, 0},
    {FS::Stopping, FE::Exit, FS::Stopped, FA::Done, 0, 0},
    {FS::Stopping, FE::Timer, FS::Stopping, FA::Done, 0, 1},
    {FS::Stopping, FE::Ready, FS::Stopping, FA::Ignored, 0, 0},
    {FS::Stopping, FE::Signal, FS::Stopping, FA::Done, 0, 1},

    {FS::Exited, FE::Added, FS::Exited, FA::Ignored, 0, 0},
    {FS::Exited, FE::Start, FS::Starting, FA::Done, 1, 0},
    {FS::Exited, FE::Stop, FS::Exited, FA::NotRunning, 0, 0},
    {FS::Exited, FE::Shutdown, FS::Exited, FA::Ignored, 0, 0},
    {FS::Exited, FE::Exit, FS::Exited, FA::Ignored, 0, 0},
    {FS::Exited, FE::Timer, FS::Exited, FA::Ignored, 0, 0},
    {FS::Exited, FE::Ready, FS::Exited, FA::Ignored, 0, 0},
    {FS::Exited, FE::Signal, FS::Exited, FA::NotRunning, 0, 0},

    {FS::RestartWait, FE::Added, FS::RestartWait, FA::Ignored, 0, 0},
    {FS::RestartWait, FE::Start, FS::Starting, FA::Done, 1, 0},
    {FS::RestartWait, FE::Stop, FS::Stopped, FA::Done, 0, 0},
    {FS::RestartWait, FE::Shutdown, FS::Exited, FA::Done, 0, 0},
    {FS::RestartWait, FE::Exit, FS::RestartWait, FA::Ignored, 0, 0},
    {FS::RestartWait, FE::Timer, FS::Starting, FA::Done, 1, 0},
    {FS::RestartWait, FE::Ready, FS::RestartWait, FA::Ignored, 0, 0},
    {FS::RestartWait, FE::Signal, FS::RestartWait, FA::NotRunning, 0, 0},

    {FS::Fatal, FE::Added, FS::Fatal, FA::Ignored, 0, 0},
    {FS::Fatal, FE::Start, FS::Starting, FA::Done, 1, 0},
    {FS::Fatal, FE::Stop, FS::Fatal, FA::NotRunning, 0, 0},
    {FS::Fatal, FE::Shutdown, FS::Fatal, FA::Ignored, 0, 0},
    {FS::Fatal, FE::Exit, FS::Fatal, FA::Ignored, 0, 0},
    {FS::Fatal, FE::Timer, FS::Fatal, FA::Ignored, 0, 0},
    {FS::Fatal, FE::Ready, FS::Fatal, FA::Ignored, 0, 0},
    {FS::Fatal, FE::Signal, FS::Fatal, FA::NotRunning, 0, 0},

    {FS::Unknown, FE::Added, FS::Unknown, FA::Ignored, 0, 0},
    {FS::Unknown, FE::Start, FS::Unknown, FA::UnknownState, 0, 0},
    {FS::Unknown, FE::Stop, FS::Unknown, FA::NotRunning, 0, 0},
    {FS::Unknown, FE::Shutdown, FS::Unknown, FA::Ignored, 0, 0},
    {FS::Unknown, FE::Exit, FS::Exited, FA::Done, 0, 0},
    {FS::Unknown, FE::Timer, FS::Unknown, FA::Ignored, 0, 0},
    {FS::Unknown, FE::Ready, FS::Unknown, FA::Ignored, 0, 0},
    {FS::Unknown, FE::Signal, FS::Unknown, FA::NotRunning, 0, 0},

    {FS::FailedStart, FE::Added, FS::FailedStart, FA::Ignored, 0, 0},
    {FS::FailedStart, FE::Start, FS::FailedStart, FA::StillStopping, 0, 0},
    {FS::FailedStart, FE::Stop, FS::Stopping, FA::Done, 0, 0},
    {FS::FailedStart, FE::Shutdown, FS::Stopping, FA::Done, 0, 0},
    {FS::FailedStart, FE::Exit, FS::Backoff, FA::Done, 0, 0},
    {FS::FailedStart, FE::Timer, FS::FailedStart, FA::Done, 0, 1},
    {FS::FailedStart, FE::Ready, FS::FailedStart, FA::Ignored, 0, 0},
    {FS::FailedStart, FE::Signal, FS::FailedStart, FA::Done, 0, 1},
};

class FsmTableTest : public ::testing::TestWithParam<Cell> {
 protected:
  static FsmParams standard() {
    FsmParams p;
    p.name = "app";
    p.startsecs = 1;
    p.startretries = 3;
    return p;
  }
  // Brings `f` to `s` through real events.
  void drive_to(ProcessFsm& f, FS s) {
    auto with = [&](auto change, auto steps) {
      FsmParams p = standard();
      change(p);
      f.set_params(p);
      steps();
      f.set_params(standard());
    };
    switch (s) {
      case FS::Stopped:
        break;
      case FS::Starting:
        f.start();
        break;
      case FS::Running:
        f.start();
        clock.advance(1);
        f.timer();
        break;
      case FS::Backoff:
        f.start();
        clock.advance(0.1);
        f.exited(exit_status(1));
        break;
      case FS::Stopping:
        f.start();
        clock.advance(1);
        f.timer();
        f.stop();
        break;
      case FS::Exited:
        f.start();
        clock.advance(1);
        f.timer();
        clock.advance(1);
        f.exited(exit_status(0));
        break;
      case FS::RestartWait:
        with([](FsmParams& p) { p.startsecs = 0; }, [&] {
          f.start();
          f.exited(exit_status(1));
        });
        break;
      case FS::Fatal:
        with([](FsmParams& p) { p.startretries = 0; }, [&] {
          f.start();
          f.exited(exit_status(1));
        });
        break;
      case FS::Unknown:
        f.start();
        clock.advance(1);
        f.timer();
        ops.signal_error = "Operation not permitted";
        f.stop();
        ops.signal_error.clear();
        break;
      case FS::FailedStart:
        with([](FsmParams& p) { p.notify_ready = true; }, [&] {
          f.start();
          clock.advance(60);
          f.timer();
        });
        break;
    }
    ASSERT_EQ(f.fsm_state(), s) << fsm_state_name(s);
  }
  FsmReply fire(ProcessFsm& f, FE e) {
    switch (e) {
      case FE::Added:
        return f.added();
      case FE::Start:
        return f.start();
      case FE::Stop:
        return f.stop();
      case FE::Shutdown:
        return f.stop_for_shutdown();
      case FE::Exit:
        return f.exited(exit_status(0));
      case FE::Timer:
        if (f.deadline()) {
          clock.set(*f.deadline());
        }
        return f.timer();
      case FE::Ready:
        return f.ready_reported();
      case FE::Signal:
        return f.signal(SIGHUP);
    }
    return {};
  }
  FakeClock clock;
  FakeProcessOps ops;
};

TEST_P(FsmTableTest, Cell) {
  const Cell& c = GetParam();
  ProcessFsm f(standard(), ops, clock);
  drive_to(f, c.from);
  int spawns = ops.spawns;
  size_t signals = ops.sent.size();
  FsmReply r = fire(f, c.event);
  EXPECT_EQ(f.fsm_state(), c.to) << "got " << fsm_state_name(f.fsm_state());
  EXPECT_EQ(static_cast<int>(r.answer), static_cast<int>(c.answer));
  EXPECT_EQ(ops.spawns - spawns, c.spawns);
  EXPECT_EQ(ops.sent.size() - signals, static_cast<size_t>(c.signals));
}

std::string cell_name(const ::testing::TestParamInfo<Cell>& info) {
  std::string n = std::string(fsm_state_name(info.param.from)) + "_" + fsm_event_name(info.param.event);
  for (char& ch : n) {
    if (!isalnum(static_cast<unsigned char>(ch))) {
      ch = '_';
    }
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(EveryCell, FsmTableTest, ::testing::ValuesIn(k_cells), cell_name);

TEST(FsmTable, EveryCellHasATest) {
  std::set<std::pair<int, int>> seen;
  for (const Cell& c : k_cells) {
    seen.insert({static_cast<int>(c.from), static_cast<int>(c.event)});
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(k_fsm_states * k_fsm_events));
}

// --- readiness ---------------------------------------------------------------------

TEST_F(FsmTest, ReadyFollowsRunningUnlessTheProgramReportsIt) {
  ProcessFsm f = make(params(1));
  f.added();
  EXPECT_FALSE(f.ready());
  fire(f);
  EXPECT_TRUE(f.ready());
  f.exited(exit_status(0));
  EXPECT_FALSE(f.ready());
  EXPECT_EQ(ops.readiness, (std::vector<bool>{true, false}));
}

TEST_F(FsmTest, NotReadyInTimeIsAFailedStartRetriedThenFatal) {
  FsmParams p = params(1, 1);
  p.notify_ready = true;
  p.ready_timeout = 5;
  ProcessFsm f = make(p);
  f.added();
  clock.advance(4.9);
  f.timer();
  EXPECT_EQ(f.state(), S::Starting);  // startsecs does not apply
  clock.advance(0.1);
  f.timer();
  EXPECT_EQ(f.fsm_state(), FsmState::FailedStart);
  EXPECT_EQ(f.state(), S::Stopping);
  EXPECT_EQ(ops.sent.back(), (FakeProcessOps::Sent{100, SIGTERM, false, true}));
  EXPECT_TRUE(ops.logged("app was not ready within 5 seconds (ready_timeout); stopping it"));
  f.exited(signal_status(SIGTERM));
  EXPECT_EQ(f.state(), S::Backoff);
  EXPECT_EQ(f.spawnerr(), "not ready within 5 seconds (ready_timeout)");
  fire(f);  // the retry
  EXPECT_EQ(f.state(), S::Starting);
  f.exited(exit_status(0));  // exits before ready: also a failed start
  EXPECT_EQ(f.state(), S::Fatal);
}

TEST_F(FsmTest, AStopDuringAFailedStartEndsStopped) {
  FsmParams p = params(1);
  p.notify_ready = true;
  p.ready_timeout = 5;
  ProcessFsm f = make(p);
  f.added();
  clock.advance(5);
  f.timer();
  ASSERT_EQ(f.fsm_state(), FsmState::FailedStart);
  ASSERT_TRUE(f.stop().done());
  f.exited(signal_status(SIGTERM));
  EXPECT_EQ(f.state(), S::Stopped);
}

TEST_F(FsmTest, NotifyReadyWaitsForTheReadyEventWhichEndsStarting) {
  FsmParams p = params(30);
  p.notify_ready = true;
  ProcessFsm f = make(p);
  f.added();
  clock.advance(0.2);
  ASSERT_TRUE(f.ready_reported().done());
  EXPECT_EQ(f.state(), S::Running);
  EXPECT_TRUE(f.ready());
  EXPECT_TRUE(ops.logged("success: app entered RUNNING state, process reported ready"));
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, ExtendingTheReadyDeadlineMovesItLaterNeverEarlier) {
  FsmParams p = params(1);
  p.notify_ready = true;
  p.ready_timeout = 5;
  ProcessFsm f = make(p);
  f.added();
  MonoTime first = *f.deadline();
  EXPECT_TRUE(f.extend_ready_deadline(1));  // now + 1 is before the deadline: unchanged
  EXPECT_EQ(*f.deadline(), first);
  clock.advance(4);
  EXPECT_TRUE(f.extend_ready_deadline(10));  // EXTEND_TIMEOUT_USEC=10000000
  EXPECT_EQ(*f.deadline(), clock.now() + seconds_d(10));
  clock.advance(9);
  f.timer();
  EXPECT_EQ(f.state(), S::Starting);
  ASSERT_TRUE(f.ready_reported().done());
  EXPECT_FALSE(f.extend_ready_deadline(10));  // RUNNING: nothing to extend
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, OnlyAReadinessCheckDeadlineCanBeExtended) {
  ProcessFsm f = make(params(3));  // startsecs: its deadline is not a ready_timeout
  f.added();
  MonoTime first = *f.deadline();
  EXPECT_FALSE(f.extend_ready_deadline(60));
  EXPECT_EQ(*f.deadline(), first);
}

TEST_F(FsmTest, StateChangesCarryPidTriesAndExpected) {
  ProcessFsm f = make(params(1));
  f.added();
  clock.advance(0.1);
  f.exited(exit_status(1));  // BACKOFF, try 1
  fire(f);
  fire(f);  // RUNNING
  clock.advance(5);
  f.exited(exit_status(0));
  ASSERT_GE(ops.changes.size(), 5u);
  EXPECT_EQ(ops.changes[1].to, S::Backoff);
  EXPECT_EQ(ops.changes[1].tries, 1);
  EXPECT_EQ(ops.changes[1].pid, 100);
  const StateChange& last = ops.changes.back();
  EXPECT_EQ(last.to, S::Exited);
  EXPECT_EQ(last.pid, 101);
  EXPECT_TRUE(last.expected);
}

TEST_F(FsmTest, StopSignalsWakeAdminSignalsDoNot) {
  ProcessFsm f = make(params(0));
  f.added();
  ASSERT_TRUE(f.signal(SIGSTOP).done());
  ASSERT_TRUE(f.stop().done());
  ASSERT_EQ(ops.sent.size(), 2u);
  EXPECT_FALSE(ops.sent[0].wake);
  EXPECT_TRUE(ops.sent[1].wake);
}

// --- oneshot: runs to completion --------------------------------------------------------------

class FsmOneshotTest : public FsmTest {
 protected:
  FsmParams oneshot(int startretries = 2) {
    FsmParams p = params(1, startretries);
    p.oneshot = true;
    p.exitcodes = {0, 3};
    return p;
  }
};

TEST_F(FsmOneshotTest, StaysStartingWithoutStartsecsUntilItExits) {
  ProcessFsm f = make(oneshot());
  f.added();
  EXPECT_EQ(f.state(), S::Starting);
  EXPECT_FALSE(f.deadline());  // startsecs does not apply
  clock.advance(3600);
  EXPECT_EQ(f.state(), S::Starting);
  EXPECT_FALSE(f.ended_for_good());
}

TEST_F(FsmOneshotTest, ExpectedExitCompletesWithoutRestart) {
  for (FsmParams p : {oneshot(), [&] {
                        FsmParams a = oneshot();
                        a.autorestart = AutoRestart::Unexpected;
                        return a;
                      }()}) {
    ProcessFsm f = make(p);
    f.added();
    clock.advance(0.01);  // far quicker than startsecs: still a success
    int spawns = ops.spawns;
    f.exited(exit_status(3));
    EXPECT_EQ(f.fsm_state(), FsmState::Exited);
    EXPECT_TRUE(f.completed());
    EXPECT_TRUE(f.ended_for_good());
    EXPECT_EQ(f.exitstatus(), 3);
    EXPECT_TRUE(f.spawnerr().empty());
    EXPECT_FALSE(f.deadline());
    EXPECT_EQ(ops.spawns, spawns);
    EXPECT_TRUE(ops.logged("completed: app (exit status 3)"));
  }
}

TEST_F(FsmOneshotTest, FailedRunsAreRetriedThenFatal) {
  ProcessFsm f = make(oneshot(2));
  f.added();
  clock.advance(30);  // a long run that fails is still a failed start
  f.exited(exit_status(1));
  EXPECT_EQ(f.state(), S::Backoff);
  EXPECT_EQ(f.spawnerr(), "one-shot run failed (exit status 1)");
  EXPECT_EQ(f.exitstatus(), 1);
  fire(f);
  EXPECT_EQ(f.state(), S::Starting);
  f.exited(signal_status(SIGKILL));
  EXPECT_EQ(f.state(), S::Backoff);
  fire(f);
  f.exited(exit_status(1));
  EXPECT_EQ(f.state(), S::Fatal);
  EXPECT_EQ(ops.spawns, 3);
  EXPECT_FALSE(f.completed());
}

TEST_F(FsmOneshotTest, FailedThenSucceedingRunCompletes) {
  ProcessFsm f = make(oneshot(3));
  f.added();
  f.exited(exit_status(1));
  fire(f);
  f.exited(exit_status(0));
  EXPECT_TRUE(f.completed());
  EXPECT_EQ(f.backoff(), 0);
}

TEST_F(FsmOneshotTest, StartRunsItAgain) {
  ProcessFsm f = make(oneshot());
  f.added();
  f.exited(exit_status(0));
  ASSERT_TRUE(f.completed());
  EXPECT_TRUE(f.start().done());
  EXPECT_EQ(f.state(), S::Starting);
  EXPECT_FALSE(f.completed());
}

TEST_F(FsmOneshotTest, StopWhileRunningIsStoppedNotCompleted) {
  ProcessFsm f = make(oneshot());
  f.added();
  f.stop();
  EXPECT_EQ(f.state(), S::Stopping);
  f.exited(signal_status(SIGTERM));
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_FALSE(f.completed());
  EXPECT_FALSE(f.ended_for_good());
}

TEST_F(FsmTest, EndedForGoodFollowsAutorestart) {
  FsmParams p = params(0);
  ProcessFsm f = make(p);  // autorestart=unexpected, exitcodes=0
  f.added();
  f.exited(exit_status(0));
  EXPECT_TRUE(f.ended_for_good());
  EXPECT_FALSE(f.completed());  // not a one-shot
  p.autorestart = AutoRestart::Always;
  ProcessFsm g = make(p);
  g.added();
  g.exited(exit_status(0));
  EXPECT_FALSE(g.ended_for_good());  // restarting (at once, or after the least interval)
}

// --- restart policy: startretries=-1, backoff_max, backoff_reset, restartpause ------------------

double wait_of(const ProcessFsm& f, const FakeClock& clock) {
  return std::chrono::duration<double>(*f.deadline() - clock.now()).count();
}

TEST(RestartDelayTest, LinearWithoutBackoffMax) {
  FsmParams p;
  for (int n = 1; n <= 5; ++n) {
    EXPECT_DOUBLE_EQ(restart_delay(p, n, 1.0), n) << n;  // no jitter on supervisord's rule
  }
}

TEST(RestartDelayTest, ExponentialCappedAtBackoffMax) {
  FsmParams p;
  p.backoff_max = 10;
  std::vector<double> got;
  for (int n = 1; n <= 7; ++n) {
    got.push_back(restart_delay(p, n, 0));
  }
  EXPECT_EQ(got, (std::vector<double>{1, 2, 4, 8, 10, 10, 10}));
  EXPECT_DOUBLE_EQ(restart_delay(p, 1'000'000, 0), 10);  // no overflow far into a series
  p.backoff_max = 0.25;  // below the first step: every wait is the cap
  EXPECT_DOUBLE_EQ(restart_delay(p, 1, 0), 0.25);
  EXPECT_DOUBLE_EQ(restart_delay(p, 9, 0), 0.25);
}

TEST(RestartDelayTest, JitterStaysWithinTenPercent) {
  FsmParams p;
  p.backoff_max = 60;
  for (int n = 1; n <= 8; ++n) {
    double base = restart_delay(p, n, 0);
    EXPECT_DOUBLE_EQ(restart_delay(p, n, -1), base * 0.9);
    EXPECT_DOUBLE_EQ(restart_delay(p, n, 1), base * 1.1);
    EXPECT_DOUBLE_EQ(restart_delay(p, n, -7), base * 0.9);  // out of range: clamped
    for (double j = -1; j <= 1; j += 0.125) {
      double d = restart_delay(p, n, j);
      EXPECT_GE(d, base * 0.9 - 1e-12);
      EXPECT_LE(d, base * 1.1 + 1e-12);
    }
  }
}

TEST(RestartDelayTest, RestartpauseIsTheLeastWait) {
  FsmParams p;
  p.restartpause = 5;
  EXPECT_DOUBLE_EQ(restart_delay(p, 1, 0), 5);
  EXPECT_DOUBLE_EQ(restart_delay(p, 7, 0), 7);  // linear backoff past the pause
  p.backoff_max = 30;
  EXPECT_DOUBLE_EQ(restart_delay(p, 3, 0), 5);
  EXPECT_DOUBLE_EQ(restart_delay(p, 4, 1), 8.8);
}

TEST(RestartDelayTest, TendRestartPolicyIsOnlyTheNewKeys) {
  FsmParams p;
  EXPECT_FALSE(p.tend_restart_policy());
  p.startretries = 0;
  EXPECT_FALSE(p.tend_restart_policy());
  p.startretries = -1;
  EXPECT_TRUE(p.tend_restart_policy());
  p = FsmParams{};
  p.backoff_max = 1;
  EXPECT_TRUE(p.tend_restart_policy());
  p = FsmParams{};
  p.restartpause = 1;
  EXPECT_TRUE(p.tend_restart_policy());
}

TEST_F(FsmTest, BackoffMaxMakesFailedStartWaitsExponentialWithJitter) {
  FsmParams p = params(1, 10);
  p.backoff_max = 8;
  ProcessFsm f = make(p);
  ops.jitters = {0, 1, -1, 0.5, 0, -0.5};
  f.added();
  std::vector<double> waits;
  for (int attempt = 0; attempt < 6; ++attempt) {
    clock.advance(0.1);
    f.exited(exit_status(1));
    ASSERT_EQ(f.state(), S::Backoff);
    EXPECT_EQ(f.backoff(), attempt + 1);
    waits.push_back(wait_of(f, clock));
    fire(f);
    ASSERT_EQ(f.state(), S::Starting);
  }
  ASSERT_EQ(waits.size(), 6u);
  const double expected[] = {1, 2 * 1.1, 4 * 0.9, 8 * 1.05, 8, 8 * 0.95};
  for (size_t i = 0; i < waits.size(); ++i) {
    EXPECT_NEAR(waits[i], expected[i], 1e-9) << "wait " << i;
  }
  EXPECT_EQ(ops.jitter_calls, 6);
}

TEST_F(FsmTest, LinearBackoffAsksForNoJitter) {
  ProcessFsm f = make(params(1, 3));
  f.added();
  clock.advance(0.1);
  f.exited(exit_status(1));
  EXPECT_DOUBLE_EQ(wait_of(f, clock), 1.0);
  EXPECT_EQ(ops.jitter_calls, 0);
}

TEST_F(FsmTest, StartretriesMinusOneNeverGivesUp) {
  FsmParams p = params(1, -1);
  p.backoff_max = 2;
  ProcessFsm f = make(p);
  ops.jitter_value = 1;  // the longest waits
  f.added();
  for (int attempt = 1; attempt <= 200; ++attempt) {
    clock.advance(0.1);
    f.exited(exit_status(1));
    ASSERT_EQ(f.state(), S::Backoff) << "attempt " << attempt;
    ASSERT_LE(wait_of(f, clock), 2.2 + 1e-9);
    fire(f);
    ASSERT_EQ(f.state(), S::Starting);
  }
  EXPECT_EQ(ops.spawns, 201);
  EXPECT_FALSE(ops.logged("gave up"));
  fire(f);  // and when it finally stays up, the series ends
  EXPECT_EQ(f.state(), S::Running);
  EXPECT_EQ(f.backoff(), 0);
}

TEST_F(FsmTest, StartretriesMinusOneWithoutBackoffMaxKeepsTheLinearRule) {
  ProcessFsm f = make(params(1, -1));
  f.added();
  for (int attempt = 1; attempt <= 30; ++attempt) {
    clock.advance(0.1);
    f.exited(exit_status(1));
    ASSERT_EQ(f.state(), S::Backoff);
    ASSERT_DOUBLE_EQ(wait_of(f, clock), attempt);
    fire(f);
  }
  EXPECT_EQ(ops.spawns, 31);
}

TEST_F(FsmTest, SpawnErrorsWithUnlimitedRetriesKeepRetrying) {
  FsmParams p = params(1, -1);
  p.backoff_max = 1;
  ProcessFsm f = make(p);
  ops.spawn_errors = std::deque<std::string>(50, "can't find command 'nope'");
  f.added();
  for (int i = 0; i < 49; ++i) {
    ASSERT_EQ(f.state(), S::Backoff);
    fire(f);
  }
  EXPECT_EQ(f.state(), S::Backoff);
  fire(f);  // the 51st attempt finds the command
  EXPECT_EQ(f.state(), S::Starting);
  EXPECT_EQ(ops.spawns, 51);
}

// A run that passes startsecs and ends after `ran` seconds with exit code 1.
void run_and_crash(ProcessFsm& f, FakeClock& clock, double ran) {
  ASSERT_EQ(f.state(), S::Starting);
  MonoTime started = clock.now();
  clock.set(*f.deadline());
  f.timer();
  ASSERT_EQ(f.state(), S::Running);
  clock.set(started + seconds_d(ran));
  f.exited(exit_status(1));
}

TEST_F(FsmTest, CrashLoopAfterStartsecsBacksOffWithBackoffMax) {
  FsmParams p = params(1);
  p.backoff_max = 8;
  ProcessFsm f = make(p);
  f.added();
  std::vector<double> waits;
  for (int crash = 1; crash <= 6; ++crash) {
    run_and_crash(f, clock, 3);
    ASSERT_EQ(f.fsm_state(), FsmState::RestartWait) << "crash " << crash;
    EXPECT_EQ(f.state(), S::Exited);
    EXPECT_EQ(f.crashes(), crash);
    waits.push_back(wait_of(f, clock));
    int spawns = ops.spawns;
    clock.set(*f.deadline() - seconds_d(0.001));
    f.timer();  // early: nothing
    EXPECT_EQ(ops.spawns, spawns);
    fire(f);
    ASSERT_EQ(f.state(), S::Starting);
  }
  EXPECT_EQ(waits, (std::vector<double>{1, 2, 4, 8, 8, 8}));
  // The state machine's events are supervisord's: RUNNING -> EXITED -> STARTING.
  EXPECT_EQ(ops.transitions.back(), std::make_pair(S::Exited, S::Starting));
}

TEST_F(FsmTest, ARunOfBackoffResetSecondsEndsTheCrashSeries) {
  FsmParams p = params(1);
  p.backoff_max = 30;
  p.backoff_reset = 60;
  ProcessFsm f = make(p);
  f.added();
  for (int crash = 1; crash <= 3; ++crash) {
    run_and_crash(f, clock, 59.9);  // within backoff_reset of its start
    ASSERT_EQ(f.crashes(), crash);
    fire(f);
  }
  int spawns = ops.spawns;
  run_and_crash(f, clock, 60);  // lasted backoff_reset: a fresh series, restarted at once
  EXPECT_EQ(f.crashes(), 0);
  EXPECT_EQ(f.state(), S::Starting);
  EXPECT_EQ(ops.spawns, spawns + 1);
  run_and_crash(f, clock, 2);
  EXPECT_EQ(f.crashes(), 1);
  EXPECT_DOUBLE_EQ(wait_of(f, clock), 1.0);
}

TEST_F(FsmTest, WithoutBackoffMaxACrashLoopRestartsAtOnceAsSupervisordDoes) {
  ProcessFsm f = make(params(1));
  f.added();
  for (int crash = 1; crash <= 5; ++crash) {
    run_and_crash(f, clock, 2);
    ASSERT_EQ(f.state(), S::Starting) << "crash " << crash;
    EXPECT_EQ(f.crashes(), 0);
  }
  EXPECT_EQ(ops.spawns, 6);
}

TEST_F(FsmTest, CrashBackoffAppliesOnlyToRestartsAutorestartWants) {
  FsmParams p = params(1);
  p.backoff_max = 8;
  ProcessFsm f = make(p);
  f.added();
  run_and_crash(f, clock, 2);
  fire(f);
  ASSERT_EQ(f.crashes(), 1);
  fire(f);  // RUNNING
  clock.advance(1);
  f.exited(exit_status(0));  // expected: no restart, no crash counted
  EXPECT_EQ(f.fsm_state(), FsmState::Exited);
  EXPECT_EQ(f.crashes(), 1);
  EXPECT_FALSE(f.restart_in());
}

TEST_F(FsmTest, AnAdministrativeStartBeginsANewCrashSeries) {
  FsmParams p = params(1);
  p.backoff_max = 8;
  ProcessFsm f = make(p);
  f.added();
  run_and_crash(f, clock, 2);
  fire(f);
  run_and_crash(f, clock, 2);
  ASSERT_EQ(f.crashes(), 2);
  ASSERT_TRUE(f.start().done());  // supervisorctl start while it waits: now
  EXPECT_EQ(f.state(), S::Starting);
  EXPECT_EQ(f.crashes(), 0);
  run_and_crash(f, clock, 2);
  EXPECT_EQ(f.crashes(), 1);
  EXPECT_DOUBLE_EQ(wait_of(f, clock), 1.0);
}

TEST_F(FsmTest, RestartpauseDelaysEveryAutomaticRestart) {
  FsmParams p = params(1, 2);
  p.restartpause = 5;
  p.autorestart = AutoRestart::Always;
  ProcessFsm f = make(p);
  f.added();
  run_and_crash(f, clock, 100);  // a long run: no crash series, still the pause
  ASSERT_EQ(f.fsm_state(), FsmState::RestartWait);
  EXPECT_DOUBLE_EQ(wait_of(f, clock), 5.0);
  EXPECT_EQ(f.crashes(), 0);
  fire(f);
  EXPECT_EQ(f.state(), S::Starting);
  clock.advance(0.1);
  f.exited(exit_status(1));  // a failed start: BACKOFF waits the pause too
  ASSERT_EQ(f.state(), S::Backoff);
  EXPECT_DOUBLE_EQ(wait_of(f, clock), 5.0);
  fire(f);
  fire(f);
  ASSERT_EQ(f.state(), S::Running);
  clock.advance(1);
  f.exited(exit_status(0));  // autorestart=true restarts an expected exit too: after the pause
  EXPECT_EQ(f.fsm_state(), FsmState::RestartWait);
  EXPECT_DOUBLE_EQ(wait_of(f, clock), 5.0);
}

TEST_F(FsmTest, RestartpauseDoesNotRestartWhatAutorestartLeaves) {
  FsmParams p = params(1);
  p.restartpause = 5;
  ProcessFsm f = make(p);
  f.added();
  fire(f);
  clock.advance(10);
  f.exited(exit_status(0));
  EXPECT_EQ(f.fsm_state(), FsmState::Exited);
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, AStopCancelsTheWaitOfACrashLoop) {
  FsmParams p = params(1);
  p.backoff_max = 8;
  ProcessFsm f = make(p);
  f.added();
  run_and_crash(f, clock, 2);
  ASSERT_EQ(f.fsm_state(), FsmState::RestartWait);
  ASSERT_TRUE(f.stop().done());
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_FALSE(f.deadline());
  EXPECT_FALSE(f.restart_in());
  clock.advance(100);
  f.timer();
  EXPECT_EQ(ops.spawns, 1);
  EXPECT_TRUE(ops.sent.empty());
}

TEST_F(FsmTest, AStopCancelsAnExponentialBackoff) {
  FsmParams p = params(1, -1);
  p.backoff_max = 60;
  ProcessFsm f = make(p);
  f.added();
  for (int i = 0; i < 5; ++i) {
    clock.advance(0.1);
    f.exited(exit_status(1));
    fire(f);
  }
  clock.advance(0.1);
  f.exited(exit_status(1));
  ASSERT_EQ(f.state(), S::Backoff);
  ASSERT_TRUE(f.stop().done());
  EXPECT_EQ(f.state(), S::Stopped);
  EXPECT_FALSE(f.deadline());
  clock.advance(1000);
  f.timer();
  EXPECT_EQ(ops.spawns, 6);
}

TEST_F(FsmTest, AShutdownDropsTheWaitOfACrashLoop) {
  FsmParams p = params(1);
  p.backoff_max = 8;
  ProcessFsm f = make(p);
  f.added();
  run_and_crash(f, clock, 2);
  ASSERT_EQ(f.fsm_state(), FsmState::RestartWait);
  f.set_shutting_down(true);
  f.stop_for_shutdown();
  EXPECT_EQ(f.fsm_state(), FsmState::Exited);
  EXPECT_FALSE(f.deadline());
}

TEST_F(FsmTest, RestartInCountsDownTheWait) {
  FsmParams p = params(1, -1);
  p.backoff_max = 8;
  ProcessFsm f = make(p);
  EXPECT_FALSE(f.restart_in());
  f.added();
  EXPECT_FALSE(f.restart_in());  // STARTING
  run_and_crash(f, clock, 2);
  fire(f);
  run_and_crash(f, clock, 2);  // crash 2: 2 s
  ASSERT_TRUE(f.restart_in());
  EXPECT_DOUBLE_EQ(*f.restart_in(), 2.0);
  clock.advance(1.5);
  EXPECT_DOUBLE_EQ(*f.restart_in(), 0.5);
  fire(f);
  clock.advance(0.2);
  f.exited(exit_status(1));  // a failed start: BACKOFF, 1 s
  ASSERT_EQ(f.state(), S::Backoff);
  EXPECT_DOUBLE_EQ(*f.restart_in(), 1.0);
}

// Each transition the restart keys add, as one cell: the state it starts
// from (reached through real events under `policy`), the event, and what
// follows: the state, the spawns it caused and the wait it armed (-1: none).
struct PolicyCell {
  const char* name;
  std::function<void(FsmParams&)> policy;
  std::function<void(ProcessFsm&, FakeClock&)> drive;
  FE event;
  FS to;
  int spawns;
  double wait;
};

void PrintTo(const PolicyCell& c, std::ostream* os) { *os << c.name; }

void crash_after(ProcessFsm& f, FakeClock& clock, double ran) {
  f.start();
  run_and_crash(f, clock, ran);
}

const std::vector<PolicyCell> k_policy_cells = {
    {"UnlimitedRetriesStartingExitIsBackoffNotFatal", [](FsmParams& p) { p.startretries = -1; },
     [](ProcessFsm& f, FakeClock& c) {
       f.start();
       for (int i = 0; i < 20; ++i) {
         c.advance(0.1);
         f.exited(exit_status(1));
         c.set(*f.deadline());
         f.timer();
       }
     },
     FE::Exit, FS::Backoff, 0, 21},
    {"BackoffMaxStartingExitWaitsExponentially", [](FsmParams& p) { p.backoff_max = 3; },
     [](ProcessFsm& f, FakeClock& c) {
       f.start();
       for (int i = 0; i < 2; ++i) {
         c.advance(0.1);
         f.exited(exit_status(1));
         c.set(*f.deadline());
         f.timer();
       }
     },
     FE::Exit, FS::Backoff, 0, 3},  // 4 capped at 3
    {"BackoffMaxRunningCrashWaits", [](FsmParams& p) { p.backoff_max = 8; },
     [](ProcessFsm& f, FakeClock& c) {
       f.start();
       c.advance(1);
       f.timer();
       c.advance(5);
     },
     FE::Exit, FS::RestartWait, 0, 1},
    {"BackoffMaxRunningLongRunRestartsAtOnce", [](FsmParams& p) { p.backoff_max = 8; },
     [](ProcessFsm& f, FakeClock& c) {
       f.start();
       c.advance(1);
       f.timer();
       c.advance(59);  // 60 s since the spawn: backoff_reset
     },
     FE::Exit, FS::Starting, 1, 1},  // the wait armed is startsecs
    {"RestartpauseRunningExitWaits", [](FsmParams& p) { p.restartpause = 4; },
     [](ProcessFsm& f, FakeClock& c) {
       f.start();
       c.advance(1);
       f.timer();
       c.advance(100);
     },
     FE::Exit, FS::RestartWait, 0, 4},
    {"RestartpauseStartingExitWaits", [](FsmParams& p) { p.restartpause = 4; },
     [](ProcessFsm& f, FakeClock& c) {
       f.start();
       c.advance(0.1);
     },
     FE::Exit, FS::Backoff, 0, 4},
    {"CrashWaitTimerRestarts", [](FsmParams& p) { p.backoff_max = 8; },
     [](ProcessFsm& f, FakeClock& c) { crash_after(f, c, 2); }, FE::Timer, FS::Starting, 1, 1},
    {"CrashWaitStopCancels", [](FsmParams& p) { p.backoff_max = 8; },
     [](ProcessFsm& f, FakeClock& c) { crash_after(f, c, 2); }, FE::Stop, FS::Stopped, 0, -1},
    {"CrashWaitStartSpawnsNow", [](FsmParams& p) { p.backoff_max = 8; },
     [](ProcessFsm& f, FakeClock& c) { crash_after(f, c, 2); }, FE::Start, FS::Starting, 1, 1},
    {"CrashWaitShutdownDrops", [](FsmParams& p) { p.backoff_max = 8; },
     [](ProcessFsm& f, FakeClock& c) { crash_after(f, c, 2); }, FE::Shutdown, FS::Exited, 0, -1},
    {"CrashWaitSignalRefused", [](FsmParams& p) { p.backoff_max = 8; },
     [](ProcessFsm& f, FakeClock& c) { crash_after(f, c, 2); }, FE::Signal, FS::RestartWait, 0, 1},
    {"ExponentialBackoffStopCancels", [](FsmParams& p) { p.backoff_max = 8; },
     [](ProcessFsm& f, FakeClock& c) {
       f.start();
       c.advance(0.1);
       f.exited(exit_status(1));
     },
     FE::Stop, FS::Stopped, 0, -1},
    {"UnlimitedRetriesBackoffShutdownGivesUp", [](FsmParams& p) { p.startretries = -1; },
     [](ProcessFsm& f, FakeClock& c) {
       f.start();
       c.advance(0.1);
       f.exited(exit_status(1));
     },
     FE::Shutdown, FS::Fatal, 0, -1},
};

class FsmPolicyCellTest : public ::testing::TestWithParam<PolicyCell> {
 protected:
  FakeClock clock;
  FakeProcessOps ops;
};

TEST_P(FsmPolicyCellTest, Cell) {
  const PolicyCell& c = GetParam();
  FsmParams p;
  p.name = "app";
  p.startsecs = 1;
  p.startretries = 3;
  c.policy(p);
  ProcessFsm f(p, ops, clock);
  c.drive(f, clock);
  int spawns = ops.spawns;
  switch (c.event) {
    case FE::Exit:
      f.exited(exit_status(1));
      break;
    case FE::Timer:
      clock.set(*f.deadline());
      f.timer();
      break;
    case FE::Stop:
      f.stop();
      break;
    case FE::Start:
      f.start();
      break;
    case FE::Shutdown:
      f.set_shutting_down(true);
      f.stop_for_shutdown();
      break;
    case FE::Signal:
      EXPECT_EQ(f.signal(SIGHUP).answer, FA::NotRunning);
      break;
    default:
      FAIL() << "no such policy event";
  }
  EXPECT_EQ(f.fsm_state(), c.to) << "got " << fsm_state_name(f.fsm_state());
  EXPECT_EQ(ops.spawns - spawns, c.spawns);
  if (c.wait < 0) {
    EXPECT_FALSE(f.deadline());
  } else {
    ASSERT_TRUE(f.deadline());
    EXPECT_DOUBLE_EQ(wait_of(f, clock), c.wait);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryNewTransition, FsmPolicyCellTest, ::testing::ValuesIn(k_policy_cells),
                         [](const ::testing::TestParamInfo<PolicyCell>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tend
