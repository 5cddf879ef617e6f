#include "init/exit_status.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tend::init {
namespace {

int real_status(int how) {
  pid_t pid = fork();
  if (pid == 0) {
    if (how < 0) {
      signal(-how, SIG_DFL);
      kill(getpid(), -how);
      _exit(99);
    }
    _exit(how);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(ExitStatus, ExitCodesPassThrough) {
  for (int code : {0, 1, 2, 126, 127, 128, 143, 254, 255}) {
    EXPECT_EQ(exit_code_from_wait_status(real_status(code)), code) << code;
  }
}

TEST(ExitStatus, SignalDeathIs128PlusSignal) {
  EXPECT_EQ(exit_code_from_wait_status(real_status(-SIGTERM)), 143);
  EXPECT_EQ(exit_code_from_wait_status(real_status(-SIGKILL)), 137);
  EXPECT_EQ(exit_code_from_wait_status(real_status(-SIGINT)), 130);
  EXPECT_EQ(exit_code_from_wait_status(real_status(-SIGHUP)), 129);
}

TEST(ExitStatus, RemapOnlyListedCodes) {
  std::set<int> remap{143, 0, 7};
  EXPECT_EQ(apply_remap(143, remap), 0);
  EXPECT_EQ(apply_remap(7, remap), 0);
  EXPECT_EQ(apply_remap(8, remap), 8);
  EXPECT_EQ(apply_remap(130, {}), 130);
}

TEST(ExitStatus, ExecFailureCodes) {
  EXPECT_EQ(exec_failure_code(ENOENT), 127);
  EXPECT_EQ(exec_failure_code(ENOTDIR), 127);
  EXPECT_EQ(exec_failure_code(EACCES), 126);
  EXPECT_EQ(exec_failure_code(ENOEXEC), 126);
  EXPECT_EQ(exec_failure_code(EISDIR), 126);
}

}  // namespace
}  // namespace tend::init
