#include "sys/exit_status.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tend {
namespace {

// A real wait status: the child exits with `how`, or dies of signal -how.
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
    EXPECT_EQ(exit_code_of(real_status(code)), code) << code;
  }
}

TEST(ExitStatus, SignalDeathIs128PlusSignal) {
  EXPECT_EQ(exit_code_of(real_status(-SIGTERM)), 143);
  EXPECT_EQ(exit_code_of(real_status(-SIGKILL)), 137);
  EXPECT_EQ(exit_code_of(real_status(-SIGINT)), 130);
  EXPECT_EQ(exit_code_of(real_status(-SIGHUP)), 129);
  EXPECT_EQ(exit_code_of(real_status(-(SIGRTMIN + 3))), 128 + SIGRTMIN + 3);
}

TEST(ExitStatus, NotATerminationIsOne) { EXPECT_EQ(exit_code_of(W_STOPCODE(SIGSTOP)), 1); }

TEST(ExitStatus, ConfigModeWordsAreSupervisords) {
  EXPECT_EQ(describe_wait_status(real_status(3)), "exit status 3");
  EXPECT_EQ(describe_wait_status(real_status(-SIGTERM)), "terminated by SIGTERM");
  EXPECT_EQ(describe_wait_status(SIGSEGV | 0x80), "terminated by SIGSEGV (core dumped)");
  EXPECT_EQ(describe_wait_status(W_STOPCODE(SIGSTOP)), "unknown termination cause 0x137f");
}

TEST(ExitStatus, InitModeWordsFollowAName) {
  EXPECT_EQ(wait_status_phrase(real_status(3)), "exited with status 3");
  EXPECT_EQ(wait_status_phrase(real_status(0)), "exited with status 0");
  EXPECT_EQ(wait_status_phrase(real_status(-SIGTERM)), "was killed by SIGTERM");
  EXPECT_EQ(wait_status_phrase(real_status(-(SIGRTMIN + 2))), "was killed by SIGRTMIN+2");
}

}  // namespace
}  // namespace tend
