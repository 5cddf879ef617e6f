#include "rpc/process_info.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include "fakes/fake_clock.h"
#include "fakes/fake_process_ops.h"

namespace tend::rpc {
namespace {

TEST(NamespecTest, SplitsLikeSupervisord) {
  Namespec n = split_namespec("g:p");
  EXPECT_EQ(n.group, "g");
  EXPECT_EQ(n.process, "p");
  EXPECT_FALSE(split_namespec("g:").process.has_value());
  EXPECT_FALSE(split_namespec("g:*").process.has_value());
  n = split_namespec("x");
  EXPECT_EQ(n.group, "x");
  EXPECT_EQ(n.process, "x");
  n = split_namespec("a:b:c");
  EXPECT_EQ(n.group, "a");
  EXPECT_EQ(n.process, "b:c");
  EXPECT_EQ(make_namespec("x", "x"), "x");
  EXPECT_EQ(make_namespec("g", "x"), "g:x");
}

TEST(ProcessInfoTest, UptimeIsPythonTimedeltaText) {
  EXPECT_EQ(format_uptime(0), "0:00:00");
  EXPECT_EQ(format_uptime(2), "0:00:02");
  EXPECT_EQ(format_uptime(3723), "1:02:03");
  EXPECT_EQ(format_uptime(86400 + 61), "1 day, 0:01:01");
  EXPECT_EQ(format_uptime(3 * 86400 + 36000), "3 days, 10:00:00");
  EXPECT_EQ(format_uptime(-5), "0:00:00");
}

TEST(ProcessInfoTest, StopTimeIsLocalTwelveHourClock) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(format_stop_time(1795710240), "Nov 26 04:24 PM");  // 2026-11-26 16:24 UTC
  EXPECT_EQ(format_stop_time(0), "Jan 01 12:00 AM");
  EXPECT_EQ(format_stop_time(1795651200 + 12 * 3600), "Nov 26 12:00 PM");
}

TEST(ProcessInfoTest, Descriptions) {
  EXPECT_EQ(describe_process(ProcessState::Running, 100, 0, 102, 42, "", "a"), "pid 42, uptime 0:00:02");
  EXPECT_EQ(describe_process(ProcessState::Running, 100, 0, 90, 42, "", "a"), "pid 42, uptime 0:00:00");
  EXPECT_EQ(describe_process(ProcessState::Fatal, 1, 2, 3, 0, "Exited too quickly (process log may have details)", "a"),
            "Exited too quickly (process log may have details)");
  EXPECT_EQ(describe_process(ProcessState::Backoff, 1, 2, 3, 0, "", "a"), "unknown error (try \"tail a\")");
  EXPECT_EQ(describe_process(ProcessState::Stopped, 0, 0, 3, 0, "", "a"), "Not started");
  EXPECT_EQ(describe_process(ProcessState::Starting, 1, 0, 3, 7, "", "a"), "");
  EXPECT_EQ(describe_process(ProcessState::Stopping, 1, 0, 3, 7, "", "a"), "");
  EXPECT_EQ(describe_process(ProcessState::Unknown, 1, 0, 3, 7, "", "a"), "");
  EXPECT_NE(describe_process(ProcessState::Exited, 1, 2, 3, 0, "", "a"), "Not started");
}

TEST(ProcessInfoTest, WithoutChecksOrNotesTheDescriptionIsSupervisords) {
  for (ProcessState st : {ProcessState::Starting, ProcessState::Running, ProcessState::Stopped, ProcessState::Fatal}) {
    EXPECT_EQ(describe_with_notes("pid 42, uptime 0:00:02", st, CheckView{}, ProcessNotes{}), "pid 42, uptime 0:00:02");
  }
}

TEST(ProcessInfoTest, AHeldProcessSaysWhatItWaitsFor) {
  ProcessNotes n;
  n.waiting_for = "db (ready), cache (started)";
  EXPECT_EQ(describe_with_notes("Not started", ProcessState::Stopped, CheckView{}, n),
            "waiting for db (ready), cache (started)");
}

TEST(ProcessInfoTest, ReadinessIsShownWhereThereIsACheck) {
  CheckView notify{true, false, false};
  EXPECT_EQ(describe_with_notes("", ProcessState::Starting, notify, {}), "not ready");
  notify.ready = true;
  EXPECT_EQ(describe_with_notes("pid 7, uptime 0:00:05", ProcessState::Running, notify, {}),
            "pid 7, uptime 0:00:05, ready");
  EXPECT_EQ(describe_with_notes("Not started", ProcessState::Stopped, notify, {}), "Not started");
}

TEST(ProcessInfoTest, HealthIsShownWhileRunning) {
  CheckView checked{false, true, true};
  ProcessNotes n;
  EXPECT_EQ(describe_with_notes("pid 7, uptime 0:00:05", ProcessState::Running, checked, n),
            "pid 7, uptime 0:00:05, health unknown");
  n.health = ProcessNotes::Health::Healthy;
  EXPECT_EQ(describe_with_notes("pid 7, uptime 0:00:05", ProcessState::Running, checked, n),
            "pid 7, uptime 0:00:05, healthy");
  n.health = ProcessNotes::Health::Unhealthy;
  n.health_detail = "3 failures: connection refused";
  EXPECT_EQ(describe_with_notes("pid 7, uptime 0:00:05", ProcessState::Running, checked, n),
            "pid 7, uptime 0:00:05, unhealthy (3 failures: connection refused)");
  EXPECT_EQ(describe_with_notes("", ProcessState::Stopping, checked, n), "");
}

TEST(ProcessInfoTest, TheLastStatusIsShownWhileThereIsAProcess) {
  CheckView notify{true, true, false};
  ProcessNotes n;
  n.status = "accepting connections";
  EXPECT_EQ(describe_with_notes("pid 7, uptime 0:00:05", ProcessState::Running, notify, n),
            "pid 7, uptime 0:00:05, ready, accepting connections");
  EXPECT_EQ(describe_with_notes("", ProcessState::Stopping, notify, n), "accepting connections");
  EXPECT_EQ(describe_with_notes("Dec 03 03:50 PM", ProcessState::Exited, notify, n), "Dec 03 03:50 PM");
}

TEST(ProcessInfoTest, CappedInt) {
  EXPECT_EQ(capped_int(12.9), 12);
  EXPECT_EQ(capped_int(1e12), 2147483647);
  EXPECT_EQ(capped_int(-1e12), -2147483648LL);
}

TEST(ProcessInfoTest, LogfilePaths) {
  ProcessConfig c;
  c.stdout_ch.logfile = {LogTarget::Kind::Path, "/x/out.log"};
  c.stderr_ch.logfile = {LogTarget::Kind::Auto, "/tmp/auto-err.log"};
  EXPECT_EQ(process_logfile(c, Stream::Stdout), "/x/out.log");
  EXPECT_EQ(process_logfile(c, Stream::Stderr), "/tmp/auto-err.log");
  c.redirect_stderr = true;
  EXPECT_FALSE(process_logfile(c, Stream::Stderr).has_value());
  c.stdout_ch.logfile = {LogTarget::Kind::None, ""};
  EXPECT_FALSE(process_logfile(c, Stream::Stdout).has_value());
  c.stdout_ch.logfile = {LogTarget::Kind::Auto, ""};  // not resolved (yet)
  EXPECT_FALSE(process_logfile(c, Stream::Stdout).has_value());
}

// tend opens the resolved path; supervisord shows what the config says.
TEST(ProcessInfoTest, RelativeLogfileShownAsWritten) {
  ProcessConfig c;
  c.stdout_ch.logfile = {LogTarget::Kind::Path, "/run/dir/logs/out.log", "logs/out.log"};
  c.stderr_ch.logfile = {LogTarget::Kind::Auto, "/tmp/auto-err.log"};
  EXPECT_EQ(process_logfile(c, Stream::Stdout), "/run/dir/logs/out.log");
  EXPECT_EQ(shown_logfile(c, Stream::Stdout), "logs/out.log");
  EXPECT_EQ(shown_logfile(c, Stream::Stderr), "/tmp/auto-err.log");
  c.redirect_stderr = true;
  EXPECT_FALSE(shown_logfile(c, Stream::Stderr).has_value());
}

// --- the wait of an automatic restart (tend's restart keys) ----------------------------------

class RestartNoteTest : public ::testing::Test {
 protected:
  static FsmParams params() {
    FsmParams p;
    p.name = "app";
    p.startsecs = 1;
    return p;
  }
  // Spawned, RUNNING for `ran` seconds, then exit status 1.
  static void crash(ProcessFsm& f, FakeClock& clock, double ran) {
    clock.set(*f.deadline());
    f.timer();
    clock.advance(ran - 1);
    f.exited(1 << 8);
  }
  FakeClock clock;
  FakeProcessOps ops;
};

TEST_F(RestartNoteTest, BackoffSaysWhenAndWhichFailedStart) {
  FsmParams p = params();
  p.startretries = -1;
  p.backoff_max = 8;
  ProcessFsm f(p, ops, clock);
  f.start();
  for (int i = 0; i < 3; ++i) {
    clock.advance(0.1);
    f.exited(1 << 8);
    clock.set(*f.deadline());
    f.timer();
  }
  clock.advance(0.1);
  f.exited(1 << 8);
  EXPECT_EQ(restart_note(f), "restarting in 8 s (failed start 4)");
  clock.advance(3.5);
  EXPECT_EQ(restart_note(f), "restarting in 5 s (failed start 4)");  // rounded up
  clock.advance(4.5);
  EXPECT_EQ(restart_note(f), "restarting in 0 s (failed start 4)");  // due, before the timer runs
}

TEST_F(RestartNoteTest, ACrashLoopSaysWhenAndWhichCrash) {
  FsmParams p = params();
  p.backoff_max = 8;
  ProcessFsm f(p, ops, clock);
  f.start();
  for (int i = 0; i < 4; ++i) {
    crash(f, clock, 3);
    clock.set(*f.deadline());
    f.timer();
  }
  crash(f, clock, 3);
  ASSERT_EQ(f.state(), ProcessState::Exited);
  EXPECT_EQ(restart_note(f), "restarting in 8 s (crash 5)");
  clock.advance(7.2);
  EXPECT_EQ(restart_note(f), "restarting in 1 s (crash 5)");
  ASSERT_TRUE(f.stop().done());  // cancelled: nothing to say
  EXPECT_EQ(restart_note(f), "");
}

TEST_F(RestartNoteTest, RestartpauseAloneHasNoCount) {
  FsmParams p = params();
  p.restartpause = 5;
  ProcessFsm f(p, ops, clock);
  f.start();
  crash(f, clock, 100);
  EXPECT_EQ(restart_note(f), "restarting in 5 s");
}

TEST_F(RestartNoteTest, SupervisordsRulesKeepSupervisordsDescription) {
  ProcessFsm f(params(), ops, clock);  // startretries=3, linear backoff
  f.start();
  clock.advance(0.1);
  f.exited(1 << 8);
  ASSERT_EQ(f.state(), ProcessState::Backoff);
  EXPECT_EQ(restart_note(f), "");
  clock.set(*f.deadline());
  f.timer();
  clock.set(*f.deadline());
  f.timer();  // RUNNING after startsecs
  clock.advance(0.1);
  f.exited(1 << 8);  // 1.1 s after the spawn: restarted at once
  EXPECT_EQ(f.state(), ProcessState::Starting);
  EXPECT_EQ(restart_note(f), "");
}

}  // namespace
}  // namespace tend::rpc
