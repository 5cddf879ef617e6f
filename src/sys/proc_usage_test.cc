// /proc parsing and tree sums for /metrics, against stat lines as the kernel
// writes them (fixtures below, from a Linux 6.x host), in a fake /proc.
#include "sys/proc_usage.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "fakes/temp_dir_test.h"

namespace tend {
namespace {

// pid 1: utime 1136, stime 4902, cutime 1389185, cstime 175926, rss 3254 pages.
constexpr const char* k_init_stat =
    "1 (process_api) S 0 0 0 0 -1 4194560 58229 407819738 0 19514 1136 4902 1389185 175926 10 -10 19 0 25 "
    "54829056 3254 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

// The comm of a process is free text: spaces and parentheses included.
std::string stat_line(pid_t pid, pid_t ppid, const std::string& comm, int utime, int stime, int cutime, int cstime,
                      int rss) {
  return std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) +
         " 16716 4409 0 -1 4194304 101 0 0 0 " + std::to_string(utime) + " " + std::to_string(stime) + " " +
         std::to_string(cutime) + " " + std::to_string(cstime) + " 20 0 1 0 1543400 3133440 " +
         std::to_string(rss) + " 18446744073709551615 94567597907968 94567597927849 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
}

TEST(ProcUsageParse, ReadsPpidCpuAndRss) {
  Result<ProcUsage> u = parse_proc_usage(k_init_stat);
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_EQ(u->pid, 1);
  EXPECT_EQ(u->ppid, 0);
  EXPECT_EQ(u->cpu_ticks, 1136u + 4902u + 1389185u + 175926u);
  EXPECT_EQ(u->rss_pages, 3254u);
}

TEST(ProcUsageParse, CommWithSpacesAndParentheses) {
  Result<ProcUsage> u = parse_proc_usage(stat_line(42, 7, "a) b (c) 1 2", 5, 6, 7, 8, 99));
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_EQ(u->pid, 42);
  EXPECT_EQ(u->ppid, 7);
  EXPECT_EQ(u->cpu_ticks, 26u);
  EXPECT_EQ(u->rss_pages, 99u);
}

TEST(ProcUsageParse, RefusesTruncatedOrGarbledLines) {
  EXPECT_FALSE(parse_proc_usage("").ok());
  EXPECT_FALSE(parse_proc_usage("12 (x) S 1 2 3").ok());
  EXPECT_FALSE(parse_proc_usage("x (sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22").ok());
  std::string line = stat_line(3, 1, "sh", 1, 1, 1, 1, 1);
  line.replace(line.find(" 1 1 1 1 20"), 3, " x ");
  EXPECT_FALSE(parse_proc_usage(line).ok());
}

class FakeProc : public test_support::TempDirTest {
 protected:
  void add(pid_t pid, const std::string& stat) { write(std::to_string(pid) + "/stat", stat); }
  const std::string& path() const { return m_dir; }
};

TEST_F(FakeProc, ScanReadsEveryNumericEntryAndSkipsTheRest) {
  add(1, k_init_stat);
  add(10, stat_line(10, 1, "tend", 1, 2, 0, 0, 100));
  mkdir((path() + "/self").c_str(), 0755);
  mkdir((path() + "/sys").c_str(), 0755);
  mkdir((path() + "/77").c_str(), 0755);  // a process gone before its stat was read
  std::vector<ProcUsage> out{ProcUsage{}};  // stale content is dropped
  ASSERT_TRUE(scan_proc_usage(out, path()).ok());
  std::sort(out.begin(), out.end(), [](const ProcUsage& a, const ProcUsage& b) { return a.pid < b.pid; });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].pid, 1);
  EXPECT_EQ(out[1].pid, 10);
  EXPECT_EQ(out[1].rss_pages, 100u);
}

TEST_F(FakeProc, ScanOfAMissingRootFails) {
  std::vector<ProcUsage> out;
  EXPECT_FALSE(scan_proc_usage(out, path() + "/nope").ok());
}

