#include "init/tree_stop.h"

#include <gtest/gtest.h>

namespace tend::init {
namespace {

// tend = 1; main = 10 (pgrp 10) with child 11 (pgrp 10) and grandchild 12;
// orphan 20 (pgrp 10, reparented to tend); daemon 30 (own session, stopped);
// zombie 40.
std::vector<ProcEntry> tree() {
  return {
      {10, 1, 10, 10, 'S'}, {11, 10, 10, 10, 'S'}, {12, 11, 10, 10, 'S'},
      {20, 1, 10, 10, 'S'}, {30, 1, 30, 30, 'T'},  {40, 1, 40, 40, 'Z'},
  };
}

TEST(TreeStop, FirstPassTermsEveryoneButMainAndZombies) {
  TermTargets t = select_term_targets(tree(), {1, 10, 0}, {}, false);
  EXPECT_EQ(t.term, (std::vector<pid_t>{11, 12, 20, 30}));
  EXPECT_EQ(t.cont, (std::vector<pid_t>{30}));
  EXPECT_TRUE(t.covered.empty());
}

TEST(TreeStop, GroupModeDoesNotSignalTheForwardedGroupTwice) {
  TermTargets t = select_term_targets(tree(), {1, 10, 10}, {}, false);
  EXPECT_EQ(t.term, (std::vector<pid_t>{30}));
  EXPECT_EQ(t.covered, (std::vector<pid_t>{11, 12, 20}));
}

TEST(TreeStop, StoppedMainAndGroupMembersGetContButNoSecondTerm) {
  std::vector<ProcEntry> v = {{10, 1, 10, 10, 'T'}, {11, 10, 10, 10, 't'}, {12, 10, 12, 12, 'S'}};
  TermTargets t = select_term_targets(v, {1, 10, 10}, {}, false);
  EXPECT_EQ(t.term, (std::vector<pid_t>{12}));
  EXPECT_EQ(t.covered, (std::vector<pid_t>{11}));
  EXPECT_EQ(t.cont, (std::vector<pid_t>{10, 11}));
}

TEST(TreeStop, RescanOnlyTermsNewOrphansOfTend) {
  std::unordered_set<pid_t> signalled{11, 20, 30};
  std::vector<ProcEntry> later = tree();
  later.push_back({50, 11, 10, 10, 'S'});  // cleanup helper forked by 11: left alone
  later.push_back({60, 1, 60, 60, 'S'});   // new orphan of tend: gets TERM
  TermTargets t = select_term_targets(later, {1, 0, 0}, signalled, true);
  EXPECT_EQ(t.term, (std::vector<pid_t>{10, 60}));  // 10: main already reaped in this view (main_pid 0)
}

TEST(TreeStop, KillSkipsZombiesOnly) {
  EXPECT_EQ(select_kill_targets(tree()), (std::vector<pid_t>{10, 11, 12, 20, 30}));
}

}  // namespace
}  // namespace tend::init
