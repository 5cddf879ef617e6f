#include "sys/exit_status.h"

#include <sys/wait.h>

#include <fmt/format.h>

#include "util/signals.h"

namespace tend {

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return WEXITSTATUS(wait_status);
  }
  if (WIFSIGNALED(wait_status)) {
    return (128 + WTERMSIG(wait_status)) % 256;
  }
  return 1;
}

std::string describe_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return fmt::format("exit status {}", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    std::string text = "terminated by " + signal_name(WTERMSIG(wait_status));
    if (WCOREDUMP(wait_status)) {
      text += " (core dumped)";
    }
    return text;
  }
  return fmt::format("unknown termination cause 0x{:04x}", wait_status);
}

std::string wait_status_phrase(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    return fmt::format("was killed by {}", signal_name(WTERMSIG(wait_status)));
  }
  return fmt::format("exited with status {}", WEXITSTATUS(wait_status));
}

}  // namespace tend
