#include "health/sender.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace tend::health {
namespace {

// A process table as pid -> parent; a pid not in it is gone.
ParentOf table(std::map<pid_t, pid_t> parents) {
  return [parents = std::move(parents)](pid_t pid) -> std::optional<pid_t> {
    auto it = parents.find(pid);
    return it == parents.end() ? std::nullopt : std::optional<pid_t>(it->second);
  };
}

TEST(Sender, ClassifiedByTheParentChain) {
  // 1 <- 50 (tend) <- 100 (program) <- 101 (wrapper shell) <- 102 (systemd-notify)
  //                <- 200 (an earlier run's leftover, re-parented to tend)
  // 1 <- 300 (unrelated)
  ParentOf parents = table({{50, 1}, {100, 50}, {101, 100}, {102, 101}, {200, 50}, {300, 1}, {400, 400}});
  struct Case {
    pid_t sender;
    pid_t main;
    Sender want;
  };
  const Case cases[] = {
      {100, 100, Sender::Program},
      {101, 100, Sender::Descendant},
      {102, 100, Sender::Descendant},
      {200, 100, Sender::Stranger},
      {300, 100, Sender::Stranger},
      {50, 100, Sender::Stranger},    // tend itself is above, not below
      {999, 100, Sender::Gone},       // exited before we looked
      {102, 0, Sender::Stranger},     // nothing running
      {0, 100, Sender::Stranger},     // no credentials
      {400, 100, Sender::Stranger},   // a torn snapshot that loops
      {102, 101, Sender::Descendant},
      {101, 102, Sender::Stranger},   // a parent is not a descendant
  };
  for (const Case& c : cases) {
    EXPECT_EQ(classify_sender(c.sender, c.main, parents), c.want) << c.sender << " under " << c.main;
  }
}

TEST(Sender, AnAncestorGoneMidWalkIsAStranger) {
  // 102's parent 101 vanished between reads: 102 cannot be vouched for.
  EXPECT_EQ(classify_sender(102, 100, table({{102, 101}})), Sender::Stranger);
}

TEST(Sender, ProcParentOfReadsThisProcess) {
  ParentOf parents = proc_parent_of();
  std::optional<pid_t> mine = parents(getpid());
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(*mine, getppid());
  EXPECT_EQ(classify_sender(getpid(), getppid(), parents), Sender::Descendant);
}

}  // namespace
}  // namespace tend::health
