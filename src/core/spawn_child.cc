#include "core/spawn_child.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <new>

#include <fmt/format.h>

#include "util/fd.h"

namespace tend {

namespace {

constexpr int k_vfork_flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
constexpr int k_fork_flags = SIGCHLD;

// For the functions the child runs. The child executes on a stack ASan does
// not know, in memory it shares with tend: instrumented code there makes ASan
// warn about the unknown stack (into the program's stderr) and could leave
// stale shadow state. None of this code touches the heap, so nothing is lost.
#define TEND_CHILD_CODE __attribute__((no_sanitize_address))

// The child runs only system-call wrappers; 64 KiB also covers a lazy PLT
// resolution in a dynamically linked build, which saves the vector registers.
constexpr size_t k_child_stack_size = 64 * 1024;

// One per thread that spawns, mapped on first use and kept: a guard page, the
// child's stack, and a page holding the failure report. The calling thread is
// suspended while its child runs, so one area per thread is never shared.
// MAP_SHARED so the report also arrives where CLONE_VM is not honoured:
// valgrind and qemu-user give such a child a copy of tend's memory.
struct ChildArea {
  char* stack_top = nullptr;
  ChildFailure* report = nullptr;
};

ChildArea* child_area() {
  thread_local ChildArea area;
  if (area.stack_top != nullptr) {
    return &area;
  }
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t total = page + k_child_stack_size + page;
  void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    return nullptr;
  }
  char* bytes = static_cast<char*>(base);
  if (mprotect(bytes, page, PROT_NONE) != 0) {  // an overflow faults instead of writing below
    int saved = errno;
    munmap(base, total);
    errno = saved;
    return nullptr;
  }
  area.stack_top = bytes + page + k_child_stack_size;
  area.report = new (area.stack_top) ChildFailure{};
  return &area;
}

struct ChildContext {
  const ChildPlan* plan;
  ChildFailure* report;
  // The write end of the parent's done pipe (O_CLOEXEC): open in the child
  // until its execve succeeds or it exits, whichever comes first.
  int done_fd;
};

// The kernel's signal mask is 64 bits wide on every Linux architecture we build for.
using KernelSigset = uint64_t;

// glibc's sigprocmask hides its reserved signals (32, 33); the child needs all
// of them blocked until its dispositions are reset, and all unblocked after.
TEND_CHILD_CODE void set_kernel_mask(KernelSigset mask, KernelSigset* old) {
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, old, sizeof mask);
}

// signal() refuses glibc's reserved signals (32, 33), yet they can arrive
// ignored from whoever started tend; the raw system call resets every one.
TEND_CHILD_CODE void reset_disposition(int sig) {
  struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    KernelSigset mask;
  } act{SIG_DFL, 0, nullptr, 0};
  syscall(SYS_rt_sigaction, sig, &act, nullptr, sizeof act.mask);
}

// Closes [first, last] (last: ~0U for "and above").
TEND_CHILD_CODE void close_fd_range(unsigned first, unsigned last) {
  if (first > last) {
    return;
  }
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, last, 0) == 0) {
    return;
  }
#endif
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = first; fd < max && static_cast<unsigned long>(fd) <= last; ++fd) {
    close(static_cast<int>(fd));
  }
}

// The lowest fd above every fd the child is to end up with.
TEND_CHILD_CODE int above_targets(const ChildPlan& p) {
  return p.extra_count > 0 ? p.extra_child_fd[p.extra_count - 1] + 1 : 3;
}

// Closes [first, last] except `keep`.
TEND_CHILD_CODE void close_fd_range_except(unsigned first, unsigned last, unsigned keep) {
  if (keep < first || keep > last) {
    close_fd_range(first, last);
    return;
  }
  if (keep > first) {
    close_fd_range(first, keep - 1);
  }
  if (keep < last) {
    close_fd_range(keep + 1, last);
  }
}

// Makes the plan's extra fds the child's (above 2) and closes every other fd
// from 3 on, except `keep` (already above every target). Sources first go
// above every target, so that no dup2 can overwrite a source still to be moved.
TEND_CHILD_CODE bool place_extra_fds_and_close_rest(const ChildPlan& p, int keep) {
  int moved[ChildPlan::k_max_extra_fds];
  int above = above_targets(p);
  for (size_t i = 0; i < p.extra_count; ++i) {
    moved[i] = fcntl(p.extra_fd[i], F_DUPFD, above);
    if (moved[i] < 0) {
      return false;
    }
  }
  for (size_t i = 0; i < p.extra_count; ++i) {
    if (dup2(moved[i], p.extra_child_fd[i]) < 0) {
      return false;
    }
  }
  unsigned next = 3;
  for (size_t i = 0; i < p.extra_count; ++i) {
    close_fd_range(next, static_cast<unsigned>(p.extra_child_fd[i]) - 1);
    next = static_cast<unsigned>(p.extra_child_fd[i]) + 1;
  }
  close_fd_range_except(next, ~0U, static_cast<unsigned>(keep));
  return true;
}

