// The low-level half of spawn_process: start a child that sets itself up and
// execs, and learn before returning whether it got as far as execve.
//
// The child is started with clone(CLONE_VM | CLONE_VFORK) on a stack of its
// own: no page tables are copied, and the calling thread resumes only once the
// child has exec'd or exited. A failing child records the step and errno in a
// shared page the parent reads afterwards. Where clone's flags are not
// honoured (qemu-user makes this a plain fork and returns at once), the parent
// still reads the page only when the child is done: the child holds the write
// end of an O_CLOEXEC pipe open until its execve succeeds or it exits, and the
// parent waits for the pipe's end of file.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "util/result.h"

namespace tend {

// The child steps that can fail, in the order the child runs them.
enum class ChildStep : int { None = 0, Setpgid, Dup, Rlimit, Groups, Setgid, Setuid, Chdir, Exec };

// Everything the child reads. All of it is prepared by the caller before the
// launch: the child shares the parent's memory, so it must not allocate, take
// a lock, or call anything that is not async-signal-safe.
struct ChildPlan {
  const char* filename = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  // Become fds 0, 1 and 2; every other fd is closed, except:
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // extra_fd[i] becomes the child's extra_child_fd[i] (> 2, ascending, at
  // most k_max_extra_fds): a notification fd for readiness.
  static constexpr size_t k_max_extra_fds = 8;
  int extra_fd[k_max_extra_fds] = {};
  int extra_child_fd[k_max_extra_fds] = {};
  size_t extra_count = 0;
  // Resource limits, set in this order (prlimit64 on the child itself) once
  // the fds are in place (a lower open-files limit would refuse a dup2 to a
  // high extra fd) and before the user changes (a root tend can raise a hard
  // limit; the program's user could not).
  struct Limit {
    int resource = 0;  // RLIMIT_*
    uint64_t soft = 0;
    uint64_t hard = 0;  // UINT64_MAX: unlimited
  };
  static constexpr size_t k_max_limits = 16;
  Limit limits[k_max_limits] = {};
  size_t limit_count = 0;
  bool set_user = false;  // setgroups(groups), setgid(gid), setuid(uid), in that order
  uid_t uid = 0;
  gid_t gid = 0;
  const gid_t* groups = nullptr;
  size_t group_count = 0;
  const char* directory = nullptr;  // nullptr: keep tend's
  bool set_umask = false;
  mode_t umask = 0;
};

// The step a child failed at and its errno; step None when it reached execve.
struct ChildFailure {
  ChildStep step = ChildStep::None;
  int err = 0;
  size_t limit = 0;  // step Rlimit: the index in ChildPlan::limits
};

struct LaunchResult {
  pid_t pid = 0;
  ChildFailure failure;  // when step != None the child has exited and been waited for
};

// Starts the child described by `plan`. The child: own process group; the
// three fds as 0-2 and nothing else; the limits; the user's groups, gid and
// uid; the directory; the umask; every signal disposition reset to default
// (32 and 33 included) and an empty signal mask; then execve. An error means no child
// was created (the message names the reason, e.g. the process table is full).
// Vfork: CLONE_VM | CLONE_VFORK. Fork: a plain fork, as qemu-user runs the
// former; for tests, which check that the failure report survives it.
enum class CloneMode { Vfork, Fork };

Result<LaunchResult> launch_child(const ChildPlan& plan, CloneMode mode = CloneMode::Vfork);

}  // namespace tend
