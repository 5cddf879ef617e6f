#include "sys/signal_takeover.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tend {

namespace {

// The kernel's struct sigaction on x86_64 and aarch64 (both define
// SA_RESTORER); glibc's differs in size and order.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  KernelSigset mask;
};

// The kernel's _NSIG on x86_64 and aarch64: signals are 1..64 and a mask is
// one 64-bit word.
constexpr int k_max_signal = 64;

}  // namespace

std::vector<int> catchable_signals() {
  std::vector<int> out;
  for (int sig = 1; sig <= k_max_signal; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      out.push_back(sig);
    }
  }
  return out;
}

KernelSigset catchable_sigset() { return ~(kernel_sigbit(SIGKILL) | kernel_sigbit(SIGSTOP)); }

Result<OriginalSignalState> take_over_signals() {
  OriginalSignalState st;
  if (Status s = change_kernel_mask(SIG_BLOCK, catchable_sigset(), &st.mask); !s.ok()) {
    return make_error(s.error());
  }
  for (int sig : catchable_signals()) {
    KernelSigaction current{};
    if (syscall(SYS_rt_sigaction, sig, nullptr, &current, sizeof current.mask) == 0 && current.handler == SIG_IGN) {
      st.ignored.push_back(sig);
      KernelSigaction dfl{SIG_DFL, 0, nullptr, 0};
      syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
    }
  }
  return st;
}

void restore_original_signals(const OriginalSignalState& original) {
  for (int sig : original.ignored) {
    KernelSigaction ign{SIG_IGN, 0, nullptr, 0};
    syscall(SYS_rt_sigaction, sig, &ign, nullptr, sizeof ign.mask);
  }
  KernelSigset mask = original.mask;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, nullptr, sizeof mask);
}

Status route_catchable_signals(EventLoop& loop, const EventLoop::SignalCallback& cb) {
  for (int sig : catchable_signals()) {
    if (Status s = loop.handle_signal(sig, cb); !s.ok()) {
      return s;
    }
  }
  return ok_status();
}

bool raised_by_self(const signalfd_siginfo& info, pid_t self) {
  return static_cast<pid_t>(info.ssi_pid) == self && static_cast<int>(info.ssi_signo) != SIGCHLD &&
         (info.ssi_code == SI_USER || info.ssi_code == SI_TKILL);
}

}  // namespace tend
