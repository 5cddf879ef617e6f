#include "sys/reaper.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tend {

ReapBatch reap_children() {
  ReapBatch batch;
  while (true) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
    if (pid > 0) {
      batch.children.push_back({pid, status});
      continue;
    }
    if (pid < 0 && errno == EINTR) {
      continue;
    }
    batch.no_children = pid < 0 && errno == ECHILD;
    return batch;
  }
}

bool has_no_children() {
  siginfo_t info{};
  while (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0) {
    if (errno != EINTR) {
      return errno == ECHILD;
    }
  }
  return false;
}

Status become_subreaper() {
  if (getpid() == 1) {
    return ok_status();
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    return make_error(fmt::format("unable to become a child subreaper: {}", strerror(errno)));
  }
  return ok_status();
}

}  // namespace tend
