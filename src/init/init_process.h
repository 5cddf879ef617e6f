// InitProcess: the running init mode. Owns the main child, the reaper, the
// signal forwarding and the graceful tree stop, all driven by one EventLoop.
//
// Lifecycle:
//   running   main child alive; signals forwarded (signals.h policy)
//   stopping  entered on TERM/INT (after forwarding it), or when the main child
//             exits by itself with --on-main-exit=sweep (or a TERM arrives while
//             waiting with =wait): every other descendant got one SIGTERM; the
//             grace timer runs; re-scan after each reap (tree_stop.h)
//   killing   grace expired: SIGKILL to every descendant, again after each reap
//   done      waitpid says ECHILD (nothing below tend is left) and the main
//             child's status is known: the loop stops with the exit code.
// tend never sleeps out the grace: it exits the moment its last child is reaped.
// A last-resort timer (grace + k_kill_wait) exits even if something survives
// SIGKILL (an uninterruptible sleep), so tend never outlives its deadline by
// much.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <unordered_set>

#include "sys/event_loop.h"
#include "init/options.h"
#include "init/spawn.h"

namespace tend::init {

// Line-at-a-time messages on stderr ("tend: ..."), one write(2) per line so
// they never interleave mid-line with the children's output.
class InitLog {
 public:
  explicit InitLog(int verbosity) : m_verbosity(verbosity) {}
  bool enabled(int level) const { return m_verbosity >= level; }
  void error(const std::string& msg) const { write_line(0, msg); }
  void warn(const std::string& msg) const { write_line(1, msg); }
  void info(const std::string& msg) const { write_line(2, msg); }
  void debug(const std::string& msg) const { write_line(3, msg); }

 private:
  void write_line(int level, const std::string& msg) const;
  int m_verbosity;
};

class InitProcess {
 public:
  InitProcess(EventLoop& loop, const InitOptions& options, const InitLog& log);
  InitProcess(const InitProcess&) = delete;
  InitProcess& operator=(const InitProcess&) = delete;

  // Takes charge of the already spawned main child and registers a handler
  // for every catchable signal (they were blocked since startup, so nothing
  // sent in between is lost).
  Status start(SpawnedChild child);
  // Behaves as if `sig` had been received (the parent-death race at startup).
  void inject_signal(int sig);

 private:
  void on_signal(const signalfd_siginfo& info);
  void handle(int sig);
  bool forward(int sig);
  void reap();
  void on_main_exited(int status, bool no_children);
  void begin_stop(const char* why);
  void term_pass(bool orphans_only);
  void kill_pass();
  void on_grace_expired();
  void finish();
  std::string command_name() const;

  EventLoop& m_loop;
  const InitOptions& m_opt;
  const InitLog& m_log;
  pid_t m_self = 0;
  pid_t m_main = 0;  // 0 once reaped (or never started)
  Fd m_exec_error;
  std::optional<int> m_main_status;  // raw wait status once reaped
  bool m_stopping = false;
  bool m_killing = false;
  bool m_proc_warned = false;
  std::unordered_set<pid_t> m_signalled;  // got their TERM in this stop
  EventLoop::TimerId m_grace_timer = 0;
  EventLoop::TimerId m_last_resort_timer = 0;
};

}  // namespace tend::init
