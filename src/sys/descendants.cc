#include "sys/descendants.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <charconv>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace tend {

namespace {

bool parse_pid(std::string_view s, pid_t* out) {
  if (s.empty()) {
    return false;
  }
  long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) {
    return false;
  }
  *out = static_cast<pid_t>(v);
  return true;
}

// Reads a small /proc file whole. Returns 0, or the errno of a failed open or
// read; an empty file is a success with empty *out.
int read_proc_file(const std::string& path, std::string* out) {
  out->clear();
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  char buf[1024];
  int err = 0;
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0) {
      break;
    }
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return err;
}

// Reads a small /proc file in one go; /proc/<pid>/stat is well under 1 KiB.
bool read_small_file(const std::string& path, std::string* out) {
  return read_proc_file(path, out) == 0 && !out->empty();
}

// The threads field of a stat line (the 20th in proc(5)), or 0 if missing.
long stat_num_threads(std::string_view text) {
  size_t close_paren = text.rfind(')');
  if (close_paren == std::string_view::npos) {
    return 0;
  }
  std::string_view rest = text.substr(close_paren + 1);
  // Fields after the comm: state is the first, num_threads the eighteenth.
  for (int i = 0; i < 18; ++i) {
    while (!rest.empty() && rest.front() == ' ') {
      rest.remove_prefix(1);
    }
    size_t end = rest.find(' ');
    std::string_view f = rest.substr(0, end);
    if (i == 17) {
      long v = 0;
      auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      return ec == std::errc() ? v : 0;
    }
    if (end == std::string_view::npos) {
      return 0;
    }
    rest.remove_prefix(end);
  }
  return 0;
}

// Appends the pids in a children file ("12 34 ") to *out.
void parse_children(std::string_view text, std::vector<pid_t>* out) {
  while (!text.empty()) {
    size_t end = text.find_first_of(" \n");
    pid_t pid = 0;
    if (parse_pid(text.substr(0, end), &pid) && pid != 0) {
      out->push_back(pid);
    }
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
}

// The children of every thread of pid, from /proc/<pid>/task/<tid>/children.
// A child is listed under the thread that forked it, so a multi-threaded
// process needs every task's file; threads is the stat's count (0 = unknown),
// and with exactly one the task directory need not be listed. Returns the
// errno of the main thread's children file, 0 if it was read (ENOENT: the
// process is gone, or the kernel lacks CONFIG_PROC_CHILDREN); the other
// threads' children are collected either way, and threads exiting meanwhile
// are skipped.
int read_children(const std::string& proc_root, pid_t pid, long threads, std::string* buf, std::vector<pid_t>* out) {
  out->clear();
  int err = read_proc_file(fmt::format("{}/{}/task/{}/children", proc_root, pid, pid), buf);
  if (err == 0) {
    parse_children(*buf, out);
  }
  if (threads == 1) {
    return err;
  }
  std::string task_dir = fmt::format("{}/{}/task", proc_root, pid);
  DIR* dir = opendir(task_dir.c_str());
  if (dir == nullptr) {
    return err;  // exited meanwhile
  }
  while (dirent* d = readdir(dir)) {
    pid_t tid = 0;
    if (!parse_pid(d->d_name, &tid) || tid == 0 || tid == pid) {
      continue;
    }
    if (read_proc_file(fmt::format("{}/{}/children", task_dir, d->d_name), buf) == 0) {
      parse_children(*buf, out);
    }
  }
  closedir(dir);
  return err;
}

}  // namespace

Result<ProcEntry> parse_proc_stat(std::string_view text) {
  size_t open_paren = text.find('(');
  size_t close_paren = text.rfind(')');
  if (open_paren == std::string_view::npos || close_paren == std::string_view::npos || close_paren < open_paren) {
    return make_error("unable to parse stat: no (comm) field");
  }
  ProcEntry e;
  std::string_view head = text.substr(0, open_paren);
  while (!head.empty() && head.back() == ' ') {
    head.remove_suffix(1);
  }
  if (!parse_pid(head, &e.pid)) {
    return make_error("unable to parse stat: bad pid");
  }
  // After ") ": state ppid pgrp session ...
  std::string_view rest = text.substr(close_paren + 1);
  std::string_view fields[4];
  for (std::string_view& f : fields) {
    while (!rest.empty() && rest.front() == ' ') {
      rest.remove_prefix(1);
    }
    size_t end = rest.find(' ');
    f = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  if (fields[0].size() != 1 || !parse_pid(fields[1], &e.ppid) || !parse_pid(fields[2], &e.pgrp) ||
      !parse_pid(fields[3], &e.sid)) {
    return make_error("unable to parse stat: short or malformed fields");
  }
  e.state = fields[0][0];
  return e;
}

Result<ProcEntry> read_proc_entry(pid_t pid, const std::string& proc_root) {
  if (!proc_matches_namespace(proc_root)) {
    return make_error(fmt::format("unable to use {}: not mounted for this PID namespace", proc_root));
  }
  std::string text;
  if (!read_small_file(fmt::format("{}/{}/stat", proc_root, pid), &text)) {
    return make_error(fmt::format("unable to read {}/{}/stat: no such process", proc_root, pid));
  }
  return parse_proc_stat(text);
}

bool proc_matches_namespace(const std::string& proc_root) {
  char buf[32];
  std::string link = proc_root + "/self";
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) {
    return false;
  }
  pid_t pid = 0;
  return parse_pid(std::string_view(buf, static_cast<size_t>(n)), &pid) && pid == getpid();
}

