#include "sys/reaper.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "fakes/fresh_process.h"

namespace tend {
namespace {

// Waits (without reaping) until pid has terminated.
void wait_terminated(pid_t pid) {
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT | __WALL) != 0 && errno == EINTR) {
  }
}

TEST(Reaper, CollectsEveryTerminatedChildWithItsStatusThenReportsNoChildren) {
  testing::in_fresh_process([] {
    ASSERT_TRUE(reap_children().no_children);  // a fresh process starts without children
    std::map<pid_t, int> want;
    for (int code : {0, 3, 7}) {
      pid_t pid = fork();
      if (pid == 0) {
        _exit(code);
      }
      want[pid] = code;
    }
    pid_t killed = fork();
    if (killed == 0) {
      pause();
      _exit(1);
    }
    kill(killed, SIGKILL);
    for (const auto& [pid, code] : want) {
      wait_terminated(pid);
    }
    wait_terminated(killed);

    ReapBatch batch = reap_children();
    EXPECT_TRUE(batch.no_children);
    ASSERT_EQ(batch.children.size(), 4u);
    for (const ReapedChild& c : batch.children) {
      if (c.pid == killed) {
        EXPECT_TRUE(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGKILL);
      } else {
        ASSERT_EQ(want.count(c.pid), 1u);
        EXPECT_TRUE(WIFEXITED(c.status));
        EXPECT_EQ(WEXITSTATUS(c.status), want[c.pid]);
      }
    }
  });
}

TEST(Reaper, StopsAtTheFirstChildStillRunning) {
  testing::in_fresh_process([] {
    pid_t running = fork();
    if (running == 0) {
      pause();
      _exit(0);
    }
    ReapBatch batch = reap_children();
    EXPECT_TRUE(batch.children.empty());
    EXPECT_FALSE(batch.no_children);
    kill(running, SIGKILL);
    wait_terminated(running);
    batch = reap_children();
    ASSERT_EQ(batch.children.size(), 1u);
    EXPECT_EQ(batch.children[0].pid, running);
    EXPECT_TRUE(batch.no_children);
  });
}

// A child whose exit signal is not SIGCHLD (clone with exit signal 0) is only
// collected with __WALL; without it, it would stay a zombie forever.
TEST(Reaper, CollectsCloneChildrenWithoutExitSignal) {
  testing::in_fresh_process([] {
    long pid = syscall(SYS_clone, 0L, 0L, 0L, 0L, 0L);
    if (pid == 0) {
      syscall(SYS_exit_group, 5);
    }
    ASSERT_GT(pid, 0);
    wait_terminated(static_cast<pid_t>(pid));
    ReapBatch batch = reap_children();
    ASSERT_EQ(batch.children.size(), 1u);
    EXPECT_EQ(batch.children[0].pid, pid);
    EXPECT_EQ(WEXITSTATUS(batch.children[0].status), 5);
    EXPECT_TRUE(batch.no_children);
  });
}

TEST(Reaper, HasNoChildrenCollectsNothing) {
  testing::in_fresh_process([] {
    EXPECT_TRUE(has_no_children());
    pid_t pid = fork();
    if (pid == 0) {
      _exit(4);
    }
    wait_terminated(pid);
    EXPECT_FALSE(has_no_children());  // a zombie is still a child
    EXPECT_FALSE(has_no_children());  // ... and the peek left it there
    ReapBatch batch = reap_children();
    ASSERT_EQ(batch.children.size(), 1u);
    EXPECT_TRUE(has_no_children());
  });
}

TEST(Reaper, BecomesASubreaper) {
  testing::in_fresh_process([] {
    int before = 0;
    ASSERT_EQ(prctl(PR_GET_CHILD_SUBREAPER, &before), 0);
    ASSERT_TRUE(become_subreaper().ok());
    int now = 0;
    ASSERT_EQ(prctl(PR_GET_CHILD_SUBREAPER, &now), 0);
    EXPECT_EQ(now, 1);
    prctl(PR_SET_CHILD_SUBREAPER, before);
  });
}

}  // namespace
}  // namespace tend
