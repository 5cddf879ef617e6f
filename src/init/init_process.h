// InitProcess: the running init mode. Owns the main child, the reaper, the
// signal forwarding and the graceful tree stop, all driven by one EventLoop.
//
// Lifecycle:
//   running   main child alive; signals forwarded (signals.h policy)
//   stopping  entered on TERM/INT (forwarding it), or when the main child
//             exits by itself with --on-main-exit=sweep (or a TERM arrives while
//             waiting with =wait): the tree stop (sys/tree_stop.h) runs, SIGTERM
//             to every other descendant, SIGKILL at --grace
//   done      waitpid says ECHILD (nothing below tend is left) and the main
//             child's status is known: the loop stops with the exit code.
// tend never sleeps out the grace: it exits the moment its last child is reaped.
// The tree stop's last-resort deadline (2 s after the SIGKILL) exits even if
// something survives SIGKILL (an uninterruptible sleep), so tend never outlives
// its deadline by much.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "init/options.h"
#include "init/spawn.h"
#include "sys/event_loop.h"
#include "sys/reaper.h"
#include "sys/tree_stop.h"

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
  TreeStop::Events stop_events();
  // forward_sig: the received signal, forwarded once the stop has its first
  // snapshot of the tree (TreeStop::Options::forward); 0 = none.
  void begin_stop(const char* why, int forward_sig = 0);
  void on_stop_signalled(int sig, const std::vector<pid_t>& pids, int round);
  void on_stop_abandoned();
  void finish();
  std::string command_name() const;

  EventLoop& m_loop;
  const InitOptions& m_opt;
  const InitLog& m_log;
  pid_t m_self = 0;
  pid_t m_main = 0;  // 0 once reaped (or never started)
  Fd m_exec_error;
  std::optional<int> m_main_status;  // raw wait status once reaped
  TreeStop m_tree_stop;
};

}  // namespace tend::init
