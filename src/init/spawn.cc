#include "init/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include "init/exit_status.h"

namespace tend::init {

namespace {

// Runs in the forked child: only async-signal-safe-in-spirit work (tend is
// single-threaded, so the heap and environ are consistent here).
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const OriginalSignalState& sig,
                             const SpawnOptions& opt, int err_fd, pid_t parent) {
  setpgid(0, 0);
  if (opt.take_terminal) {
    // Every signal is still blocked, so a background tcsetpgrp cannot stop us
    // with SIGTTOU. ENOTTY/ENXIO (no terminal after all) are harmless.
    tcsetpgrp(STDIN_FILENO, getpid());
  }
  // Socket activation: fds addressed to tend are really for the child.
  const char* listen_pid = getenv("LISTEN_PID");
  if (listen_pid != nullptr && atol(listen_pid) == static_cast<long>(parent)) {
    char buf[24];
    snprintf(buf, sizeof buf, "%ld", static_cast<long>(getpid()));
    setenv("LISTEN_PID", buf, 1);
  }
  restore_original_signals(sig);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  execvp(args[0], args.data());
  int err = errno;
  (void)!write(err_fd, &err, sizeof err);
  _exit(exec_failure_code(err));
}

}  // namespace

Result<SpawnedChild> spawn_main_child(const std::vector<std::string>& argv, const OriginalSignalState& sig,
                                      const SpawnOptions& opt) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    return make_error(fmt::format("unable to create pipe: {}", strerror(errno)));
  }
  Fd rd(p[0]);
  Fd wr(p[1]);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    return make_error(fmt::format("unable to fork: {}", strerror(errno)));
  }
  if (pid == 0) {
    rd.close();
    exec_child(argv, sig, opt, wr.get(), parent);
  }
  // Also from the parent, so that a signal forwarded to the group right after
  // fork finds it; EACCES once the child has exec'd is fine.
  setpgid(pid, pid);
  SpawnedChild c;
  c.pid = pid;
  c.exec_error = std::move(rd);
  return c;
}

int read_exec_error(Fd& exec_error) {
  if (!exec_error) {
    return 0;
  }
  int err = 0;
  ssize_t n;
  do {
    n = read(exec_error.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  exec_error.close();
  return n == static_cast<ssize_t>(sizeof err) ? err : 0;
}

void close_inherited_fds(int keep) {
  auto close_span = [](unsigned lo, unsigned hi) {
    if (lo > hi) {
      return;
    }
    if (syscall(SYS_close_range, lo, hi, 0) == 0) {
      return;
    }
    long max = sysconf(_SC_OPEN_MAX);
    unsigned top = max > 0 && static_cast<unsigned long>(max) <= hi ? static_cast<unsigned>(max - 1) : hi;
    if (top > 65535) {
      top = 65535;
    }
    for (unsigned fd = lo; fd <= top; ++fd) {
      close(static_cast<int>(fd));
    }
  };
  if (keep >= 3) {
    close_span(3, static_cast<unsigned>(keep) - 1);
    close_span(static_cast<unsigned>(keep) + 1, ~0U);
  } else {
    close_span(3, ~0U);
  }
}

bool owns_foreground_terminal() {
  if (!isatty(STDIN_FILENO)) {
    return false;
  }
  // Both ids are translated into our PID namespace. As PID 1 of a namespace
  // started from a terminal (unshare, or a runtime that did not give us our
  // own session), both groups live outside it and read as 0: the best we can
  // tell is that they match, which is the common case of a foreground start.
  pid_t fg = tcgetpgrp(STDIN_FILENO);
  return fg >= 0 && fg == getpgrp();
}

}  // namespace tend::init
