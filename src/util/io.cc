#include "util/io.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

namespace tend {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) {
        return false;
      }
      continue;
    }
    if (n == 0) {
      errno = EIO;
    }
    return false;
  }
  return true;
}

}  // namespace tend
