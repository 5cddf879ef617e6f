// The terminate handler in src/util/terminate.cc is linked into this test binary as an object,
// as into tend: these tests see what a dying tend writes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>

namespace {

struct Death {
  int signal = 0;
  std::string stderr_text;
};

// Runs `body` in a child whose stderr is a pipe; returns the signal that ended it and what it wrote.
Death run_child(const std::function<void()>& body) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    body();
    ::_exit(0);
  }
  ::close(fds[1]);
  Death d;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
    d.stderr_text.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  d.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return d;
}

void throw_through_noexcept(const std::function<void()>& thrower) noexcept { thrower(); }

TEST(TerminateHandler, NamesTheExceptionAndItsMessageThenAborts) {
  Death d = run_child([] { throw_through_noexcept([] { throw std::runtime_error("disk on fire"); }); });
  EXPECT_EQ(d.signal, SIGABRT);
  EXPECT_EQ(d.stderr_text,
            "tend: terminating: uncaught exception of type St13runtime_error: disk on fire\n");
}

TEST(TerminateHandler, AnExceptionThatIsNoStdExceptionHasItsTypeOnly) {
  Death d = run_child([] { throw_through_noexcept([] { throw 42; }); });
  EXPECT_EQ(d.signal, SIGABRT);
  EXPECT_EQ(d.stderr_text, "tend: terminating: uncaught exception of type i\n");
}

TEST(TerminateHandler, TerminateWithoutAnExceptionSaysSo) {
  Death d = run_child([] { std::terminate(); });
  EXPECT_EQ(d.signal, SIGABRT);
  EXPECT_EQ(d.stderr_text, "tend: terminating: std::terminate called with no exception\n");
}

TEST(TerminateHandler, AClosedStderrStillAborts) {
  Death d = run_child([] {
    ::close(STDERR_FILENO);
    std::terminate();
  });
  EXPECT_EQ(d.signal, SIGABRT);
  EXPECT_EQ(d.stderr_text, "");
}

}  // namespace
