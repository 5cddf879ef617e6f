#include "sys/kernel_sigset.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tend {

Status change_kernel_mask(int how, KernelSigset set, KernelSigset* old) {
  if (syscall(SYS_rt_sigprocmask, how, &set, old, sizeof set) != 0) {
    return make_error(fmt::format("unable to change the signal mask: {}", strerror(errno)));
  }
  return ok_status();
}

int kernel_signalfd(int fd, KernelSigset set, int flags) {
  return static_cast<int>(syscall(SYS_signalfd4, fd, &set, sizeof set, flags));
}

}  // namespace tend