TEST_F(FakeProc, TreesSumTheRootAndEveryDescendant) {
  // 1 -> tend(10) -> web(100) -> worker(101) -> helper(103)
  //                           -> worker(102)
  //               -> db(200)
  // 1 -> other(300): not below tend
  add(1, k_init_stat);
  add(10, stat_line(10, 1, "tend", 1, 1, 0, 0, 500));
  add(100, stat_line(100, 10, "web", 10, 5, 3, 2, 1000));
  add(101, stat_line(101, 100, "worker", 100, 0, 0, 0, 2000));
  add(102, stat_line(102, 100, "worker", 200, 0, 0, 0, 3000));
  add(103, stat_line(103, 101, "helper (x)", 1, 1, 0, 0, 7));
  add(200, stat_line(200, 10, "db", 4, 4, 0, 0, 50));
  add(300, stat_line(300, 1, "other", 9, 9, 0, 0, 9));
  std::vector<ProcUsage> snap;
  ASSERT_TRUE(scan_proc_usage(snap, path()).ok());
  ProcForest forest(snap);
  TreeUsage web = forest.tree(100);
  EXPECT_EQ(web.processes, 4u);
  EXPECT_EQ(web.cpu_ticks, 20u + 100u + 200u + 2u);
  EXPECT_EQ(web.rss_pages, 1000u + 2000u + 3000u + 7u);
  TreeUsage db = forest.tree(200);
  EXPECT_EQ(db.processes, 1u);
  EXPECT_EQ(db.rss_pages, 50u);
  EXPECT_EQ(forest.tree(101).processes, 2u);  // an inner root counts on its own too
  EXPECT_EQ(forest.tree(999).processes, 0u);  // not in the snapshot
}

TEST_F(FakeProc, AScannerKeepsWhatIsWantedAndSkipsTheRest) {
  add(1, k_init_stat);
  add(10, stat_line(10, 1, "tend", 1, 1, 0, 0, 500));
  add(100, stat_line(100, 10, "web", 10, 0, 0, 0, 1000));
  add(300, stat_line(300, 1, "other", 9, 9, 0, 0, 9));
  ProcScanner scanner(path());
  std::vector<ProcUsage> snap;
  ASSERT_TRUE(scanner.scan(snap).ok());
  EXPECT_EQ(snap.size(), 4u);
  EXPECT_EQ(scanner.skipped(), 0u);
  auto wanted = [](pid_t pid) { return pid == 10 || pid == 100; };
  scanner.settle(snap, wanted);
  EXPECT_EQ(scanner.open_files(), 2u);
  // The kept files are read again (new values), the others skipped.
  add(100, stat_line(100, 10, "web", 50, 0, 0, 0, 2000));
  ASSERT_TRUE(scanner.scan(snap).ok());
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(scanner.skipped(), 2u);
  ProcForest forest(snap);
  EXPECT_EQ(forest.tree(100).rss_pages, 2000u);
  EXPECT_EQ(forest.tree(100).cpu_ticks, 50u);
  scanner.settle(snap, wanted);
  // A process that is gone is forgotten; a newcomer is read.
  std::filesystem::remove_all(path() + "/100");
  add(101, stat_line(101, 10, "new", 1, 0, 0, 0, 1));
  ASSERT_TRUE(scanner.scan(snap).ok());
  std::vector<pid_t> pids;
  for (const ProcUsage& u : snap) {
    pids.push_back(u.pid);
  }
  std::sort(pids.begin(), pids.end());
  EXPECT_EQ(pids, (std::vector<pid_t>{10, 101}));
  scanner.settle(snap, wanted);
  EXPECT_EQ(scanner.open_files(), 1u);  // 10 only: 101 is not wanted
}

TEST_F(FakeProc, ASkippedPidWithANewProcEntryIsReadAgain) {
  add(300, stat_line(300, 1, "other", 9, 9, 0, 0, 9));
  ProcScanner scanner(path());
  std::vector<ProcUsage> snap;
  ASSERT_TRUE(scanner.scan(snap).ok());
  scanner.settle(snap, [](pid_t) { return false; });
  ASSERT_TRUE(scanner.scan(snap).ok());
  EXPECT_TRUE(snap.empty());
  // The pid now names another process (a program tend started: an unknown
  // root makes the scan list /proc): its /proc directory is a new inode.
  std::filesystem::rename(path() + "/300", path() + "/old");
  add(300, stat_line(300, 10, "reused", 1, 1, 0, 0, 1));
  ASSERT_TRUE(scanner.scan(snap, {300}).ok());
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].ppid, 10);
}

TEST_F(FakeProc, EverySkippedProcessIsReadAgainNowAndThen) {
  add(300, stat_line(300, 1, "other", 9, 9, 0, 0, 9));
  ProcScanner scanner(path());
  std::vector<ProcUsage> snap;
  int reads = 0;
  for (int i = 0; i < 2 * ProcScanner::k_recheck_every; ++i) {
    ASSERT_TRUE(scanner.scan(snap).ok());
    reads += static_cast<int>(snap.size());
    scanner.settle(snap, [](pid_t) { return false; });
  }
  EXPECT_EQ(reads, 3);  // the first scan and two rechecks
}