Result<std::vector<ProcEntry>> read_process_table(const std::string& proc_root) {
  if (!proc_matches_namespace(proc_root)) {
    return make_error(fmt::format("unable to use {}: not mounted for this PID namespace", proc_root));
  }
  DIR* dir = opendir(proc_root.c_str());
  if (dir == nullptr) {
    return make_error(fmt::format("unable to list {}: {}", proc_root, strerror(errno)));
  }
  std::vector<ProcEntry> table;
  std::string text;
  while (dirent* d = readdir(dir)) {
    pid_t pid = 0;
    if (!parse_pid(d->d_name, &pid) || pid == 0) {
      continue;
    }
    if (!read_small_file(fmt::format("{}/{}/stat", proc_root, d->d_name), &text)) {
      continue;  // exited since readdir
    }
    Result<ProcEntry> e = parse_proc_stat(text);
    if (e.ok()) {
      table.push_back(*e);
    }
  }
  closedir(dir);
  return table;
}

std::vector<ProcEntry> descendants_of(const std::vector<ProcEntry>& table, pid_t root) {
  std::unordered_map<pid_t, std::vector<size_t>> children;
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].pid != table[i].ppid) {
      children[table[i].ppid].push_back(i);
    }
  }
  std::vector<ProcEntry> out;
  std::unordered_set<pid_t> seen{root};
  std::deque<pid_t> queue{root};
  while (!queue.empty()) {
    pid_t p = queue.front();
    queue.pop_front();
    auto it = children.find(p);
    if (it == children.end()) {
      continue;
    }
    for (size_t i : it->second) {
      if (seen.insert(table[i].pid).second) {
        out.push_back(table[i]);
        queue.push_back(table[i].pid);
      }
    }
  }
  return out;
}

// Walks down from root through the children files, reading stat only for
// the processes found, so the cost follows the size of root's tree and not the
// machine's process count. Same result as descendants_of(read_process_table())
// up to the races of a live tree: a process re-parented while the walk runs
// (its parent exits, it goes to a subreaper or init) is missed if it lands on
// a process already walked. Callers re-scan on their next trigger (the next
// SIGCHLD reap, the grace timer), which sees it under its new parent.
Result<std::vector<ProcEntry>> list_descendant_entries(pid_t root, const std::string& proc_root) {
  if (!proc_matches_namespace(proc_root)) {
    return make_error(fmt::format("unable to use {}: not mounted for this PID namespace", proc_root));
  }
  std::string buf;
  std::vector<pid_t> kids;
  if (read_children(proc_root, root, 0, &buf, &kids) != 0) {
    // No children file at the root: a kernel without CONFIG_PROC_CHILDREN (or
    // root is gone). The full scan answers either way.
    Result<std::vector<ProcEntry>> table = read_process_table(proc_root);
    if (!table.ok()) {
      return make_error(table.error());
    }
    return descendants_of(*table, root);
  }
  std::vector<ProcEntry> out;
  std::unordered_set<pid_t> seen{root};
  // out doubles as the BFS queue: out[next] is the next process to expand.
  std::vector<long> threads;
  size_t next = 0;
  while (true) {
    for (pid_t kid : kids) {
      if (seen.count(kid) != 0) {
        continue;  // listed twice: re-parented within the tree mid-walk
      }
      if (!read_small_file(fmt::format("{}/{}/stat", proc_root, kid), &buf)) {
        continue;  // reaped since its parent's children file was read
      }
      Result<ProcEntry> e = parse_proc_stat(buf);
      // A parent outside the tree means the pid left it (re-parented to an
      // init above root) or was reaped and reused by a stranger.
      if (!e.ok() || e->pid != kid || seen.count(e->ppid) == 0) {
        continue;
      }
      seen.insert(kid);
      out.push_back(*e);
      threads.push_back(stat_num_threads(buf));
    }
    if (next == out.size()) {
      break;
    }
    const ProcEntry& p = out[next];
    long n = threads[next];
    ++next;
    // Whatever was read is used, errors included: a process that exited has
    // no children left (they went to a reaper), and a zombie leader whose
    // other threads still run has them listed under those threads.
    (void)read_children(proc_root, p.pid, n, &buf, &kids);
  }
  return out;
}

Result<std::vector<pid_t>> list_descendants(pid_t root, const std::string& proc_root) {
  Result<std::vector<ProcEntry>> entries = list_descendant_entries(root, proc_root);
  if (!entries.ok()) {
    return make_error(entries.error());
  }
  std::vector<pid_t> pids;
  pids.reserve(entries->size());
  for (const ProcEntry& e : *entries) {
    pids.push_back(e.pid);
  }
  return pids;
}

}  // namespace tend
