// Sweep: the end of a shutdown, once every program is down. Whatever still
// descends from tend (forked children, setsid daemons, adopted orphans) gets
// SIGTERM and shutdown_grace to exit, then SIGKILL. Also, during the staged
// stop, the members of a program's process group that outlive its main pid
// get the program's stop signal at once.
#pragma once

#include <sys/types.h>

#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "sys/event_loop.h"

namespace tend {

class Sweep {
 public:
  struct Callbacks {
    std::function<void()> killing;  // shutdown_grace passed: SIGKILL phase
    std::function<void()> done;     // nothing is left below tend
  };
  Sweep(EventLoop& loop, bool is_pid1, Callbacks cb) : m_loop(loop), m_is_pid1(is_pid1), m_cb(std::move(cb)) {}
  ~Sweep();

  bool active() const { return m_active; }
  // Starts the sweep. The caller then reaps (reaped() signals what is there
  // and may call done()) and calls arm().
  void begin(double grace_s);
  // Unless already done: logs the wait and arms the shutdown_grace timer.
  void arm();
  // After each reap batch; `no_children`: waitpid said ECHILD.
  void reaped(bool no_children);
  // Sends each group's stop signal to its members that outlived the group leader.
  void signal_group_leftovers(const std::vector<std::pair<pid_t, int>>& groups);

 private:
  void signal_new(int sig);
  void kill_rest();

  EventLoop& m_loop;
  bool m_is_pid1;
  Callbacks m_cb;
  bool m_active = false;
  bool m_done = false;
  double m_grace = 0;
  std::set<pid_t> m_swept;  // descendants already sent SIGTERM
  EventLoop::TimerId m_grace_timer = 0;
};

}  // namespace tend
