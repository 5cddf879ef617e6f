// What processes cost right now, read from /proc for /metrics: CPU time and
// resident memory of whole process trees (a program and every descendant).
//
// Cost contract: scan_proc_usage reads /proc once (one getdents walk of the
// /proc directory, then one read of <pid>/stat per process through openat on
// the directory's fd); ProcScanner does less for repeated scans (below). A
// ProcForest sums every requested tree in one pass over a child index:
// O(processes in the snapshot), whatever the number of trees. A scan is a
// snapshot, racy by nature (a process that exits mid-scan is simply missing).
#pragma once

#include <sys/types.h>
#include <unistd.h>

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
  char state = 0;        // R, S, Z...
  uint32_t threads = 0;  // num_threads
};

// Parses the text of /proc/<pid>/stat (comm may hold spaces and parentheses:
// fields are counted after the last ')'). Error on a malformed line.
Result<ProcUsage> parse_proc_usage(std::string_view stat_text);

// Every process under proc_root; those that vanish while being read are
// skipped. Error only when proc_root cannot be opened. `out` is cleared and
// reused (its capacity survives between scans).
Status scan_proc_usage(std::vector<ProcUsage>& out, const std::string& proc_root = "/proc");

// Repeated scans for /metrics, at a fraction of scan_proc_usage's cost.
//
// Kept files. Most of a scan's cost is the kernel: opening /proc/<pid>/stat
// (a path walk, a new file, its release) and then formatting its 52 fields.
// A scanner keeps the files of the processes the caller cares about open
// between scans (settle() says which) and reads them again with pread. A
// process outside every tree of interest cannot enter one (a process's
// parent changes only when its parent dies, and then it goes to a subreaper
// above it), so it is read once and then only recognised in the /proc
// listing by pid and inode number (a reused pid gets a new /proc inode).
//
// Gated stat reads. Of a kept process, stat is read again only when it may
// have changed. The gate is /proc/<pid>/schedstat, whose first field is the
// main thread's run time in ns: reading it costs about a quarter of stat
// (whose 52 fields the kernel formats at every read). When it is unchanged
// and the process had one thread at its last stat read, nothing else in the
// fields used here can have changed:
// - utime + stime: the kernel scales them so that their sum is the thread
//   group's run time (cputime_adjust), and with one thread that is the main
//   thread's run time (which could only have made a new thread by running);
// - cutime, cstime: they grow when the process reaps a child, by running;
// - ppid: it changes when the parent exits. Every process whose parent is
//   gone or a zombie is read in full (the parent had to run to exit, so its
//   own stat was read again and shows it);
// - rss can change without the process running (reclaim, a vfork child,
//   another process writing its memory): /proc/<pid>/statm is read at
//   every scan. Its second field is the exact resident size; stat's rss is
//   the kernel's estimate (per-CPU counters not summed, off by up to a few
//   hundred KiB), so a kept process's rss always comes from statm.
// A multi-threaded process, or one whose schedstat cannot be read (or shows
// 0, a kernel without CONFIG_SCHED_INFO), is read in full every scan.
//
// Skipped listings. New processes in a tree are made by a process of the
// tree, which then ran, or by tend (the roots, which the caller names). So
// the /proc listing is skipped when no kept process but tend ran, no root
// is new, or when the last pid the kernel gave out (/proc/loadavg's 5th
// field, in tend's pid namespace) is the same as at the last listing: no
// process was made at all. A process that ended is seen by its kept file,
// which fails to read once the process is gone (a newcomer with the same
// pid is a new file).
//
// To be safe against these assumptions (and the pid counter wrapping
// around to the same value), every k_recheck_every-th scan lists /proc and
// reads every process in full.
//
// The files are opened close-on-exec and only below half of RLIMIT_NOFILE's
// soft value (above it the process is read as by scan_proc_usage, every
// time), so the cache never takes descriptors that spawning needs.
class ProcScanner {
 public:
  static constexpr int k_recheck_every = 32;

  // `self`: tend, whose own running says nothing about new processes in
  // the trees (the roots do).
  explicit ProcScanner(std::string proc_root = "/proc", pid_t self = getpid())
      : m_root(std::move(proc_root)), m_self(self) {}

  // Every kept process and every process listed now but those known to be
  // of no interest. `roots` are the pids the caller will ask tree() about:
  // one not known yet makes the scan list /proc. Error only when proc_root
  // has to be listed and cannot be.
  Status scan(std::vector<ProcUsage>& out, const std::vector<pid_t>& roots = {});
  // After scan(): `wanted(pid)` says whether a process of the last scan will
  // be asked about again. Their files stay open; the others are skipped by
  // the next scans.
  template <typename Wanted>
  void settle(const std::vector<ProcUsage>& last, Wanted wanted) {
    for (const ProcUsage& u : last) {
      settle_one(u.pid, wanted(u.pid));
    }
  }
  size_t open_files() const;  // processes whose files are kept open
  size_t skipped() const { return m_skipped; }  // processes the last scan did not read
  size_t stat_reads() const { return m_stat_reads; }  // stat files the last scan read
  bool listed() const { return m_listed; }  // whether the last scan listed /proc

 private:
  struct Entry {
    Fd stat, schedstat, statm;  // kept open while wanted
    ino_t ino = 0;              // of /proc/<pid> when last read
    ProcUsage last;             // at the last read
    uint64_t run_ns = 0;        // schedstat's run time just before the last stat read; 0: unknown
    bool wanted = false;        // settle() wants it: never skipped
    bool read = false;          // read by the current scan
    bool stat_read = false;     // ... in full
    bool seen = false;          // listed by the current scan
  };
  enum class Kept { Gone, Stat, Statm };
  Kept read_kept(Entry& e, char* buf, size_t size);
  bool read_fresh(int dfd, pid_t pid, Entry& e, char* buf, size_t size);
  // Lists /proc; adds to `ended` the pids that now name another process.
  Status list(bool recheck, char* buf, size_t size, std::vector<pid_t>* ended);
  bool last_pid_changed();
  void settle_one(pid_t pid, bool wanted);

  std::string m_root;
  pid_t m_self;
  std::unordered_map<pid_t, Entry> m_entries;
  int m_scans = 0;
  int64_t m_last_pid = -1;  // /proc/loadavg's at the last listing
  size_t m_skipped = 0;
  size_t m_stat_reads = 0;
  bool m_listed = false;
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
