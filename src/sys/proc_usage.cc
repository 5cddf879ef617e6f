#include "sys/proc_usage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>

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
  // utime..cstime 14..17, rss 24.
  std::string_view rest = text.substr(close + 1);
  uint64_t cpu = 0;
  for (int field = 3; field <= 24; ++field) {
    std::string_view f = next_field(rest);
    if (f.empty()) {
      return make_error(fmt::format("unable to parse /proc stat: field {} missing", field));
    }
    if (field == 4) {
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

Status ProcScanner::scan(std::vector<ProcUsage>& out) {
  out.clear();
  m_skipped = 0;
  DIR* dir = opendir(m_root.c_str());
  if (dir == nullptr) {
    return make_error(fmt::format("unable to list {}: {}", m_root, strerror(errno)));
  }
  bool recheck = ++m_scans % k_recheck_every == 0;
  m_keep_below = keep_below();
  int dfd = dirfd(dir);
  char buf[1024];
  while (dirent* d = readdir(dir)) {
    pid_t pid = 0;
    if (!pid_name(d->d_name, &pid)) {
      continue;
    }
    Entry& e = m_entries[pid];
    e.seen = true;
    if (e.fd) {
      ssize_t n = read_stat(e.fd.get(), buf, sizeof buf, false);
      if (n > 0 && e.ino == d->d_ino && add_parsed(out, buf, n)) {
        continue;
      }
      e.fd.close();  // gone, or its pid is someone else's now: read afresh
    } else if (!e.wanted && e.ino == d->d_ino && !recheck) {
      ++m_skipped;
      continue;
    }
    // Read and closed at once: on a host with many processes, keeping
    // every one open until settle() could exhaust the descriptors.
    ssize_t n = 0;
    Fd fresh = open_stat(dfd, pid, buf, sizeof buf, &n);
    e.ino = d->d_ino;
    e.wanted = false;  // settle() decides again
    add_parsed(out, buf, n);
  }
  closedir(dir);
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
    e.fd.close();
    return;
  }
  if (!e.fd) {
    e.fd = Fd(open(fmt::format("{}/{}/stat", m_root, pid).c_str(), O_RDONLY | O_CLOEXEC));
  }
  if (e.fd && static_cast<uint64_t>(e.fd.get()) >= m_keep_below) {
    e.fd.close();  // read afresh at every scan instead
  }
}

void ProcScanner::forget_unseen() {
  for (auto it = m_entries.begin(); it != m_entries.end();) {
    if (!it->second.seen) {
      it = m_entries.erase(it);
    } else {
      it->second.seen = false;
      ++it;
    }
  }
}

size_t ProcScanner::open_files() const {
  size_t n = 0;
  for (const auto& [pid, e] : m_entries) {
    n += e.fd ? 1 : 0;
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
