#include "sys/tree_stop.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "fakes/fresh_process.h"
#include "sys/descendants.h"
#include "sys/kernel_sigset.h"
#include "util/fd.h"

namespace tend {
namespace {

using namespace std::chrono_literals;

// A fresh process (fakes/fresh_process.h) plays tend: a subreaper, so orphans
// come back to it as they do to tend, with a loop whose SIGCHLD handler reaps
// and hands every batch to the TreeStop. Children are real processes; the
// clock is real, with small graces, and only "it ended" is asserted (the
// safety timer is a generous bound, never a measurement).
class Harness {
 public:
  enum class Outcome { k_running, k_done, k_abandoned, k_timed_out };

  Harness() {
    EXPECT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    auto loop = EventLoop::create();
    EXPECT_TRUE(loop.ok()) << loop.error();
    m_loop = std::move(*loop);
    TreeStop::Events events;
    events.signalled = [this](int sig, const std::vector<pid_t>& pids, int round) {
      m_sent.push_back({sig, pids, round});
    };
    events.done = [this] { end(Outcome::k_done); };
    events.abandoned = [this] { end(Outcome::k_abandoned); };
    m_stop = std::make_unique<TreeStop>(*m_loop, events);
    Status handled = m_loop->handle_signal(SIGCHLD, [this](const signalfd_siginfo&) { on_sigchld(); });
    EXPECT_TRUE(handled.ok());
  }

  ~Harness() {
    kill_everything();
    m_stop.reset();
    m_loop.reset();
  }

  TreeStop& stop() { return *m_stop; }
  Outcome outcome() const { return m_outcome; }
  // Reaps without telling the TreeStop: stands for a child that never dies.
  void hide_reaps() { m_forward_reaps = false; }

  // Forks a child that runs `body` with no signal blocked; returns once body
  // has called ready().
  pid_t fork_child(const std::function<void(const std::function<void()>& ready)>& body) {
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    Fd rd(p[0]);
    Fd wr(p[1]);
    pid_t pid = fork();
    if (pid == 0) {
      rd.close();
      (void)change_kernel_mask(SIG_SETMASK, 0, nullptr);
      int fd = wr.get();
      body([fd] { (void)!write(fd, "r", 1); });
      _exit(0);
    }
    wr.close();
    char c = 0;
    while (read(rd.get(), &c, 1) < 0 && errno == EINTR) {
    }
    return pid;
  }

  Outcome run_stop(const TreeStop::Options& opt) {
    m_loop->defer([this, opt] { m_stop->begin(opt); });
    EventLoop::TimerId safety = m_loop->add_timer_after(20s, [this] { end(Outcome::k_timed_out); });
    m_loop->run();
    m_loop->cancel_timer(safety);
    return m_outcome;
  }

  bool was_killed(pid_t pid) const {
    auto it = m_status.find(pid);
    return it != m_status.end() && WIFSIGNALED(it->second) && WTERMSIG(it->second) == SIGKILL;
  }
  int exit_code(pid_t pid) const {
    auto it = m_status.find(pid);
    return it != m_status.end() && WIFEXITED(it->second) ? WEXITSTATUS(it->second) : -1;
  }
  bool sent(int sig, pid_t pid) const {
    for (const Sent& s : m_sent) {
      if (s.sig == sig && std::find(s.pids.begin(), s.pids.end(), pid) != s.pids.end()) {
        return true;
      }
    }
    return false;
  }
  size_t signal_events() const { return m_sent.size(); }
  size_t killed_count() const {
    size_t n = 0;
    for (const Sent& s : m_sent) {
      n += s.sig == SIGKILL ? s.pids.size() : 0;
    }
    return n;
  }

 private:
  struct Sent {
    int sig;
    std::vector<pid_t> pids;
    int round;
  };

  void on_sigchld() {
    ReapBatch batch = reap_children();
    for (const ReapedChild& c : batch.children) {
      m_status[c.pid] = c.status;
    }
    if (m_forward_reaps) {
      m_stop->on_reaped(batch);
    }
  }

  void end(Outcome o) {
    m_outcome = o;
    m_loop->stop(0);
  }

