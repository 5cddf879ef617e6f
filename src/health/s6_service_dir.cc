#include "health/s6_service_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>

#include <fmt/format.h>

#include "health/probe.h"

namespace tend::health {

Result<std::unique_ptr<S6ServiceDir>> S6ServiceDir::claim(const std::string& dir) {
  std::string supervise = dir + "/supervise";
  struct stat st {};
  if (stat(supervise.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return std::unique_ptr<S6ServiceDir>();
  }
  std::string path = supervise + "/lock";
  Fd lock(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!lock) {
    return make_error(fmt::format("unable to open {}: {}", path, errno_text(errno)));
  }
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (fcntl(lock.get(), F_OFD_SETLK, &fl) != 0) {
    int err = errno;
    if (err == EAGAIN || err == EACCES) {
      return make_error(fmt::format("unable to lock {}: another supervisor holds it", path));
    }
    return make_error(fmt::format("unable to lock {}: {}", path, errno_text(err)));
  }
  return std::unique_ptr<S6ServiceDir>(new S6ServiceDir(dir, std::move(lock)));
}

void S6ServiceDir::announce(char event) const {
  std::string fifodir = m_dir + "/event";
  Fd dfd(open(fifodir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dfd) {
    return;
  }
  DIR* d = fdopendir(dfd.get());
  if (d == nullptr) {
    return;
  }
  dfd.release();  // closedir closes it
  while (dirent* e = readdir(d)) {
    // Only fifos are opened, and re-checked once open: the directory belongs
    // to the program's user, who could swap an entry for a device meanwhile.
    struct stat st {};
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISFIFO(st.st_mode)) {
      continue;
    }
    // No reader: ENXIO, skipped.
    Fd f(openat(dirfd(d), e->d_name, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
    if (!f || fstat(f.get(), &st) != 0 || !S_ISFIFO(st.st_mode)) {
      continue;
    }
    (void)!write(f.get(), &event, 1);
  }
  closedir(d);
}

std::optional<int> read_notification_fd_file(const std::string& dir) {
  std::string path = dir + "/notification-fd";
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return std::nullopt;
  }
  char buf[32];
  ssize_t n = read(fd.get(), buf, sizeof buf);
  if (n <= 0) {
    return std::nullopt;
  }
  std::string_view text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace tend::health
