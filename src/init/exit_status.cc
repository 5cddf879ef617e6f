#include "init/exit_status.h"

#include <errno.h>
#include <sys/wait.h>

namespace tend::init {

int exit_code_from_wait_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return (128 + WTERMSIG(status)) % 256;
  }
  return 1;  // not a termination status: callers only pass reaped ones
}

int apply_remap(int code, const std::set<int>& remap_to_zero) { return remap_to_zero.count(code) != 0 ? 0 : code; }

int exec_failure_code(int err) { return err == ENOENT || err == ENOTDIR ? 127 : 126; }

}  // namespace tend::init
