// in_fresh_process: runs a test body in a forked child, for tests that need a
// process of their own: one without children (other tests in this binary may
// leave some running), whose signal mask and subreaper flag may change freely.
//
// The body uses ordinary gtest assertions: the child's printer reports each
// failure as it happens, and the child's exit status tells the parent whether
// any happened. A body that dies of a signal fails the test too.
#pragma once

#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

namespace tend::testing {

inline void in_fresh_process(const std::function<void()>& body) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    body();
    fflush(stdout);
    _exit(::testing::Test::HasFailure() ? 1 : 0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ASSERT_TRUE(WIFEXITED(status)) << "the test's process died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "failures reported above, by the test's process";
}

}  // namespace tend::testing
