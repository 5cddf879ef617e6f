// Helpers shared by the log/ unit tests: a scoped temporary directory and
// small file utilities. Test-only; not part of tend_core's API.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace tend::logtest {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tend-log-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    m_path = p != nullptr ? p : "";
  }
  ~TempDir() {
    if (!m_path.empty()) {
      std::string cmd = "rm -rf '" + m_path + "'";
      [[maybe_unused]] int rc = std::system(cmd.c_str());
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return m_path; }
  std::string file(const std::string& name) const { return m_path + "/" + name; }

 private:
  std::string m_path;
};

inline bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
}

inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") {
        names.push_back(n);
      }
    }
    ::closedir(d);
  }
  return names;
}

// While alive, `fd` is /dev/full (every write fails with ENOSPC, like a full
// disk); destruction puts the original file back on the same fd number.
class DiskFull {
 public:
  explicit DiskFull(int fd) : m_fd(fd), m_saved(::dup(fd)) {
    int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    ::dup2(full, fd);
    ::close(full);
  }
  ~DiskFull() {
    ::dup2(m_saved, m_fd);
    ::close(m_saved);
  }
  DiskFull(const DiskFull&) = delete;
  DiskFull& operator=(const DiskFull&) = delete;

 private:
  int m_fd;
  int m_saved;
};

// Reads everything currently available from a non-blocking fd.
inline std::string drain(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace tend::logtest
