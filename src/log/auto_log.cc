#include "log/auto_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>

namespace tend {
namespace {

constexpr std::string_view k_alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_";
constexpr int k_random_len = 8;
constexpr int k_attempts = 100;

std::string random_part() {
  unsigned char bytes[k_random_len];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      // No entropy source: fall back to the clock; O_EXCL still guarantees uniqueness.
      uint64_t t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
      for (size_t i = got; i < sizeof bytes; ++i) {
        bytes[i] = static_cast<unsigned char>(t >> (8 * (i % 8)));
      }
      got = sizeof bytes;
    }
  }
  std::string s;
  for (unsigned char b : bytes) {
    s.push_back(k_alphabet[b % k_alphabet.size()]);
  }
  return s;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

Result<std::string> create_auto_log(std::string_view childlogdir, std::string_view procname, Stream channel,
                                    std::string_view identifier) {
  std::string dir(childlogdir);
  while (dir.size() > 1 && dir.back() == '/') {
    dir.pop_back();
  }
  int err = EEXIST;
  for (int i = 0; i < k_attempts; ++i) {
    std::string path =
        fmt::format("{}/{}-{}---{}-{}.log", dir, procname, stream_name(channel), identifier, random_part());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd >= 0) {
      ::close(fd);
      return path;
    }
    err = errno;
    if (err != EEXIST) {
      break;
    }
  }
  return make_error(fmt::format("unable to create AUTO log in {}: {}", dir, std::strerror(err)));
}

// supervisord's pattern, matched at the start of the name only:
//   .+?---<identifier>-\S+\.log   (anything may follow)
// i.e. at least one character, "---<identifier>-", then at least one
// non-space character before a ".log" reached without crossing a space.
bool is_auto_log_name(std::string_view filename, std::string_view identifier) {
  std::string marker = "---" + std::string(identifier) + "-";
  for (size_t at = filename.find(marker, 1); at != std::string_view::npos; at = filename.find(marker, at + 1)) {
    std::string_view rest = filename.substr(at + marker.size());
    for (size_t i = 1; i + 4 <= rest.size() && !is_space(rest[i - 1]); ++i) {
      if (rest.substr(i, 4) == ".log") {
        return true;
      }
    }
  }
  return false;
}

AutoLogCleanup clean_auto_logs(std::string_view childlogdir, std::string_view identifier) {
  AutoLogCleanup result;
  std::string dir(childlogdir);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    result.errors.push_back(fmt::format("unable to read {}: {}", dir, std::strerror(errno)));
    return result;
  }
  std::vector<std::string> doomed;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (is_auto_log_name(name, identifier)) {
      doomed.emplace_back(name);
    }
  }
  ::closedir(d);
  for (const std::string& name : doomed) {
    std::string path = dir + "/" + name;
    if (::unlink(path.c_str()) == 0) {
      ++result.removed;
    } else {
      result.errors.push_back(fmt::format("unable to remove {}: {}", path, std::strerror(errno)));
    }
  }
  return result;
}

}  // namespace tend
