#include "sys/proc_usage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <iterator>

#include <fmt/format.h>

#include "util/fd.h"

namespace tend {

namespace {

bool to_i64(std::string_view s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// The next space-separated field of `rest`, consumed.
std::string_view next_field(std::string_view& rest) {
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  size_t end = rest.find_first_of(" \n");
  std::string_view f = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return f;
}

// A /proc directory entry naming a process: digits only.
bool pid_name(const char* name, pid_t* out) {
  if (*name < '0' || *name > '9') {
    return false;
  }
  int64_t v = 0;
  std::string_view s(name);
  if (!to_i64(s, &v) || v <= 0) {
    return false;
  }
  *out = static_cast<pid_t>(v);
  return true;
}

}  // namespace

Result<ProcUsage> parse_proc_usage(std::string_view text) {
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return make_error("unable to parse /proc stat: no (comm)");
  }
  ProcUsage u;
  int64_t pid = 0;
  std::string_view head = text.substr(0, open);
  while (!head.empty() && head.back() == ' ') {
    head.remove_suffix(1);
  }
  if (!to_i64(head, &pid)) {
    return make_error("unable to parse /proc stat: bad pid");
  }
  u.pid = static_cast<pid_t>(pid);
  // After comm, proc(5) numbers the fields from 3 (state): ppid is 4,
  // utime..cstime 14..17, num_threads 20, rss 24.
  std::string_view rest = text.substr(close + 1);
  uint64_t cpu = 0;
  for (int field = 3; field <= 24; ++field) {
    std::string_view f = next_field(rest);
    if (f.empty()) {
      return make_error(fmt::format("unable to parse /proc stat: field {} missing", field));
    }
    if (field == 3) {
      u.state = f.front();
    } else if (field == 4) {
      int64_t ppid = 0;
      if (!to_i64(f, &ppid)) {
        return make_error("unable to parse /proc stat: bad ppid");
      }
      u.ppid = static_cast<pid_t>(ppid);
    } else if (field >= 14 && field <= 17) {
      // cutime and cstime are signed in the kernel's format; never negative in practice.
      int64_t v = 0;
      if (!to_i64(f, &v)) {
        return make_error(fmt::format("unable to parse /proc stat: bad field {}", field));
      }
      cpu += v > 0 ? static_cast<uint64_t>(v) : 0;
    } else if (field == 20) {
      int64_t v = 0;
      if (!to_i64(f, &v) || v < 0) {
        return make_error("unable to parse /proc stat: bad num_threads");
      }
      u.threads = static_cast<uint32_t>(v);
    } else if (field == 24) {
      int64_t v = 0;
      if (!to_i64(f, &v)) {
        return make_error("unable to parse /proc stat: bad rss");
      }
      u.rss_pages = v > 0 ? static_cast<uint64_t>(v) : 0;
    }
  }
  u.cpu_ticks = cpu;
  return u;
}

namespace {

// Reads one stat file whole into `buf`: its length, or -1.
ssize_t read_stat(int fd, char* buf, size_t size, bool at_start) {
  ssize_t n;
  do {
    n = at_start ? read(fd, buf, size) : pread(fd, buf, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

// Opens <pid>/stat under `dfd` and reads it: the fd (invalid when the
// process is gone) and the length read.
Fd open_stat(int dfd, pid_t pid, char* buf, size_t size, ssize_t* n) {
  char path[32];
  auto r = fmt::format_to_n(path, sizeof path - 1, "{}/stat", pid);
  *r.out = '\0';
  Fd fd(openat(dfd, path, O_RDONLY | O_CLOEXEC));
  *n = fd ? read_stat(fd.get(), buf, size, true) : -1;
  return fd;
}

bool add_parsed(std::vector<ProcUsage>& out, const char* buf, ssize_t n) {
  if (n <= 0) {
    return false;
  }
  Result<ProcUsage> u = parse_proc_usage(std::string_view(buf, static_cast<size_t>(n)));
  if (!u.ok()) {
    return false;
  }
  out.push_back(*u);
  return true;
}

// Half of RLIMIT_NOFILE's soft value: kept stat files stay below it.
uint64_t keep_below() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
    return UINT64_MAX;
  }
  return static_cast<uint64_t>(rl.rlim_cur) / 2;
}

}  // namespace

Status scan_proc_usage(std::vector<ProcUsage>& out, const std::string& proc_root) {
  out.clear();
  DIR* dir = opendir(proc_root.c_str());
  if (dir == nullptr) {
    return make_error(fmt::format("unable to list {}: {}", proc_root, strerror(errno)));
  }
  int dfd = dirfd(dir);
  char buf[1024];  // a stat line is well under 1 KiB (comm is at most 64 bytes)
  while (dirent* e = readdir(dir)) {
    pid_t pid = 0;
    if (!pid_name(e->d_name, &pid)) {
      continue;
    }
    ssize_t n = 0;
    Fd fd = open_stat(dfd, pid, buf, sizeof buf, &n);
    add_parsed(out, buf, n);
  }
  closedir(dir);
  return ok_status();
}

namespace {

// The index-th (from 0) space-separated field of buf[0..n) as a number; -1
// when it is not one (or n <= 0: the read failed).
int64_t nth_number(const char* buf, ssize_t n, int index) {
  std::string_view rest(buf, n > 0 ? static_cast<size_t>(n) : 0);
  std::string_view f;
  for (int i = 0; i <= index; ++i) {
    f = next_field(rest);
  }
  int64_t v = 0;
  return to_i64(f, &v) && v >= 0 ? v : -1;
}

}  // namespace

ProcScanner::Kept ProcScanner::read_kept(Entry& e, char* buf, size_t size) {
  int64_t run = 0;
  if (e.schedstat) {
    run = nth_number(buf, read_stat(e.schedstat.get(), buf, size, false), 0);
    if (run < 0) {
      return Kept::Gone;
    }
  }
  Kept k = Kept::Statm;
  if (run == 0 || static_cast<uint64_t>(run) != e.run_ns || e.last.threads != 1 || !e.statm) {
    ssize_t n = read_stat(e.stat.get(), buf, size, false);
    Result<ProcUsage> u = n > 0 ? parse_proc_usage(std::string_view(buf, static_cast<size_t>(n)))
                                : Result<ProcUsage>(make_error("gone"));
    if (!u.ok()) {
      return Kept::Gone;
    }
    e.last = *u;
    // Read before stat: a run in between makes the next scan read stat again.
    e.run_ns = static_cast<uint64_t>(run);
    k = Kept::Stat;
  }
  if (e.statm) {
    // Always, even after stat: stat's rss is the kernel's quick estimate
    // (its per-CPU counters unsummed), statm's the exact sum, and a gauge
    // should not move because of the file it came from.
    int64_t resident = nth_number(buf, read_stat(e.statm.get(), buf, size, false), 1);
    if (resident < 0) {
      return Kept::Gone;
    }
    e.last.rss_pages = static_cast<uint64_t>(resident);
  }
  return k;
}

bool ProcScanner::read_fresh(int dfd, pid_t pid, Entry& e, char* buf, size_t size) {
  // Read and closed at once: on a host with many processes, keeping every
  // one open until settle() could exhaust the descriptors.
  ssize_t n = 0;
  Fd fresh = open_stat(dfd, pid, buf, size, &n);
  Result<ProcUsage> u = n > 0 ? parse_proc_usage(std::string_view(buf, static_cast<size_t>(n)))
                              : Result<ProcUsage>(make_error("gone"));
  ++m_stat_reads;
  e.read = e.stat_read = u.ok();
  if (e.read) {
    e.last = *u;
  }
  return e.read;
}

bool ProcScanner::last_pid_changed() {
  Fd fd(open((m_root + "/loadavg").c_str(), O_RDONLY | O_CLOEXEC));
  char buf[128];
  int64_t last = fd ? nth_number(buf, read_stat(fd.get(), buf, sizeof buf, true), 4) : -1;
  bool changed = last < 0 || last != m_last_pid;
  m_last_pid = last;
  return changed;
}

Status ProcScanner::list(bool recheck, char* buf, size_t size, std::vector<pid_t>* ended) {
  DIR* dir = opendir(m_root.c_str());
  if (dir == nullptr) {
    return make_error(fmt::format("unable to list {}: {}", m_root, strerror(errno)));
  }
  int dfd = dirfd(dir);
  while (dirent* d = readdir(dir)) {
    pid_t pid = 0;
    if (!pid_name(d->d_name, &pid)) {
      continue;
    }
    Entry& e = m_entries[pid];
    e.seen = true;
    if (e.ino == d->d_ino && (e.read || (!e.wanted && !recheck))) {
      m_skipped += e.read ? 0 : 1;  // read through its kept files, or of no interest
      continue;
    }
    // New, a reused pid, wanted without kept files, or a recheck.
    if (e.ino != 0 && e.ino != d->d_ino) {
      ended->push_back(pid);  // the process that had this pid is gone
    }
    e.stat.close();
    e.schedstat.close();
    e.statm.close();
    e.ino = d->d_ino;
    e.wanted = false;  // settle() decides again
    read_fresh(dfd, pid, e, buf, size);
  }
  closedir(dir);
  return ok_status();
}

Status ProcScanner::scan(std::vector<ProcUsage>& out, const std::vector<pid_t>& roots) {
  out.clear();
  m_skipped = 0;
  m_stat_reads = 0;
  bool recheck = ++m_scans % k_recheck_every == 0 || m_scans == 1;
  m_keep_below = keep_below();
  char buf[1024];  // a stat line is well under 1 KiB (comm is at most 64 bytes)
  // 1. The kept processes, through their files.
  bool ran = false;            // a kept process other than tend may have made one
  std::vector<pid_t> ended;    // gone or zombies: their children may have a new parent
  for (auto& [pid, e] : m_entries) {
    e.read = e.stat_read = e.seen = false;
    if (!e.stat) {
      continue;
    }
    if (recheck) {
      e.run_ns = 0;  // the gate opens
    }
    Kept k = read_kept(e, buf, sizeof buf);
    e.read = k != Kept::Gone;
    e.stat_read = k == Kept::Stat;
    m_stat_reads += e.stat_read ? 1 : 0;
    ran = ran || (k != Kept::Statm && pid != m_self);
  }
  for (pid_t root : roots) {
    auto it = m_entries.find(root);
    ran = ran || it == m_entries.end() || !it->second.read;
  }
  // 2. /proc, when a process may have been made (or a kept one has no files).
  bool wanted_unkept = false;
  for (const auto& [pid, e] : m_entries) {
    wanted_unkept = wanted_unkept || (e.wanted && !e.stat);
  }
  bool may_be_new = ran && last_pid_changed();
  m_listed = recheck || wanted_unkept || may_be_new;
  if (m_listed) {
    if (!ran) {
      last_pid_changed();  // the counter as of this listing
    }
    Status st = list(recheck, buf, sizeof buf, &ended);
    if (!st.ok()) {
      return st;
    }
  }
  // 3. Forget what is gone; read in full the children of what ended.
  for (auto it = m_entries.begin(); it != m_entries.end();) {
    const Entry& e = it->second;
    bool gone = m_listed ? !e.seen : (e.wanted && !e.read);
    if (gone || (e.read && (e.last.state == 'Z' || e.last.state == 'X'))) {
      ended.push_back(it->first);
    }
    it = gone ? m_entries.erase(it) : std::next(it);
  }
  std::sort(ended.begin(), ended.end());
  for (auto& [pid, e] : m_entries) {
    if (e.read && !e.stat_read && std::binary_search(ended.begin(), ended.end(), e.last.ppid)) {
      e.run_ns = 0;  // the gate opens for this read
      Kept k = read_kept(e, buf, sizeof buf);
      e.read = k == Kept::Stat;
      e.stat_read = e.read;
      ++m_stat_reads;
    }
  }
  for (const auto& [pid, e] : m_entries) {
    if (e.read) {
      out.push_back(e.last);
    }
  }
  return ok_status();
}

void ProcScanner::settle_one(pid_t pid, bool wanted) {
  auto it = m_entries.find(pid);
  if (it == m_entries.end()) {
    return;
  }
  Entry& e = it->second;
  e.wanted = wanted;
  if (!wanted) {
    e.stat.close();
    e.schedstat.close();
    e.statm.close();
    return;
  }
  if (e.stat) {
    return;
  }
  // A newcomer's stat was read just now (by the listing): schedstat, opened
  // after it, may be later than that read, so the first gated read re-reads.
  e.run_ns = 0;
  auto open_file = [&](const char* name) {
    Fd fd(open(fmt::format("{}/{}/{}", m_root, pid, name).c_str(), O_RDONLY | O_CLOEXEC));
    if (fd && static_cast<uint64_t>(fd.get()) >= m_keep_below) {
      fd.close();  // read afresh at every scan instead
    }
    return fd;
  };
  e.stat = open_file("stat");
  if (e.stat) {
    // Without these two, stat is read in full every scan.
    e.schedstat = open_file("schedstat");
    e.statm = open_file("statm");
  }
}

size_t ProcScanner::open_files() const {
  size_t n = 0;
  for (const auto& [pid, e] : m_entries) {
    n += e.stat ? 1 : 0;
  }
  return n;
}

ProcForest::ProcForest(const std::vector<ProcUsage>& snapshot) : m_procs(snapshot) {
  size_t n = snapshot.size();
  m_index.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    m_index.emplace(snapshot[i].pid, static_cast<uint32_t>(i));
  }
  // Counting sort of the children by parent position (CSR): two passes, no
  // per-node vectors.
  std::vector<uint32_t> parent(n, UINT32_MAX);
  m_child_begin.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    auto it = m_index.find(snapshot[i].ppid);
    if (it != m_index.end() && it->second != i) {
      parent[i] = it->second;
      ++m_child_begin[it->second + 1];
    }
  }
  for (size_t i = 0; i < n; ++i) {
    m_child_begin[i + 1] += m_child_begin[i];
  }
  m_child_list.resize(m_child_begin[n]);
  std::vector<uint32_t> fill(m_child_begin.begin(), m_child_begin.end() - 1);
  for (size_t i = 0; i < n; ++i) {
    if (parent[i] != UINT32_MAX) {
      m_child_list[fill[parent[i]]++] = static_cast<uint32_t>(i);
    }
  }
}

