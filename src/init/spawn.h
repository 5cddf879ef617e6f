// Starting the main child with the signal state tend itself was started with.
//
// Transparency contract (tini's): the child starts with tend's *original*
// signal mask and the original SIG_IGN dispositions, never with tend's own
// everything-blocked mask. tend resets inherited SIG_IGN dispositions to
// SIG_DFL for itself (sys/signal_takeover.h says why) and the child puts them
// back before exec, glibc's reserved 32 and 33 included.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "sys/signal_takeover.h"
#include "util/fd.h"
#include "util/result.h"

namespace tend::init {

struct SpawnedChild {
  pid_t pid = -1;
  Fd exec_error;  // read end: an int errno if exec failed, EOF if it succeeded
};

struct SpawnOptions {
  bool take_terminal = false;  // make the child's group the terminal's foreground group
};

// fork + (in the child) setpgid, optional tcsetpgrp on stdin, LISTEN_PID
// rewrite, original signal state, execvp. Inherited fds are passed through
// untouched (tend's own are close-on-exec). A failed exec makes the child exit
// with exec_failure_code(errno) after writing errno to `exec_error`.
Result<SpawnedChild> spawn_main_child(const std::vector<std::string>& argv, const OriginalSignalState& sig,
                                      const SpawnOptions& opt);

// After spawn_main_child, in tend: drains `exec_error`; returns the errno the
// child reported or 0. Call once the child was reaped (so the read cannot block).
int read_exec_error(Fd& exec_error);

// Closes every fd >= 3 except `keep`: tend must not hold the caller's pipes and
// sockets open for the life of the container (a reader would never see EOF).
void close_inherited_fds(int keep);

// True when stdin is a terminal whose foreground process group is ours, i.e.
// we may hand it to the child.
bool owns_foreground_terminal();

}  // namespace tend::init
