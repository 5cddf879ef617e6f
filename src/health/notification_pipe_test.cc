#include "health/notification_pipe.h"

#include <errno.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <optional>

namespace tend::health {
namespace {

class NotificationPipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
    auto p = NotificationPipe::open(*loop, [this](NotificationPipe::Outcome o) { outcomes.push_back(o); });
    ASSERT_TRUE(p.ok()) << p.error();
    pipe = std::move(*p);
    // Plays the child: its own copy of the write end, ours closed as after a spawn.
    child = dup(pipe->child_end());
    pipe->close_child_end();
  }
  void TearDown() override {
    if (child >= 0) {
      close(child);
    }
  }
  void child_writes(std::string_view s) { ASSERT_EQ(write(child, s.data(), s.size()), static_cast<ssize_t>(s.size())); }
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<NotificationPipe> pipe;
  std::vector<NotificationPipe::Outcome> outcomes;
  int child = -1;
};

TEST_F(NotificationPipeTest, TheFirstNewlineMeansReady) {
  child_writes("starting up, ");
  loop->run_once(100);
  EXPECT_TRUE(outcomes.empty());
  child_writes("ok\nmore\n");
  loop->run_once(1000);
  EXPECT_EQ(outcomes, (std::vector<NotificationPipe::Outcome>{NotificationPipe::Outcome::Ready}));
  // Our end is closed at the newline: the program's next write fails, as under s6.
  sighandler_t old = signal(SIGPIPE, SIG_IGN);
  EXPECT_EQ(write(child, "\n", 1), -1);
  EXPECT_EQ(errno, EPIPE);
  signal(SIGPIPE, old);
}

TEST_F(NotificationPipeTest, ClosingWithoutANewlineIsReported) {
  child_writes("no newline");
  close(child);
  child = -1;
  loop->run_once(1000);
  EXPECT_EQ(outcomes, (std::vector<NotificationPipe::Outcome>{NotificationPipe::Outcome::Closed}));
}

TEST_F(NotificationPipeTest, TheHandlerMayDestroyThePipe) {
  auto p = NotificationPipe::open(*loop, [&](NotificationPipe::Outcome) { pipe.reset(); });
  ASSERT_TRUE(p.ok());
  pipe = std::move(*p);
  ASSERT_EQ(write(pipe->child_end(), "\n", 1), 1);
  loop->run_once(1000);
  EXPECT_FALSE(pipe);
}

}  // namespace
}  // namespace tend::health
