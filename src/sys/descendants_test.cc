#include "sys/descendants.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "fakes/missing_tool.h"

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
    TEND_SKIP_MISSING("a /proc of this PID namespace");
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

std::set<pid_t> pid_set(const std::vector<ProcEntry>& entries) {
  std::set<pid_t> out;
  for (const ProcEntry& e : entries) {
    out.insert(e.pid);
  }
  return out;
}

// True when every entry's parent is root or an entry listed before it.
bool parents_first(const std::vector<ProcEntry>& entries, pid_t root) {
  std::set<pid_t> seen{root};
  for (const ProcEntry& e : entries) {
    if (seen.count(e.ppid) == 0) {
      return false;
    }
    seen.insert(e.pid);
  }
  return true;
}

struct Ready {
  char what;
  pid_t pid;
};

void send_ready(int fd, char what, pid_t pid) {
  Ready r{what, pid};
  (void)!write(fd, &r, sizeof r);
}

// A subreaper helper H with this tree, plus a stranger U forked by the test
// itself:
//   H (subreaper) -> C -> G          a plain grandchild
//                     -> M (zombie)  setsid'd, forked S, exited unreaped
//                 -> S               M's child, re-parented from M to H
// The walk from H must find C, G, M and S, not U nor the test process, and
// agree with the full-table scan.
TEST(Descendants, WalkFindsGrandchildrenAndReparentedSetsidOnesOnly) {
  if (!proc_matches_namespace()) {
    TEND_SKIP_MISSING("a /proc of this PID namespace");
  }
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t stranger = fork();
  ASSERT_GE(stranger, 0);
  if (stranger == 0) {
    close(ready[0]);
    close(ready[1]);
    pause();
    _exit(0);
  }
  pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    close(ready[0]);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
      _exit(1);
    }
    pid_t h = getpid();
    pid_t c = fork();
    if (c == 0) {
      pid_t g = fork();
      if (g == 0) {
        send_ready(ready[1], 'g', getpid());
        pause();
        _exit(0);
      }
      pid_t m = fork();
      if (m == 0) {
        setsid();
        pid_t self = getpid();
        if (fork() == 0) {
          // M's death signal arrives once S has been handed to H.
          sigset_t usr1;
          sigemptyset(&usr1);
          sigaddset(&usr1, SIGUSR1);
          sigprocmask(SIG_BLOCK, &usr1, nullptr);
          prctl(PR_SET_PDEATHSIG, SIGUSR1);
          if (getppid() == self) {
            int sig = 0;
            sigwait(&usr1, &sig);
          }
          if (getppid() != h) {
            _exit(1);
          }
          send_ready(ready[1], 's', getpid());
          pause();
          _exit(0);
        }
        _exit(0);
      }
      siginfo_t info;
      waitid(P_PID, static_cast<id_t>(m), &info, WEXITED | WNOWAIT);  // M is a zombie from here on
      send_ready(ready[1], 'm', m);
      pause();
      _exit(0);
    }
    send_ready(ready[1], 'c', c);
    pause();
    _exit(0);
  }
  close(ready[1]);
  pid_t c = 0;
  pid_t g = 0;
  pid_t m = 0;
  pid_t sess = 0;
  for (int i = 0; i < 4; ++i) {
    Ready r{};
    ASSERT_EQ(read(ready[0], &r, sizeof r), static_cast<ssize_t>(sizeof r));
    (r.what == 'c' ? c : r.what == 'g' ? g : r.what == 'm' ? m : sess) = r.pid;
  }
  close(ready[0]);

  Result<std::vector<ProcEntry>> walk = list_descendant_entries(helper);
  ASSERT_TRUE(walk.ok()) << walk.error();
  EXPECT_EQ(pid_set(*walk), (std::set<pid_t>{c, g, m, sess}));
  EXPECT_TRUE(parents_first(*walk, helper));
  for (const ProcEntry& e : *walk) {
    if (e.pid == m) {
      EXPECT_EQ(e.state, 'Z');
    }
    if (e.pid == sess) {
      EXPECT_EQ(e.ppid, helper);
      EXPECT_EQ(e.sid, m);
    }
  }
  Result<std::vector<ProcEntry>> table = read_process_table();
  ASSERT_TRUE(table.ok()) << table.error();
  EXPECT_EQ(pid_set(*walk), pid_set(descendants_of(*table, helper)));

  // From the test process: the whole helper tree and the stranger (other
  // tests may have left children of their own), never the test itself.
  Result<std::vector<pid_t>> mine = list_descendants(getpid());
  ASSERT_TRUE(mine.ok()) << mine.error();
  std::set<pid_t> mine_set(mine->begin(), mine->end());
  for (pid_t p : {stranger, helper, c, g, m, sess}) {
    EXPECT_EQ(mine_set.count(p), 1u) << p;
  }
  EXPECT_EQ(mine_set.count(getpid()), 0u);

  for (pid_t p : {sess, g, c, helper, stranger}) {
    kill(p, SIGKILL);
  }
  int status = 0;
  EXPECT_EQ(waitpid(helper, &status, 0), helper);
  EXPECT_EQ(waitpid(stranger, &status, 0), stranger);
}

