#include "util/passwd.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <string_view>

#include "util/fd.h"

namespace tend {

namespace {

std::string read_all(const std::string& path) {
  std::string out;
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return out;
  }
  char buf[8192];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) {
      return out;
    }
    start = end + 1;
  }
}

bool to_id(std::string_view s, unsigned* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// Calls fn for each well-formed line (fields split on ':'), stopping when it returns true.
void each_line(const std::string& path, size_t min_fields,
               const std::function<bool(const std::vector<std::string_view>&)>& fn) {
  std::string text = read_all(path);
  for (std::string_view line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::vector<std::string_view> f = split(line, ':');
    if (f.size() >= min_fields && fn(f)) {
      return;
    }
  }
}

std::optional<UserEntry> find_user_if(const std::string& root,
                                      const std::function<bool(std::string_view, unsigned)>& match) {
  std::optional<UserEntry> found;
  each_line(root + "/etc/passwd", 7, [&](const std::vector<std::string_view>& f) {
    unsigned uid = 0, gid = 0;
    if (!to_id(f[2], &uid) || !to_id(f[3], &gid) || !match(f[0], uid)) {
      return false;
    }
    found = UserEntry{std::string(f[0]), uid, gid, std::string(f[5]), std::string(f[6])};
    return true;
  });
  return found;
}

std::optional<GroupEntry> find_group_if(const std::string& root,
                                        const std::function<bool(std::string_view, unsigned)>& match) {
  std::optional<GroupEntry> found;
  each_line(root + "/etc/group", 4, [&](const std::vector<std::string_view>& f) {
    unsigned gid = 0;
    if (!to_id(f[2], &gid) || !match(f[0], gid)) {
      return false;
    }
    GroupEntry g{std::string(f[0]), gid, {}};
    for (std::string_view m : split(f[3], ',')) {
      if (!m.empty()) {
        g.members.emplace_back(m);
      }
    }
    found = std::move(g);
    return true;
  });
  return found;
}

}  // namespace

std::optional<UserEntry> find_user(const std::string& name, const std::string& root) {
  return find_user_if(root, [&](std::string_view n, unsigned) { return n == name; });
}

std::optional<UserEntry> find_user(uid_t uid, const std::string& root) {
  return find_user_if(root, [&](std::string_view, unsigned id) { return id == uid; });
}

std::optional<GroupEntry> find_group(const std::string& name, const std::string& root) {
  return find_group_if(root, [&](std::string_view n, unsigned) { return n == name; });
}

std::optional<GroupEntry> find_group(gid_t gid, const std::string& root) {
  return find_group_if(root, [&](std::string_view, unsigned id) { return id == gid; });
}

std::vector<gid_t> groups_of(const std::string& user, gid_t primary, const std::string& root) {
  std::vector<gid_t> out{primary};
  each_line(root + "/etc/group", 4, [&](const std::vector<std::string_view>& f) {
    unsigned gid = 0;
    if (to_id(f[2], &gid) && std::find(out.begin(), out.end(), gid) == out.end()) {
      for (std::string_view m : split(f[3], ',')) {
        if (m == user) {
          out.push_back(gid);
          break;
        }
      }
    }
    return false;
  });
  return out;
}

}  // namespace tend
