// What processes cost right now, read from /proc for /metrics: CPU time and
// resident memory of whole process trees (a program and every descendant).
//
// Cost contract: one scan reads /proc once (one getdents walk of the /proc
// directory, then one read of <pid>/stat per process through openat on the
// directory's fd) and sums every requested tree in one pass over a child
// index: O(processes on the host), whatever the number of trees. Nothing is
// cached between scans; a scan is a snapshot, racy by nature (a process that
// exits mid-scan is simply missing).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "util/fd.h"
#include "util/result.h"

namespace tend {

// The fields of one /proc/<pid>/stat line that usage needs.
struct ProcUsage {
  pid_t pid = 0;
  pid_t ppid = 0;
  // utime + stime + cutime + cstime, in clock ticks: the process's own CPU
  // (all its threads) and that of the children it has waited for, so that a
  // tree's total does not drop when a descendant exits and is reaped inside it.
  uint64_t cpu_ticks = 0;
  uint64_t rss_pages = 0;
};

// Parses the text of /proc/<pid>/stat (comm may hold spaces and parentheses:
// fields are counted after the last ')'). Error on a malformed line.
Result<ProcUsage> parse_proc_usage(std::string_view stat_text);

// Every process under proc_root; those that vanish while being read are
// skipped. Error only when proc_root cannot be opened. `out` is cleared and
// reused (its capacity survives between scans).
Status scan_proc_usage(std::vector<ProcUsage>& out, const std::string& proc_root = "/proc");

// Repeated scans for /metrics, at a fraction of scan_proc_usage's cost. Most
// of that cost is the kernel opening /proc/<pid>/stat (a path walk and a new
// file per process, then its release); reading an open one again (pread) is
// less than half of it. So a scanner keeps the stat files of the processes
// the caller cares about open between scans (settle() says which), and skips
// the others altogether: a process outside every tree of interest cannot
// enter one (a process's parent changes only when its parent dies, and then
// it goes to a subreaper above it), so it is read once and then only
// recognised in the /proc listing by pid and inode number (a reused pid gets
// a new /proc inode). To be safe against that assumption, every
// k_recheck_every-th scan reads them all again.
//
// An open stat file is bound to its process: once the process is gone, a
// read fails instead of showing a newcomer with the same pid. The files are
// opened close-on-exec and only below half of RLIMIT_NOFILE's soft value
// (above it the process is read as by scan_proc_usage, every time), so the
// cache never takes descriptors that spawning needs.
class ProcScanner {
 public:
  static constexpr int k_recheck_every = 32;

  explicit ProcScanner(std::string proc_root = "/proc") : m_root(std::move(proc_root)) {}

  // Every process listed now but those known to be of no interest. Error
  // only when proc_root cannot be listed.
  Status scan(std::vector<ProcUsage>& out);
  // After scan(): `wanted(pid)` says whether a process of the last scan will
  // be asked about again. Their stat files stay open; the others are
  // skipped by the next scans; what was not listed in the last scan is
  // forgotten.
  template <typename Wanted>
  void settle(const std::vector<ProcUsage>& last, Wanted wanted) {
    for (const ProcUsage& u : last) {
      settle_one(u.pid, wanted(u.pid));
    }
    forget_unseen();
  }
  size_t open_files() const;  // stat files kept open
  size_t skipped() const { return m_skipped; }  // processes the last scan did not read

 private:
  struct Entry {
    Fd fd;               // the open stat file, if kept
    ino_t ino = 0;       // of /proc/<pid> when last read
    bool wanted = false;  // settle() wants it: never skipped
    bool seen = false;    // listed by the current scan
  };
  void settle_one(pid_t pid, bool wanted);
  void forget_unseen();

  std::string m_root;
  std::unordered_map<pid_t, Entry> m_entries;
  int m_scans = 0;
  size_t m_skipped = 0;
  uint64_t m_keep_below = 0;  // fds from here up are not kept (half the limit)
};

// The sum over a process and all its descendants.
struct TreeUsage {
  uint64_t cpu_ticks = 0;
  uint64_t rss_pages = 0;
  size_t processes = 0;  // 0: the root was not in the snapshot
};

// Sums trees in one snapshot: for each root, the root and every process
// below it by ppid. Roots in each other's trees are summed independently
// (the inner one counts in both). Cycles (a torn snapshot) are cut.
class ProcForest {
 public:
  explicit ProcForest(const std::vector<ProcUsage>& snapshot);
  TreeUsage tree(pid_t root);
  // Whether tree() has walked through `pid` since construction.
  bool walked(pid_t pid) const;

 private:
  const std::vector<ProcUsage>& m_procs;
  std::unordered_map<pid_t, uint32_t> m_index;  // pid -> position in m_procs
  // Children of m_procs[i]: m_child_list[m_child_begin[i] .. m_child_begin[i+1]).
  std::vector<uint32_t> m_child_begin;
  std::vector<uint32_t> m_child_list;
  std::vector<char> m_walked;    // by position
  std::vector<uint32_t> m_stack;  // tree()'s, reused
};

// Clock ticks per second (sysconf(_SC_CLK_TCK)) and the page size.
long clock_ticks_per_second();
long page_size_bytes();

}  // namespace tend
