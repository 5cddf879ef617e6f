// SharedSocket: a listening socket that tend binds and its children accept()
// on: the socket of an [fcgi-program:x] group, which every process of the
// group gets as its fd 0. tend never accepts on it itself.
//
//  - Blocking: a child shares the open file, O_NONBLOCK included, and expects
//    an ordinary blocking accept() (supervisord's socket is blocking too).
//  - Close-on-exec in tend: a child gets it only through an explicit dup2.
//  - unix://: a socket file already at the path is replaced (a stale one from
//    an earlier run, as supervisord does); anything else there is refused
//    (supervisord would delete even a regular file). The socket file is bound
//    with no permission bits, then chowned and chmodded, so nobody can
//    connect before it has its final owner and mode. close() removes the file
//    if it is still the one bound here.
//  - tcp://: IPv4 (supervisord's socket is AF_INET), SO_REUSEADDR, the host
//    resolved with getaddrinfo.
// Error texts are supervisord's (Python's text of the OSError, e.g.
// "[Errno 98] Address already in use"): they reach users inside
// supervisord's "Could not create FastCGI socket <url>: <reason>".
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "util/fd.h"
#include "util/result.h"

namespace tend {

struct SharedSocketOptions {
  int backlog = 0;  // listen(2) backlog; 0: SOMAXCONN
  // unix:// only.
  std::optional<uid_t> owner_uid;  // chown when set
  std::optional<gid_t> owner_gid;  // with owner_uid; unset keeps the group
  mode_t mode = 0700;
};

class SharedSocket {
 public:
  // `url` is "unix:///abs/path" or "tcp://host:port" (port 0 picks a free one).
  static Result<SharedSocket> open(std::string_view url, const SharedSocketOptions& opts);

  SharedSocket(SharedSocket&&) noexcept;
  SharedSocket& operator=(SharedSocket&&) noexcept;
  ~SharedSocket();

  int fd() const { return m_fd.get(); }
  const std::string& url() const { return m_url; }
  const std::string& unix_path() const { return m_path; }  // "" for tcp, or once closed
  int port() const { return m_port; }                      // tcp: the bound port
  // Closes the socket and removes the unix socket file (if still ours).
  void close();

 private:
  SharedSocket() = default;
  Status open_unix(const std::string& path, const SharedSocketOptions& opts);
  Status open_tcp(std::string_view host, int port, int backlog);

  Fd m_fd;
  std::string m_url;
  std::string m_path;
  dev_t m_dev = 0;
  ino_t m_ino = 0;
  int m_port = 0;
};

// Python's text for an OSError: "[Errno 2] No such file or directory", with
// ": '<path>'" appended when the failing call named a file.
std::string python_os_error(int err, std::string_view path = {});

}  // namespace tend
