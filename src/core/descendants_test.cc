#include "core/descendants.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace tend {
namespace {

TEST(Descendants, ParsesStatWithSpacesAndParensInComm) {
  Result<ProcEntry> e = parse_proc_stat("42 (a) b (c)) S 7 42 40 0 -1 4194560 ...\n");
  ASSERT_TRUE(e.ok()) << e.error();
  EXPECT_EQ(e->pid, 42);
  EXPECT_EQ(e->ppid, 7);
  EXPECT_EQ(e->pgrp, 42);
  EXPECT_EQ(e->sid, 40);
  EXPECT_EQ(e->state, 'S');
}

TEST(Descendants, RejectsMalformedStat) {
  EXPECT_FALSE(parse_proc_stat("").ok());
  EXPECT_FALSE(parse_proc_stat("x (sh) S 1 1 1").ok());
  EXPECT_FALSE(parse_proc_stat("5 (sh) S 1 1").ok());
  EXPECT_FALSE(parse_proc_stat("5 sh S 1 1 1").ok());
}

TEST(Descendants, BreadthFirstExcludesRootAndStrangers) {
  std::vector<ProcEntry> table = {
      {1, 0, 1, 1, 'S'},  {10, 1, 10, 10, 'S'}, {11, 10, 10, 10, 'S'}, {12, 11, 12, 12, 'Z'},
      {20, 1, 20, 20, 'S'}, {30, 99, 30, 30, 'S'},  // 30: parent not in the tree
  };
  std::vector<ProcEntry> d = descendants_of(table, 10);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].pid, 11);
  EXPECT_EQ(d[1].pid, 12);
  std::vector<ProcEntry> all = descendants_of(table, 1);
  std::vector<pid_t> pids;
  for (const ProcEntry& e : all) {
    pids.push_back(e.pid);
  }
  EXPECT_EQ(pids, (std::vector<pid_t>{10, 20, 11, 12}));
}

TEST(Descendants, CyclesInATornSnapshotTerminate) {
  std::vector<ProcEntry> table = {{2, 3, 2, 2, 'S'}, {3, 2, 3, 3, 'S'}, {4, 4, 4, 4, 'S'}};
  std::vector<ProcEntry> d = descendants_of(table, 2);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].pid, 3);
  EXPECT_TRUE(descendants_of(table, 4).empty());
}

// A real tree: child -> grandchild -> great-grandchild, the grandchild in its
// own session (like a daemon). All three must be listed, parents first.
TEST(Descendants, FindsARealForkedTreeIncludingSetsidMembers) {
  if (!proc_matches_namespace()) {
    GTEST_SKIP() << "/proc does not belong to this PID namespace";
  }
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    pid_t grand = fork();
    if (grand == 0) {
      setsid();
      pid_t great = fork();
      if (great == 0) {
        char c = 'r';
        (void)!write(ready[1], &c, 1);
        pause();
        _exit(0);
      }
      pause();
      _exit(0);
    }
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);

  Result<std::vector<ProcEntry>> d = list_descendant_entries(child);
  ASSERT_TRUE(d.ok()) << d.error();
  ASSERT_EQ(d->size(), 2u);
  const ProcEntry& grand = (*d)[0];
  const ProcEntry& great = (*d)[1];
  EXPECT_EQ(grand.ppid, child);
  EXPECT_EQ(grand.sid, grand.pid);
  EXPECT_EQ(great.ppid, grand.pid);

  Result<std::vector<pid_t>> mine = list_descendants(getpid());
  ASSERT_TRUE(mine.ok());
  EXPECT_NE(std::find(mine->begin(), mine->end(), child), mine->end());
  EXPECT_NE(std::find(mine->begin(), mine->end(), great.pid), mine->end());
  EXPECT_EQ(std::find(mine->begin(), mine->end(), getpid()), mine->end());

  kill(great.pid, SIGKILL);
  kill(grand.pid, SIGKILL);
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
}

TEST(Descendants, RefusesAProcOfAnotherNamespace) {
  char tmpl[] = "/tmp/fakeprocXXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  std::string other = std::to_string(getpid() + 1);
  ASSERT_EQ(symlink(other.c_str(), (root + "/self").c_str()), 0);  // "self" names a pid that is not ours
  Result<std::vector<pid_t>> d = list_descendants(1, root);
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.error().find("not mounted for this PID namespace"), std::string::npos) << d.error();
  unlink((root + "/self").c_str());
  rmdir(root.c_str());
}

}  // namespace
}  // namespace tend