// A fake /proc for the gated reads: tend (10, no schedstat: read in full
// every time, as tend always runs while scraping) and a program web (100)
// with schedstat and statm; /proc/loadavg's last pid is 500.
class GatedProc : public FakeProc {
 protected:
  void SetUp() override {
    FakeProc::SetUp();
    m_scanner.emplace(m_dir, 10);
    add(10, stat_line(10, 1, "tend", 1, 1, 0, 0, 500));
    proc(100, 10, 7, 1000, 5000);
    last_pid(500);
  }
  // A process with the given stat fields, run time (schedstat) and rss (statm).
  void proc(pid_t pid, pid_t ppid, int utime, int rss, uint64_t run_ns, int threads = 1,
            const char* state = "S") {
    std::string line = stat_line(pid, ppid, "p", utime, 0, 0, 0, rss);
    line.replace(line.find(") S "), 4, std::string(") ") + state + " ");
    line.replace(line.find(" 20 0 1 0 "), 10, " 20 0 " + std::to_string(threads) + " 0 ");
    add(pid, line);
    ran(pid, run_ns);
    statm(pid, rss);
  }
  void ran(pid_t pid, uint64_t run_ns) { write(std::to_string(pid) + "/schedstat", std::to_string(run_ns) + " 42 7\n"); }
  void statm(pid_t pid, int rss) { write(std::to_string(pid) + "/statm", "9000 " + std::to_string(rss) + " 300 2 0 800 0\n"); }
  void last_pid(int pid) { write("loadavg", "0.10 0.20 0.30 2/140 " + std::to_string(pid) + "\n"); }
  // One scrape as MetricsSource makes it: scan, then keep tend and the trees of `roots`.
  ProcForest& scrape(const std::vector<pid_t>& roots) {
    EXPECT_TRUE(m_scanner->scan(m_snap, roots).ok());
    m_forest.emplace(m_snap);
    for (pid_t r : roots) {
      m_forest->tree(r);
    }
    m_scanner->settle(m_snap, [this](pid_t pid) { return pid == 10 || m_forest->walked(pid); });
    return *m_forest;
  }
  std::optional<ProcScanner> m_scanner;
  std::vector<ProcUsage> m_snap;
  std::optional<ProcForest> m_forest;
};

TEST_F(GatedProc, ASleepingProcessHasItsMemoryReadButNotItsStat) {
  scrape({100});  // lists /proc, then opens web's files
  EXPECT_EQ(scrape({100}).tree(100).cpu_ticks, 7u);  // the first read through them is in full
  // Stat shows other times (it is not read: the kernel could not have
  // changed them), statm another rss.
  proc(100, 10, 99, 2000, 5000);
  statm(100, 3000);
  TreeUsage web = scrape({100}).tree(100);
  EXPECT_EQ(web.cpu_ticks, 7u);
  EXPECT_EQ(web.rss_pages, 3000u);
  EXPECT_EQ(m_scanner->stat_reads(), 1u);  // tend's
  EXPECT_FALSE(m_scanner->listed());       // only tend ran
}

TEST_F(GatedProc, AProcessThatRanIsReadInFull) {
  scrape({100});
  scrape({100});
  proc(100, 10, 99, 2000, 6000);
  TreeUsage web = scrape({100}).tree(100);
  EXPECT_EQ(web.cpu_ticks, 99u);
  EXPECT_EQ(web.rss_pages, 2000u);
  EXPECT_EQ(m_scanner->stat_reads(), 2u);
  EXPECT_FALSE(m_scanner->listed());  // it ran, but no pid was given out
}

TEST_F(GatedProc, AMultiThreadedProcessIsReadInFullEveryTime) {
  proc(100, 10, 7, 1000, 5000, 4);
  scrape({100});
  scrape({100});
  for (int utime : {20, 30}) {
    proc(100, 10, utime, 1000, 5000, 4);  // another thread ran: the main one's time is the same
    EXPECT_EQ(scrape({100}).tree(100).cpu_ticks, static_cast<uint64_t>(utime));
  }
}

TEST_F(GatedProc, ChildrenOfAProcessThatExitedAreReadAgain) {
  // web (100) -> worker (101) -> helper (102); all asleep.
  proc(101, 100, 3, 10, 700);
  proc(102, 101, 4, 20, 800);
  scrape({100});
  scrape({100});
  EXPECT_EQ(scrape({100}).tree(100).processes, 3u);
  // The worker exits and is a zombie: the helper goes to init (ppid 1)
  // without running.
  proc(101, 100, 3, 0, 900, 1, "Z");
  proc(102, 1, 4, 20, 800);
  ProcForest& f = scrape({100});
  EXPECT_EQ(f.tree(100).processes, 2u);
  EXPECT_EQ(f.tree(100).cpu_ticks, 7u + 3u);
  // The web process is gone (its files fail to read: here, an empty
  // schedstat): the worker, still a zombie, now has init as its parent. It
  // did not run, yet it is read again.
  write("100/schedstat", "");
  proc(101, 1, 3, 0, 900, 1, "Z");
  ProcForest& g = scrape({});
  EXPECT_EQ(g.tree(100).processes, 0u);
  auto worker = std::find_if(m_snap.begin(), m_snap.end(), [](const ProcUsage& u) { return u.pid == 101; });
  ASSERT_NE(worker, m_snap.end());
  EXPECT_EQ(worker->ppid, 1);
}