// A /proc look-alike: self names the caller, so the namespace check passes.
class FakeProc {
 public:
  FakeProc() {
    char tmpl[] = "/tmp/fakeprocXXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    m_root = tmpl;
    std::filesystem::create_directory_symlink(std::to_string(getpid()), m_root + "/self");
  }
  ~FakeProc() { std::filesystem::remove_all(m_root); }

  const std::string& root() const { return m_root; }

  void stat(pid_t pid, pid_t ppid, pid_t sid, char state, int threads) {
    std::filesystem::create_directories(dir_of(pid));
    std::ofstream(dir_of(pid) + "/stat") << pid << " (x y) " << state << ' ' << ppid << ' ' << pid << ' ' << sid
                                      << " 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 " << threads << " 0 1 2 3\n";
  }
  void children(pid_t pid, pid_t tid, const std::string& list) {
    std::string dir = dir_of(pid) + "/task/" + std::to_string(tid);
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/children") << list;
  }
  void drop_children_files() {
    for (const auto& e : std::filesystem::recursive_directory_iterator(m_root)) {
      if (e.path().filename() == "children") {
        std::filesystem::remove(e.path());
      }
    }
  }

 private:
  std::string dir_of(pid_t pid) const { return m_root + "/" + std::to_string(pid); }
  std::string m_root;
};

// The walk and the full-table fallback give the same answer on the same
// snapshot, including a second thread's child, a zombie, a pid listed in a
// children file but already reaped, and one reused by a stranger.
TEST(Descendants, WalkAndFullScanFallbackAgree) {
  FakeProc proc;
  proc.stat(100, 1, 100, 'S', 2);
  proc.children(100, 100, "101 102 ");
  proc.children(100, 105, "103 ");  // forked by the second thread
  proc.stat(101, 100, 100, 'S', 1);
  proc.children(101, 101, "104 106 ");  // 106: reaped before its stat was read
  proc.stat(102, 100, 100, 'Z', 1);
  proc.stat(103, 100, 100, 'S', 1);
  proc.children(103, 103, "");
  proc.stat(104, 101, 104, 'S', 1);
  proc.children(104, 104, "107\n");
  proc.stat(107, 1, 107, 'S', 1);  // pid reused by a stranger
  proc.stat(200, 1, 200, 'S', 1);
  proc.children(200, 200, "201 ");
  proc.stat(201, 200, 200, 'S', 1);

  Result<std::vector<ProcEntry>> walk = list_descendant_entries(100, proc.root());
  ASSERT_TRUE(walk.ok()) << walk.error();
  std::vector<pid_t> order;
  for (const ProcEntry& e : *walk) {
    order.push_back(e.pid);
  }
  EXPECT_EQ(order, (std::vector<pid_t>{101, 102, 103, 104}));

  proc.drop_children_files();
  Result<std::vector<ProcEntry>> scan = list_descendant_entries(100, proc.root());
  ASSERT_TRUE(scan.ok()) << scan.error();
  EXPECT_EQ(pid_set(*scan), pid_set(*walk));
  EXPECT_TRUE(parents_first(*scan, 100));
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