TreeUsage ProcForest::tree(pid_t root) {
  TreeUsage t;
  auto it = m_index.find(root);
  if (it == m_index.end()) {
    return t;
  }
  if (m_walked.empty()) {
    m_walked.assign(m_procs.size(), 0);
  }
  // Depth-first over the child index; a torn snapshot can hold a cycle, so
  // the walk stops after as many steps as there are processes.
  m_stack.clear();
  m_stack.push_back(it->second);
  size_t budget = m_procs.size();
  while (!m_stack.empty() && budget-- > 0) {
    uint32_t i = m_stack.back();
    m_stack.pop_back();
    m_walked[i] = 1;
    t.cpu_ticks += m_procs[i].cpu_ticks;
    t.rss_pages += m_procs[i].rss_pages;
    ++t.processes;
    for (uint32_t c = m_child_begin[i]; c < m_child_begin[i + 1]; ++c) {
      m_stack.push_back(m_child_list[c]);
    }
  }
  return t;
}

bool ProcForest::walked(pid_t pid) const {
  auto it = m_index.find(pid);
  return it != m_index.end() && !m_walked.empty() && m_walked[it->second] != 0;
}

long clock_ticks_per_second() {
  static const long ticks = [] {
    long v = sysconf(_SC_CLK_TCK);
    return v > 0 ? v : 100;
  }();
  return ticks;
}

long page_size_bytes() {
  static const long size = [] {
    long v = sysconf(_SC_PAGESIZE);
    return v > 0 ? v : 4096;
  }();
  return size;
}

}  // namespace tend
