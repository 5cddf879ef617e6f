#include "core/descendants.h"

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

// Reads a small /proc file in one go; /proc/<pid>/stat is well under 1 KiB.
bool read_small_file(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  char buf[1024];
  out->clear();
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return !out->empty();
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

Result<std::vector<ProcEntry>> list_descendant_entries(pid_t root, const std::string& proc_root) {
  Result<std::vector<ProcEntry>> table = read_process_table(proc_root);
  if (!table.ok()) {
    return make_error(table.error());
  }
  return descendants_of(*table, root);
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
