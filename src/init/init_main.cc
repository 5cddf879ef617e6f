// Init mode: `tend [options] -- CMD [ARGS...]`, a container PID 1 for one
// command. Decisions (docs/containers.md is written from this list):
//
// * Process group and terminal: CMD runs in its own process group. When stdin
//   is a terminal whose foreground group is tend's, the child takes the
//   terminal (tcsetpgrp) before exec, so job control and Ctrl-C behave as in a
//   shell. tend never creates a session (no setsid, no ctty hand-off).
// * Exit status: CMD's, or 128+N when killed by signal N; 127 when CMD is not
//   found (ENOENT/ENOTDIR), 126 for any other exec failure, with a message
//   naming CMD and the PATH searched. -e CODE (repeatable) maps CODE to 0 and
//   applies to every code above. Usage errors: message + usage on stderr,
//   exit 2 (supervisord's usage code); -h and --version print on stdout, exit 0.
//   Startup failures (fork, signal setup) exit 1 with a reason.
// * Signals: every catchable signal is blocked in tend and read through the
//   event loop's signalfd; policy in signals.h (TERM/INT forward + tree stop,
//   TSTP forwarded, TTIN/TTOU dropped, CHLD reaps, the rest forwarded, RT
//   included). Because tend blocks them all it can never be stopped, as PID 1
//   or not. -g forwards to CMD's process group instead of CMD.
// * Transparency: CMD starts with the signal mask and SIG_IGN dispositions tend
//   was started with (spawn.h), never tend's own blocked set.
// * Reaping: every child of tend is reaped on SIGCHLD; as PID 1 that is every
//   orphan of the namespace. Not PID 1: tend registers as a child subreaper
//   unless --no-subreaper (then it warns that orphans escape it).
// * Tree stop (init_process.h): on TERM/INT, forward to CMD, SIGTERM every
//   other descendant found under /proc (forked children, double-forked orphans,
//   setsid daemons), SIGKILL what is left after --grace (default 5 s, below
//   Docker's 10 s), exit with CMD's status as soon as nothing is left.
//   --on-main-exit=sweep (default) runs the same stop when CMD exits by itself
//   while others live; =wait waits for them (a TERM then stops them); =exit
//   exits at once as tini does.
// * File descriptors: fds the caller passed are inherited by CMD unchanged
//   (socket activation, readiness pipes; LISTEN_PID is rewritten when it named
//   tend) and closed in tend right after the fork, so tend holds none of them.
//   tend's own fds are close-on-exec. tend chdirs to / after the fork so it
//   does not pin CMD's working directory; CMD keeps the caller's.
// * -p SIG sets tend's parent-death signal; if the parent is already gone when
//   it is set, tend acts as if SIG had arrived. -v (repeatable) and
//   TEND_VERBOSITY=N set the level: 0 errors, 1 warnings (default), 2 info,
//   3 debug; messages go to stderr, one write per line.
#include "init/init_main.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "init/init_process.h"
#include "init/options.h"
#include "init/spawn.h"
#include "sys/event_loop.h"
#include "sys/reaper.h"
#include "sys/signal_takeover.h"
#include "util/io.h"

namespace tend::init {

namespace {

constexpr int k_exit_usage = 2;
constexpr int k_exit_failure = 1;

// A child subreaper when not PID 1, so orphans come back to tend.
void setup_reaping(const InitOptions& opt, const InitLog& log) {
  if (getpid() == 1) {
    return;
  }
  if (!opt.subreaper) {
    log.warn("not PID 1 and --no-subreaper: orphans are reaped by someone else and escape the tree stop");
    return;
  }
  if (Status s = become_subreaper(); !s.ok()) {
    log.warn(fmt::format("{}; orphans escape tend", s.error()));
  }
}

}  // namespace

bool wants_init_mode(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--") == 0) {
      return true;
    }
  }
  return false;
}

int init_main(int argc, char** argv) {
  pid_t original_ppid = getppid();
  Result<ParsedArgs> parsed = parse_init_args(argc, argv, getenv("TEND_VERBOSITY"));
  if (!parsed.ok()) {
    write_all(STDERR_FILENO, fmt::format("tend: {}\n{}", parsed.error(), init_usage()));
    return k_exit_usage;
  }
  if (!parsed->run) {
    write_all(STDOUT_FILENO, parsed->text);
    return 0;
  }
  const InitOptions& opt = parsed->options;
  InitLog log(opt.verbosity);

  // Signals first: from here on nothing can kill, stop or interrupt tend, and
  // anything sent meanwhile waits in the pending set for the signalfd.
  Result<OriginalSignalState> original = take_over_signals();
  if (!original.ok()) {
    log.error(original.error());
    return k_exit_failure;
  }
  if (opt.pdeath_signal != 0 && prctl(PR_SET_PDEATHSIG, opt.pdeath_signal) != 0) {
    log.error(fmt::format("unable to set the parent-death signal: {}", strerror(errno)));
    return k_exit_failure;
  }
  setup_reaping(opt, log);

  SpawnOptions spawn_opt;
  spawn_opt.take_terminal = owns_foreground_terminal();
  Result<SpawnedChild> child = spawn_main_child(opt.command, *original, spawn_opt);
  if (!child.ok()) {
    log.error(fmt::format("unable to start {}: {}", opt.command[0], child.error()));
    return k_exit_failure;
  }
  // The child has its copies now; tend keeps none of the caller's fds, and
  // creates its own (all close-on-exec) only after this point.
  close_inherited_fds(child->exec_error.get());
  if (chdir("/") != 0) {
    log.debug(fmt::format("unable to chdir to /: {}", strerror(errno)));
  }

  Result<std::unique_ptr<EventLoop>> loop = EventLoop::create();
  if (!loop.ok()) {
    log.error(loop.error());
    return k_exit_failure;
  }
  InitProcess init(**loop, opt, log);
  Status started = init.start(std::move(*child));
  if (!started.ok()) {
    log.error(started.error());
    return k_exit_failure;
  }
  if (opt.pdeath_signal != 0 && getppid() != original_ppid) {
    init.inject_signal(opt.pdeath_signal);  // the parent died before prctl took effect
  }
  return (*loop)->run();
}

}  // namespace tend::init
