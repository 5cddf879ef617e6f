#include "log/rotating_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>

namespace tend {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// The fd number a path names when it is one of our own descriptors
// (/dev/stdout, /dev/fd/1, /proc/self/fd/1), or -1.
int self_fd_alias(std::string_view path) {
  if (path == "/dev/stdout") {
    return 1;
  }
  if (path == "/dev/stderr") {
    return 2;
  }
  std::string_view rest;
  for (std::string_view prefix : {std::string_view("/dev/fd/"), std::string_view("/proc/self/fd/")}) {
    if (path.substr(0, prefix.size()) == prefix) {
      rest = path.substr(prefix.size());
    }
  }
  int n = -1;
  if (rest.empty() || std::from_chars(rest.data(), rest.data() + rest.size(), n).ptr != rest.data() + rest.size()) {
    return -1;
  }
  return n;
}

Result<Fd> open_log_fd(const std::string& path, bool truncate) {
  int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | (truncate ? O_TRUNC : 0);
  int fd = ::open(path.c_str(), flags, 0666);
  if (fd < 0 && errno == ENXIO) {
    // A socket behind /dev/stdout (systemd's journal, some runtimes) cannot be
    // opened through /proc; share our own descriptor instead.
    int alias = self_fd_alias(path);
    if (alias >= 0) {
      fd = ::fcntl(alias, F_DUPFD_CLOEXEC, 3);
    }
    if (fd < 0) {
      errno = ENXIO;
    }
  }
  if (fd < 0) {
    return make_error(fmt::format("unable to open {}: {}", path, errno_text(errno)));
  }
  return Fd(fd);
}

}  // namespace

Result<RotatingFile> RotatingFile::open(std::string path, int64_t maxbytes, int backups) {
  RotatingFile f(std::move(path), maxbytes, backups);
  Status st = f.open_current(false);
  if (!st) {
    return make_error(st.error());
  }
  return f;
}

Status RotatingFile::open_current(bool truncate) {
  Result<Fd> fd = open_log_fd(m_path, truncate);
  if (!fd) {
    return make_error(fd.error());
  }
  return adopt(std::move(*fd));
}

Status RotatingFile::adopt(Fd fd) {
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return make_error(fmt::format("unable to stat {}: {}", m_path, errno_text(errno)));
  }
  m_fd = std::move(fd);
  m_regular = S_ISREG(st.st_mode);
  m_size = m_regular ? static_cast<int64_t>(st.st_size) : 0;
  return ok_status();
}

std::optional<Status> RotatingFile::swap_in_fresh_file(const std::string& backup) {
  if (::link(m_path.c_str(), backup.c_str()) != 0) {
    return std::nullopt;  // no hard links here (or a stray backup): rename instead
  }
  // The path and the backup now name the same file. A fresh file is created
  // aside and renamed over the path, which moves atomically to the new file.
  // Renaming onto an existing name makes ext4 flush the renamed file's data
  // (auto_da_alloc), but that file is empty.
  std::string fresh = m_path + ".rotating";
  int raw = ::open(fresh.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);
  Fd fd(raw);
  if (raw < 0 || ::rename(fresh.c_str(), m_path.c_str()) != 0) {
    if (raw >= 0) {
      ::unlink(fresh.c_str());
    }
    // Fall back to the plain scheme; the data is safe under the backup name.
    ::unlink(m_path.c_str());
    return std::nullopt;
  }
  return adopt(std::move(fd));
}

Status RotatingFile::write(std::string_view data, size_t* written) {
  size_t ignored = 0;
  size_t& done = written != nullptr ? *written : ignored;
  done = 0;
  if (data.empty()) {
    return ok_status();
  }
  if (!m_fd) {
    return make_error(fmt::format("unable to write {}: file is not open", m_path));
  }
  bool ok = write_all(m_fd.get(), data, &done);
  int err = errno;
  if (m_regular) {
    m_size += static_cast<int64_t>(done);
  }
  if (!ok) {
    return make_error(fmt::format("unable to write {}: {}", m_path, errno_text(err)));
  }
  return rotate_if_due();
}

Status RotatingFile::rotate_if_due() {
  if (!m_regular || m_maxbytes <= 0 || m_size < m_maxbytes) {
    return ok_status();
  }
  return rotate();
}

Status RotatingFile::rotate() {
  if (!m_regular) {
    return ok_status();
  }
  // Shift name.(n-1) -> name.n for n = backups..2, then name -> name.1; a
  // missing source is simply skipped. The oldest backup is unlinked first
  // rather than renamed over: on ext4 a rename onto an existing file forces
  // the renamed file's data to disk (auto_da_alloc), which made rotation
  // three times slower than the write itself.
  std::string oldest = fmt::format("{}.{}", m_path, m_backups);
  if (m_backups > 0 && ::unlink(oldest.c_str()) != 0 && errno != ENOENT) {
    return make_error(fmt::format("unable to remove {}: {}", oldest, errno_text(errno)));
  }
  for (int n = m_backups; n >= 2; --n) {
    std::string from = fmt::format("{}.{}", m_path, n - 1);
    std::string to = fmt::format("{}.{}", m_path, n);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return make_error(fmt::format("unable to rename {} to {}: {}", from, to, errno_text(errno)));
    }
  }
  if (m_backups > 0) {
    std::string to = m_path + ".1";
    // Readers polling the path (tail -F, log shippers) should never find it
    // missing; the link-and-replace scheme keeps it present throughout.
    if (std::optional<Status> swapped = swap_in_fresh_file(to)) {
      return *swapped;
    }
    if (::rename(m_path.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return make_error(fmt::format("unable to rename {} to {}: {}", m_path, to, errno_text(errno)));
    }
  }
  // With backups the path is now free and O_TRUNC is a no-op; without, it empties the file.
  return open_current(true);
}

Status RotatingFile::reopen() { return open_current(false); }

Status RotatingFile::clear() {
  struct stat st {};
  bool regular_path = ::lstat(m_path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if (regular_path && m_regular) {
    if (::unlink(m_path.c_str()) != 0 && errno != ENOENT) {
      return make_error(fmt::format("unable to remove {}: {}", m_path, errno_text(errno)));
    }
  }
  return open_current(false);
}

}  // namespace tend