  // Whatever a failed test left behind: SIGKILL and reap until nothing is left.
  void kill_everything() {
    for (int i = 0; i < 5000; ++i) {
      Result<std::vector<pid_t>> left = list_descendants(getpid());
      if (left.ok()) {
        for (pid_t p : *left) {
          kill(p, SIGKILL);
        }
      }
      if (reap_children().no_children) {
        return;
      }
      timespec ts{0, 1000000};
      nanosleep(&ts, nullptr);
    }
  }

  std::unique_ptr<EventLoop> m_loop;
  std::unique_ptr<TreeStop> m_stop;
  bool m_forward_reaps = true;
  Outcome m_outcome = Outcome::k_running;
  std::map<pid_t, int> m_status;
  std::vector<Sent> m_sent;
};

using Outcome = Harness::Outcome;

[[noreturn]] void pause_forever() {
  while (true) {
    pause();
  }
}

TEST(TreeStop, TermObeyedAtOnceAndIgnoredTermKilledAtTheGrace) {
  testing::in_fresh_process([] {
    Harness h;
    pid_t polite = h.fork_child([](const std::function<void()>& ready) {
      signal(SIGTERM, [](int) { _exit(7); });
      ready();
      pause_forever();
    });
    pid_t stubborn = h.fork_child([](const std::function<void()>& ready) {
      signal(SIGTERM, SIG_IGN);
      ready();
      pause_forever();
    });
    TreeStop::Options opt;
    opt.grace = 300ms;
    EXPECT_EQ(h.run_stop(opt), Outcome::k_done);
    EXPECT_EQ(h.exit_code(polite), 7);
    EXPECT_TRUE(h.was_killed(stubborn));
    EXPECT_TRUE(h.sent(SIGTERM, polite) && h.sent(SIGTERM, stubborn));
    EXPECT_TRUE(h.sent(SIGKILL, stubborn));
    EXPECT_FALSE(h.sent(SIGKILL, polite));
    EXPECT_EQ(h.stop().phase(), TreeStop::Phase::k_finished);
  });
}

// A stopped process cannot act on its TERM until continued: the stop follows
// the TERM with a SIGCONT, so both exit through their handlers long before the
// grace (30 s; the safety timer ends the test at 20 s).
TEST(TreeStop, StoppedChildAndGrandchildGetTermAndContAndExitGracefully) {
  testing::in_fresh_process([] {
    Harness h;
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    Fd rd(p[0]);
    Fd wr(p[1]);
    pid_t child = fork();
    if (child == 0) {
      (void)change_kernel_mask(SIG_SETMASK, 0, nullptr);
      pid_t g = fork();
      if (g == 0) {
        signal(SIGTERM, [](int) { _exit(43); });
        raise(SIGSTOP);
        pause_forever();
      }
      int st = 0;
      waitpid(g, &st, WUNTRACED);  // returns once the grandchild has stopped
      signal(SIGTERM, [](int) { _exit(42); });
      (void)!write(wr.get(), &g, sizeof g);
      raise(SIGSTOP);
      pause_forever();
    }
    wr.close();
    pid_t grandchild = 0;
    ASSERT_EQ(read(rd.get(), &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
    int st = 0;
    ASSERT_EQ(waitpid(child, &st, WUNTRACED), child);  // both are stopped now
    ASSERT_TRUE(WIFSTOPPED(st));
    TreeStop::Options opt;
    opt.grace = 30s;
    EXPECT_EQ(h.run_stop(opt), Outcome::k_done);
    EXPECT_EQ(h.exit_code(child), 42);
    EXPECT_EQ(h.exit_code(grandchild), 43);
  });
}

// A TERM-ignoring process that forks TERM-ignoring children every 0.3 ms
// throughout the stop (some 600 by the grace): a KILL round misses the ones
// forked while it scans, yet the further rounds and the pass after each reap
// end it. (One KILL pass, then only TERMs after reaps, as config mode's sweep
// did, leaves survivors here nearly every time.)
TEST(TreeStop, KeepsForkingTermIgnoringChildrenAndStillEnds) {
  testing::in_fresh_process([] {
    Harness h;
    pid_t forker = h.fork_child([](const std::function<void()>& ready) {
      signal(SIGTERM, SIG_IGN);
      ready();
      for (int i = 0; i < 3000; ++i) {
        if (fork() == 0) {
          pause_forever();
        }
        timespec ts{0, 300000};
        nanosleep(&ts, nullptr);
      }
      pause_forever();
    });
    TreeStop::Options opt;
    opt.grace = 300ms;
    EXPECT_EQ(h.run_stop(opt), Outcome::k_done);
    EXPECT_TRUE(h.was_killed(forker));
    EXPECT_TRUE(has_no_children());
    EXPECT_GT(h.killed_count(), 1u);
  });
}

// The main child got the forwarded signal from the caller, through the
// forward hook, which runs once, after the first scan and before any signal.
TEST(TreeStop, MainChildGetsNoTermFromTheStopAndTheForwardComesFirst) {
  testing::in_fresh_process([] {
    Harness h;
    pid_t main = h.fork_child([](const std::function<void()>& ready) {
      signal(SIGTERM, [](int) { _exit(3); });
      ready();
      pause_forever();
    });
    pid_t other = h.fork_child([](const std::function<void()>& ready) {
      ready();
      pause_forever();
    });
    TreeStop::Options opt;
    opt.grace = 300ms;
    opt.main_pid = main;
    int forwarded = 0;
    opt.forward = [&] {
      ++forwarded;
      EXPECT_EQ(h.signal_events(), 0u);
    };
    EXPECT_EQ(h.run_stop(opt), Outcome::k_done);
    EXPECT_EQ(forwarded, 1);
    EXPECT_TRUE(h.sent(SIGTERM, other));
    EXPECT_FALSE(h.sent(SIGTERM, main));
    EXPECT_TRUE(h.sent(SIGKILL, main));
    EXPECT_TRUE(h.was_killed(main));
  });
}

TEST(TreeStop, NoChildrenIsDoneBeforeBeginReturns) {
  testing::in_fresh_process([] {
    Harness h;
    h.stop().begin(TreeStop::Options{});
    EXPECT_EQ(h.outcome(), Outcome::k_done);
    EXPECT_FALSE(h.stop().active());
  });
}

// An owner that never reports the reaps stands for a child that survives
// SIGKILL: the last-resort deadline ends the stop anyway.
TEST(TreeStop, AbandonsAtTheLastResortDeadline) {
  testing::in_fresh_process([] {
    Harness h;
    h.hide_reaps();
    h.fork_child([](const std::function<void()>& ready) {
      ready();
      pause_forever();
    });
    TreeStop::Options opt;
    opt.grace = 100ms;
    opt.kill_wait = 100ms;
    EXPECT_EQ(h.run_stop(opt), Outcome::k_abandoned);
    EXPECT_EQ(h.stop().phase(), TreeStop::Phase::k_finished);
  });
}

TEST(SendStopSignal, ContinuesAStoppedProcessOnlyWhenStopped) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  Fd rd(p[0]);
  Fd wr(p[1]);
  pid_t pid = fork();
  if (pid == 0) {
    rd.close();
    (void)change_kernel_mask(SIG_SETMASK, 0, nullptr);
    static int fd = wr.get();
    signal(SIGCONT, [](int) { (void)!write(fd, "c", 1); });
    signal(SIGUSR1, [](int) { (void)!write(fd, "u", 1); });
    signal(SIGWINCH, [](int) { (void)!write(fd, "w", 1); });
    signal(SIGTERM, [](int) { _exit(9); });
    (void)!write(fd, "r", 1);
    pause_forever();
  }
  wr.close();
  char c = 0;
  ASSERT_EQ(read(rd.get(), &c, 1), 1);
  // Running: the signal alone. A SIGCONT (18) would write its 'c' before the
  // 'w' of a later SIGWINCH (28): pending signals run lowest number first.
  ASSERT_TRUE(send_stop_signal(pid, SIGUSR1, false).ok());
  char two[2] = {};
  ASSERT_EQ(read(rd.get(), &two[0], 1), 1);
  kill(pid, SIGWINCH);
  ASSERT_EQ(read(rd.get(), &two[1], 1), 1);
  EXPECT_EQ(std::string(two, 2), "uw");
  // Stopped: TERM, then CONT, so it exits through its handler.
  kill(pid, SIGSTOP);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, WUNTRACED), pid);
  ASSERT_TRUE(send_stop_signal(pid, SIGTERM, false).ok());
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 9);
  EXPECT_TRUE(send_stop_signal(pid, SIGTERM, false).ok());  // gone: ESRCH is success
}

}  // namespace
}  // namespace tend
