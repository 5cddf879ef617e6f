// The reaper: the one place where tend collects its children, in both modes,
// on every SIGCHLD. As PID 1, or as a child subreaper (become_subreaper), that
// includes every orphan below tend. Callers dispatch each reaped pid to its
// owner (a program, the main child) and hand the batch to a running TreeStop.
// The only other waitpid in tend is spawn's, for a child that failed before
// exec and whose pid nobody ever saw.
#pragma once

#include <sys/types.h>

#include <vector>

#include "util/result.h"

namespace tend {

struct ReapedChild {
  pid_t pid = 0;
  int status = 0;  // raw wait status (sys/exit_status.h reads it)
};

struct ReapBatch {
  std::vector<ReapedChild> children;  // in the order they were collected
  // waitpid said ECHILD: tend has no child left, running or zombie, so no
  // descendant either (orphans come to tend). Nothing will send SIGCHLD again
  // until tend forks.
  bool no_children = false;
};

// Collects every child that has terminated: waitpid(-1, WNOHANG | __WALL)
// until it reports none left to collect now (0) or no children at all (ECHILD).
// __WALL also collects children that exit with a signal other than SIGCHLD.
ReapBatch reap_children();

// Without collecting anything (waitid with WNOWAIT): true when tend has no
// child at all, running or zombie. For a caller that must know whether a
// SIGCHLD can still come.
bool has_no_children();

// Makes orphans of tend's descendants come back to tend instead of the host's
// init (PR_SET_CHILD_SUBREAPER), so the reaper and the tree stop see them as
// they would as PID 1. Does nothing as PID 1, which gets them anyway.
Status become_subreaper();

}  // namespace tend