TEST_F(GatedProc, ChildrenOfAPidThatNamesAnotherProcessNowAreReadAgain) {
  proc(101, 100, 3, 10, 700);
  scrape({100});
  scrape({100});
  // web ended and its pid went to a newcomer (a new /proc inode) before
  // the next listing; the worker, asleep, went to init.
  std::filesystem::rename(path() + "/100", path() + "/old");
  proc(100, 10, 1, 1, 100);
  proc(101, 1, 3, 10, 700);
  last_pid(600);
  ProcForest& f = scrape({100, 200});  // a root not known yet: the scan lists /proc
  EXPECT_TRUE(m_scanner->listed());
  EXPECT_EQ(f.tree(100).processes, 1u);
  EXPECT_EQ(f.tree(100).cpu_ticks, 1u);
}

TEST_F(GatedProc, ANewChildIsFoundWhenAPidWasGivenOut) {
  scrape({100});
  scrape({100});
  proc(101, 100, 3, 10, 700);  // web forked (so it ran) ...
  ran(100, 5100);
  EXPECT_EQ(scrape({100}).tree(100).processes, 1u);  // ... but no pid was given out: not listed
  last_pid(501);
  ran(100, 5200);
  EXPECT_EQ(scrape({100}).tree(100).processes, 2u);
  EXPECT_TRUE(m_scanner->listed());
  EXPECT_EQ(scrape({100}).tree(100).processes, 2u);  // then kept
  EXPECT_FALSE(m_scanner->listed());
}

TEST_F(GatedProc, ANewRootIsFoundAlthoughNoProgramRan) {
  scrape({100});
  scrape({100});
  proc(200, 10, 1, 1, 100);  // tend started another program
  last_pid(502);
  EXPECT_EQ(scrape({100, 200}).tree(200).processes, 1u);
  EXPECT_TRUE(m_scanner->listed());
}

TEST_F(GatedProc, EveryKeptProcessIsReadInFullNowAndThen) {
  scrape({100});
  size_t full = 0;
  for (int i = 1; i < 2 * ProcScanner::k_recheck_every; ++i) {
    scrape({100});
    full += m_scanner->stat_reads() - 1;  // web's, tend's aside
  }
  EXPECT_EQ(full, 3u);  // after being kept, and at two rechecks
}

TEST(ProcScannerLive, AKeptChildIsReadUntilItIsReaped) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  ProcScanner scanner;
  std::vector<ProcUsage> snap;
  ASSERT_TRUE(scanner.scan(snap).ok());
  scanner.settle(snap, [child](pid_t pid) { return pid == child || pid == getpid(); });
  EXPECT_EQ(scanner.open_files(), 2u);
  ASSERT_TRUE(scanner.scan(snap).ok());
  ProcForest forest(snap);
  EXPECT_EQ(forest.tree(child).processes, 1u);
  EXPECT_GE(forest.tree(getpid()).processes, 2u);
  if (scanner.listed()) {
    EXPECT_GT(scanner.skipped(), 0u);  // whatever else runs on this host
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(scanner.scan(snap).ok());
  for (const ProcUsage& u : snap) {
    EXPECT_NE(u.pid, child);
  }
}

TEST(ProcForestTest, ACycleFromATornSnapshotEnds) {
  std::vector<ProcUsage> snap{{5, 6, 1, 1}, {6, 5, 1, 1}};
  ProcForest forest(snap);
  TreeUsage t = forest.tree(5);
  EXPECT_LE(t.processes, 2u);
  EXPECT_GE(t.processes, 1u);
}

TEST(ProcUsageLive, ThisProcessIsInTheRealProc) {
  std::vector<ProcUsage> snap;
  ASSERT_TRUE(scan_proc_usage(snap).ok());
  auto me = std::find_if(snap.begin(), snap.end(), [](const ProcUsage& u) { return u.pid == getpid(); });
  ASSERT_NE(me, snap.end());
  EXPECT_EQ(me->ppid, getppid());
  EXPECT_GT(me->rss_pages, 0u);
}

}  // namespace
}  // namespace tend