// exit_group directly: sanitizers intercept _exit to run their at-exit
// checks, which must not run in a child sharing tend's memory.
[[noreturn]] TEND_CHILD_CODE void child_fail(ChildFailure* report, ChildStep step, size_t limit = 0) {
  report->err = errno;
  report->step = step;
  report->limit = limit;
  syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

// Runs in the child, in the parent's memory and on the area's stack, with
// every signal blocked (see launch_child). Only async-signal-safe calls.
TEND_CHILD_CODE int child_main(void* arg) {
  const ChildContext& ctx = *static_cast<const ChildContext*>(arg);
  const ChildPlan& p = *ctx.plan;
  // First, so that no handler of tend's can ever run in the child; the
  // program starts as if from a fresh shell, not with tend's blocked signals
  // nor a parent's ignored SIGPIPE.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) {
      reset_disposition(sig);
    }
  }
  if (setpgid(0, 0) != 0) {
    child_fail(ctx.report, ChildStep::Setpgid);
  }
  // The done fd goes above every fd the child is to have, where no dup2 below
  // replaces it and the closing of the rest spares it. Should the move fail,
  // the original still holds the pipe open until this child exits.
  int done = fcntl(ctx.done_fd, F_DUPFD_CLOEXEC, above_targets(p));
  if (done < 0) {
    child_fail(ctx.report, ChildStep::Dup);
  }
  if (dup2(p.stdin_fd, 0) < 0 || dup2(p.stdout_fd, 1) < 0 || dup2(p.stderr_fd, 2) < 0 ||
      !place_extra_fds_and_close_rest(p, done)) {
    child_fail(ctx.report, ChildStep::Dup);
  }
  for (size_t i = 0; i < p.limit_count; ++i) {
    // The kernel's struct rlimit64: 64-bit values on every architecture,
    // unlimited included, whatever glibc's rlim_t is.
    struct {
      uint64_t cur;
      uint64_t max;
    } lim{p.limits[i].soft, p.limits[i].hard};
    if (syscall(SYS_prlimit64, 0, p.limits[i].resource, &lim, nullptr) != 0) {
      child_fail(ctx.report, ChildStep::Rlimit, i);
    }
  }
  if (p.set_user) {
    // Raw system calls: glibc's wrappers would make every thread of the
    // process change ids together, and this child shares tend's thread list.
    if (syscall(SYS_setgroups, p.group_count, p.groups) != 0) {
      child_fail(ctx.report, ChildStep::Groups);
    }
    if (syscall(SYS_setgid, p.gid) != 0) {
      child_fail(ctx.report, ChildStep::Setgid);
    }
    if (syscall(SYS_setuid, p.uid) != 0) {
      child_fail(ctx.report, ChildStep::Setuid);
    }
  }
  if (p.directory != nullptr && chdir(p.directory) != 0) {
    child_fail(ctx.report, ChildStep::Chdir);
  }
  if (p.set_umask) {
    umask(p.umask);
  }
  set_kernel_mask(0, nullptr);
  execve(p.filename, p.argv, p.envp);
  child_fail(ctx.report, ChildStep::Exec);
}

// Returns once every copy of the pipe's write end is closed: the child has
// exec'd (O_CLOEXEC) or exited. The child never writes to it.
void wait_for_close(int read_fd) {
  char byte = 0;
  for (;;) {
    ssize_t n = read(read_fd, &byte, 1);
    if (n == 0 || (n < 0 && errno != EINTR)) {
      return;
    }
  }
}

}  // namespace

Result<LaunchResult> launch_child(const ChildPlan& plan, CloneMode mode) {
  ChildArea* area = child_area();
  if (area == nullptr) {
    return make_error(fmt::format("unable to map a stack for the child: {}", strerror(errno)));
  }
  *area->report = ChildFailure{};
  // CLONE_VFORK alone would make the report ready when clone returns, but
  // qemu-user runs such a clone as a plain fork and returns at once; the done
  // pipe makes the report ready under both.
  int done_pipe[2];
  if (pipe2(done_pipe, O_CLOEXEC) != 0) {
    return make_error(fmt::format("unable to create the child's done pipe: {}", strerror(errno)));
  }
  Fd done_r(done_pipe[0]);
  Fd done_w(done_pipe[1]);
  ChildContext ctx{&plan, area->report, done_w.get()};

  // Blocked from before the clone until the child has reset its dispositions:
  // a handler running in the child would run on tend's memory.
  KernelSigset old_mask = 0;
  set_kernel_mask(~KernelSigset{0}, &old_mask);
  int flags = mode == CloneMode::Vfork ? k_vfork_flags : k_fork_flags;
  pid_t pid = clone(child_main, area->stack_top, flags, &ctx);
  int clone_errno = errno;
  set_kernel_mask(old_mask, nullptr);
  done_w.close();
  if (pid < 0) {
    if (clone_errno == EAGAIN) {
      return make_error("Too many processes in process table to spawn");
    }
    return make_error(fmt::format("unable to fork: {}", strerror(clone_errno)));
  }

  wait_for_close(done_r.get());
  LaunchResult out;
  out.pid = pid;
  out.failure = *area->report;
  if (out.failure.step != ChildStep::None) {
    // The child failed before execve and has exited: collect it here so the
    // reaper never sees a pid nobody spawned.
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  return out;
}

}  // namespace tend
