#include "log/auto_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <regex>

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

std::string regex_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::strchr("\\^$.|?*+()[]{}", c) != nullptr && c != '\0') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

// A file name matches when this matches at its start (the end is free).
std::regex auto_log_regex(std::string_view identifier) {
  return std::regex(".+?---" + regex_escape(identifier) + R"(-\S+\.log)");
}

bool matches(const std::regex& re, std::string_view name) {
  return std::regex_search(name.begin(), name.end(), re, std::regex_constants::match_continuous);
}

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

bool is_auto_log_name(std::string_view filename, std::string_view identifier) {
  return matches(auto_log_regex(identifier), filename);
}

AutoLogCleanup clean_auto_logs(std::string_view childlogdir, std::string_view identifier) {
  AutoLogCleanup result;
  std::string dir(childlogdir);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    result.errors.push_back(fmt::format("unable to read {}: {}", dir, std::strerror(errno)));
    return result;
  }
  std::regex re = auto_log_regex(identifier);
  std::vector<std::string> doomed;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (matches(re, name)) {
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
