// Spawning one supervised process: resolve the command, make its pipes, start
// the child and set it up (own process group, fds 0-2 only, limits, user, directory,
// umask, environment, default signal dispositions and an empty mask) before
// execve. spawn_process returns only once the child has exec'd or failed, so
// the caller knows the exact failing step, path and errno (spawn_child.h).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "config/model.h"
#include "util/fd.h"
#include "util/result.h"

namespace tend {

struct ChildPlan;  // spawn_child.h

struct SpawnSpec {
  std::string command;  // shlex-split here
  EnvList inherited;    // tend's environment plus the SUPERVISOR_* variables
  EnvList configured;   // configured_environment() (config/model.h); wins over everything
  std::optional<uid_t> uid;
  std::optional<std::string> directory;
  std::optional<mode_t> umask;
  ResourceLimits rlimits;  // set in the child before it changes user
  bool redirect_stderr = false;
  // >= 0: the child's fd 0 is this fd (an fcgi group's listening socket,
  // borrowed from its owner) instead of a stdin pipe; Spawned::stdin_w stays
  // empty. The child still gets fds 0-2 only.
  int stdin_fd = -1;
  // Where PATH lookup searches when argv[0] has no '/'; from env PATH if set.
  std::string search_path;
  // Set by the layers above core for their protocols with the program
  // (readiness: NOTIFY_SOCKET, a notification fd). `extra_env` goes on top of
  // `configured`; each `extra_fds` entry makes our fd (borrowed) the child's
  // fd `child_fd` (> 2): the one exception to "fds 0-2 only".
  EnvList extra_env;
  struct ExtraFd {
    int child_fd;
    int fd;
  };
  std::vector<ExtraFd> extra_fds;
};

struct Spawned {
  pid_t pid = 0;
  Fd stdin_w;   // parent's write end of the child's stdin (invalid with SpawnSpec::stdin_fd)
  Fd stdout_r;  // parent's read end of the child's stdout (and stderr when redirected)
  Fd stderr_r;  // parent's read end of the child's stderr (invalid when redirected)
};

// Resolves argv[0] the way supervisord does (PATH search, stat checks).
// Errors are supervisord's spawnerr texts: "can't find command 'x'",
// "command at '/x' is a directory", "command at '/x' is not executable",
// "no permission to run command '/x'", "can't parse command 'x': ...".
struct ResolvedCommand {
  std::string filename;
  std::vector<std::string> argv;
};
Result<ResolvedCommand> resolve_command(const std::string& command, const std::string& search_path);

// Starts the child and returns once it has exec'd. On error no child remains (a child that failed before
// execve has been waited for), and the message names the failing step.
Result<Spawned> spawn_process(const SpawnSpec& spec);

// Adds the limits present in `limits` to the plan, in the order of
// k_rlimit_kinds (config/rlimits.h).
void plan_limits(const ResourceLimits& limits, ChildPlan& plan);

// The environment of this process as an ordered list.
EnvList process_environ();

}  // namespace tend
