#include "sys/tree_stop_policy.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tend {
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

TEST(TreeStopPolicy, FirstPassTermsEveryoneButMainAndZombies) {
  TermTargets t = select_term_targets(tree(), {1, 10, 0}, {}, false);
  EXPECT_EQ(t.term, (std::vector<pid_t>{11, 12, 20, 30}));
  EXPECT_EQ(t.cont, (std::vector<pid_t>{30}));
  EXPECT_TRUE(t.covered.empty());
}

TEST(TreeStopPolicy, GroupModeDoesNotSignalTheForwardedGroupTwice) {
  TermTargets t = select_term_targets(tree(), {1, 10, 10}, {}, false);
  EXPECT_EQ(t.term, (std::vector<pid_t>{30}));
  EXPECT_EQ(t.covered, (std::vector<pid_t>{11, 12, 20}));
}

TEST(TreeStopPolicy, StoppedMainAndGroupMembersGetContButNoSecondTerm) {
  std::vector<ProcEntry> v = {{10, 1, 10, 10, 'T'}, {11, 10, 10, 10, 't'}, {12, 10, 12, 12, 'S'}};
  TermTargets t = select_term_targets(v, {1, 10, 10}, {}, false);
  EXPECT_EQ(t.term, (std::vector<pid_t>{12}));
  EXPECT_EQ(t.covered, (std::vector<pid_t>{11}));
  EXPECT_EQ(t.cont, (std::vector<pid_t>{10, 11}));
}

TEST(TreeStopPolicy, RescanOnlyTermsNewOrphansOfTend) {
  std::unordered_set<pid_t> signalled{11, 20, 30};
  std::vector<ProcEntry> later = tree();
  later.push_back({50, 11, 10, 10, 'S'});  // cleanup helper forked by 11: left alone
  later.push_back({60, 1, 60, 60, 'S'});   // new orphan of tend: gets TERM
  TermTargets t = select_term_targets(later, {1, 0, 0}, signalled, true);
  EXPECT_EQ(t.term, (std::vector<pid_t>{10, 60}));  // 10: main already reaped in this view (main_pid 0)
}

// One process at a time against every rule: state x role x pass.
TEST(TreeStopPolicy, Table) {
  enum Want { k_none, k_term, k_term_cont, k_covered, k_covered_cont, k_cont_only };
  struct Row {
    const char* what;
    ProcEntry e;
    StopContext ctx;
    bool signalled;
    bool orphans_only;
    Want want;
  };
  // tend = 1, main = 10 (group 10).
  const StopContext plain{1, 10, 0};
  const StopContext grouped{1, 10, 10};
  const StopContext config{1, 0, 0};  // config mode: no main child, no group
  const Row rows[] = {
      {"running child", {20, 1, 20, 20, 'R'}, plain, false, false, k_term},
      {"sleeping grandchild", {21, 20, 20, 20, 'S'}, plain, false, false, k_term},
      {"disk sleep", {22, 1, 22, 22, 'D'}, plain, false, false, k_term},
      {"stopped", {23, 1, 23, 23, 'T'}, plain, false, false, k_term_cont},
      {"traced stop", {24, 1, 24, 24, 't'}, plain, false, false, k_term_cont},
      {"zombie", {25, 1, 25, 25, 'Z'}, plain, false, false, k_none},
      {"dead", {26, 1, 26, 26, 'X'}, plain, false, false, k_none},
      {"already signalled", {27, 1, 27, 27, 'T'}, plain, true, false, k_none},
      {"main running", {10, 1, 10, 10, 'S'}, plain, false, false, k_none},
      {"main stopped", {10, 1, 10, 10, 'T'}, plain, false, false, k_cont_only},
      {"main's group, no -g", {28, 10, 10, 10, 'S'}, plain, false, false, k_term},
      {"main's group, -g", {28, 10, 10, 10, 'S'}, grouped, false, false, k_covered},
      {"main's group stopped, -g", {28, 10, 10, 10, 'T'}, grouped, false, false, k_covered_cont},
      {"other group, -g", {29, 10, 29, 29, 'S'}, grouped, false, false, k_term},
      {"rescan: new orphan of tend", {30, 1, 30, 30, 'S'}, plain, false, true, k_term},
      {"rescan: stopped orphan", {31, 1, 31, 31, 'T'}, plain, false, true, k_term_cont},
      {"rescan: child of a live parent", {32, 20, 20, 20, 'S'}, plain, false, true, k_none},
      {"rescan: signalled orphan", {33, 1, 33, 33, 'S'}, plain, true, true, k_none},
      {"config: every descendant", {34, 40, 40, 40, 'S'}, config, false, false, k_term},
      {"config: stopped descendant", {35, 40, 40, 40, 'T'}, config, false, false, k_term_cont},
  };
  for (const Row& r : rows) {
    std::unordered_set<pid_t> signalled;
    if (r.signalled) {
      signalled.insert(r.e.pid);
    }
    TermTargets t = select_term_targets({r.e}, r.ctx, signalled, r.orphans_only);
    auto has = [&](const std::vector<pid_t>& v) { return std::find(v.begin(), v.end(), r.e.pid) != v.end(); };
    Want got = k_none;
    if (has(t.term)) {
      got = has(t.cont) ? k_term_cont : k_term;
    } else if (has(t.covered)) {
      got = has(t.cont) ? k_covered_cont : k_covered;
    } else if (has(t.cont)) {
      got = k_cont_only;
    }
    EXPECT_EQ(got, r.want) << r.what;
  }
}

TEST(TreeStopPolicy, KillSkipsZombiesOnly) {
  EXPECT_EQ(select_kill_targets(tree()), (std::vector<pid_t>{10, 11, 12, 20, 30}));
}

}  // namespace
}  // namespace tend
