// Sweep: config mode's end of a shutdown, on the shared tree stop
// (sys/tree_stop.h). Once every program is down, whatever still descends from
// tend (forked children, setsid daemons, adopted orphans) gets SIGTERM (and
// SIGCONT when stopped) and shutdown_grace to exit, then SIGKILL in rounds;
// 2 s after the first SIGKILL tend gives up on what survives (only a process
// in uninterruptible sleep can) instead of waiting forever.
//
// During the staged stop, members of a program's process group that outlive
// its main pid get the program's stop signal at once (signal_group_leftovers);
// the sweep does not signal them again.
#pragma once

#include <sys/types.h>

#include <functional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sys/event_loop.h"
#include "sys/reaper.h"
#include "sys/tree_stop.h"

namespace tend {

class Sweep {
 public:
  struct Callbacks {
    std::function<void()> killing;  // shutdown_grace passed: SIGKILL phase
    std::function<void()> done;     // nothing is left below tend (or only what SIGKILL cannot end)
  };
  Sweep(EventLoop& loop, Callbacks cb);

  bool active() const { return m_stop.active(); }
  // Starts the sweep; may call done() before it returns.
  void begin(double grace_s);
  // After each reap batch.
  void reaped(const ReapBatch& batch);
  // Sends each group's stop signal to its members that outlived the group leader.
  void signal_group_leftovers(const std::vector<std::pair<pid_t, int>>& groups);

 private:
  Callbacks m_cb;
  double m_grace = 0;
  std::unordered_set<pid_t> m_group_signalled;  // got their program's stop signal already
  TreeStop m_stop;
};

}  // namespace tend
