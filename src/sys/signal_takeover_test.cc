#include "sys/signal_takeover.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <string>

namespace tend {
namespace {

// Runs body in a forked child (signal state is per process, and some bodies
// die on purpose); returns the child's wait status. body's return value is the
// exit code.
int in_child(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    _exit(body());
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// The "SigXxx:" mask of /proc/self/status as a kernel mask.
KernelSigset proc_status_mask(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1), nullptr, 16);
    }
  }
  return 0;
}

TEST(SignalTakeover, CatchableIsEverySignalButKillAndStop) {
  std::vector<int> s = catchable_signals();
  EXPECT_EQ(s.size(), 62u);
  EXPECT_EQ(std::count(s.begin(), s.end(), SIGKILL), 0);
  EXPECT_EQ(std::count(s.begin(), s.end(), SIGSTOP), 0);
  for (int sig : {1, SIGCHLD, SIGSEGV, 31, 32, 33, SIGRTMIN, SIGRTMIN + 3, SIGRTMAX}) {
    EXPECT_EQ(std::count(s.begin(), s.end(), sig), 1) << sig;
  }
  EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  EXPECT_EQ(SIGRTMAX, 64);  // the kernel mask is one 64-bit word
  KernelSigset mask = 0;
  for (int sig : s) {
    mask |= kernel_sigbit(sig);
  }
  EXPECT_EQ(mask, catchable_sigset());
}

// Every catchable signal sent with kill(2), glibc's 32 and 33, the real-time
// ones and the fault signals included, arrives through the event loop and
// leaves the process alive. One at a time: the kernel discards a pending
// SIGCONT when a stop signal is sent, and pending stop signals on SIGCONT.
TEST(SignalTakeover, EveryKilledSignalArrivesThroughTheLoopAndNoneKills) {
  int status = in_child([] {
    if (!take_over_signals().ok()) {
      return 10;
    }
    auto loop = EventLoop::create();
    if (!loop.ok()) {
      return 11;
    }
    EventLoop& l = **loop;
    std::vector<int> all = catchable_signals();
    std::vector<int> got;
    Status routed = route_catchable_signals(l, [&](const signalfd_siginfo& si) {
      got.push_back(static_cast<int>(si.ssi_signo));
      if (got.size() == all.size()) {
        l.stop(0);
      } else {
        kill(getpid(), all[got.size()]);
      }
    });
    if (!routed.ok()) {
      return 12;
    }
    l.defer([&] { kill(getpid(), all[0]); });
    l.add_timer_after(std::chrono::seconds(10), [&] { l.stop(13); });
    int rc = l.run();
    return rc != 0 ? rc : (got == all ? 0 : 14);
  });
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// The kernel forces a genuine fault through the blocked mask (force_sig_fault
// unblocks it and resets it to SIG_DFL), and abort() unblocks SIGABRT: a real
// crash still ends tend, with a core if enabled.
TEST(SignalTakeover, GenuineFaultsStillKill) {
  int segv = in_child([] {
    (void)take_over_signals();
    kill(getpid(), SIGSEGV);  // sent: stays pending, harmless
    void* page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *static_cast<volatile int*>(page) = 1;
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(segv));
  EXPECT_EQ(WTERMSIG(segv), SIGSEGV);

  int abrt = in_child([]() -> int {
    (void)take_over_signals();
    abort();
  });
  ASSERT_TRUE(WIFSIGNALED(abrt));
  EXPECT_EQ(WTERMSIG(abrt), SIGABRT);

  int trap = in_child([]() -> int {
    (void)take_over_signals();
    __builtin_trap();
  });
  ASSERT_TRUE(WIFSIGNALED(trap));
  EXPECT_TRUE(WTERMSIG(trap) == SIGILL || WTERMSIG(trap) == SIGTRAP) << WTERMSIG(trap);
}

// Started with USR1, 32 and RTMIN+1 ignored and TERM and 33 blocked: the
// takeover records exactly that, leaves nothing ignored in tend, and a child
// that restores gets it all back.
TEST(SignalTakeover, RecordsAndRestoresTheOriginalState) {
  int status = in_child([] {
    struct KernelSigaction {
      void (*handler)(int);
      unsigned long flags;
      void (*restorer)();
      KernelSigset mask;
    } ign{SIG_IGN, 0, nullptr, 0}, dfl{SIG_DFL, 0, nullptr, 0};
    // Start from defaults: whoever ran the tests may have left some ignored
    // (a shell's background job starts with INT and QUIT ignored).
    for (int sig : catchable_signals()) {
      syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
    }
    const std::vector<int> ignored = {SIGUSR1, 32, SIGRTMIN + 1};
    for (int sig : ignored) {
      syscall(SYS_rt_sigaction, sig, &ign, nullptr, sizeof ign.mask);
    }
    KernelSigset blocked = kernel_sigbit(SIGTERM) | kernel_sigbit(33);
    if (!change_kernel_mask(SIG_SETMASK, blocked, nullptr).ok()) {
      return 10;
    }
    Result<OriginalSignalState> st = take_over_signals();
    if (!st.ok() || st->mask != blocked || st->ignored != ignored) {
      return 11;
    }
    if (proc_status_mask("SigIgn") != 0 || proc_status_mask("SigBlk") != catchable_sigset()) {
      return 12;
    }
    restore_original_signals(*st);
    KernelSigset want_ign = 0;
    for (int sig : ignored) {
      want_ign |= kernel_sigbit(sig);
    }
    if (proc_status_mask("SigIgn") != want_ign || proc_status_mask("SigBlk") != blocked) {
      return 13;
    }
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SignalTakeover, RaisedBySelfIsOnlyTendsOwnSending) {
  signalfd_siginfo info{};
  info.ssi_signo = SIGPIPE;
  info.ssi_pid = static_cast<uint32_t>(getpid());
  info.ssi_code = SI_USER;
  EXPECT_TRUE(raised_by_self(info, getpid()));
  info.ssi_code = SI_TKILL;
  EXPECT_TRUE(raised_by_self(info, getpid()));
  info.ssi_code = SI_QUEUE;  // sigqueue: the sender fills in the pid itself
  EXPECT_FALSE(raised_by_self(info, getpid()));
  info.ssi_code = SI_USER;
  info.ssi_pid = static_cast<uint32_t>(getpid() + 1);
  EXPECT_FALSE(raised_by_self(info, getpid()));
}

}  // namespace
}  // namespace tend
