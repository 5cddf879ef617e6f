// Listening sockets for the HTTP servers: AF_UNIX with supervisord's
// replace-a-stale-socket procedure, and TCP. Both are non-blocking and
// close-on-exec with a backlog of 1024.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "util/fd.h"
#include "util/result.h"

namespace tend::http {

struct UnixListenOptions {
  std::string path;  // absolute, at most 107 bytes with the ".<pid>" suffix
  mode_t mode = 0700;
  std::optional<uid_t> uid;  // chown when set (-1 keeps the other id)
  std::optional<gid_t> gid;
};

// A bound, listening socket. For AF_UNIX it removes its socket file on
// destruction, but only while the file is still the one it created (a
// successor's socket at the same path is left alone).
class ListeningSocket {
 public:
  ListeningSocket() = default;
  ListeningSocket(ListeningSocket&&) noexcept;
  ListeningSocket& operator=(ListeningSocket&&) noexcept;
  ~ListeningSocket();

  int fd() const { return m_fd.get(); }
  const std::string& unix_path() const { return m_path; }  // "" for TCP
  int port() const { return m_port; }                      // TCP: the bound port (useful with port 0)
  bool replaced_stale() const { return m_replaced_stale; }  // unix: a dead socket file was removed first
  // Closes the socket and removes the unix socket file (same inode check).
  void close();

 private:
  friend Result<ListeningSocket> listen_unix(const UnixListenOptions& opts);
  friend Result<ListeningSocket> listen_tcp(const std::string& host, int port);
  Fd m_fd;
  std::string m_path;
  dev_t m_dev = 0;
  ino_t m_ino = 0;
  int m_port = 0;
  bool m_replaced_stale = false;
};

// Binds `<path>.<pid>`, applies mode and owner, then hard-links it to `path`
// so the final name appears with its permissions already set. If `path`
// exists and a server answers there, fails without touching it; if it is a
// socket nobody listens on, removes it and retries. A non-socket file at
// `path` is an error.
Result<ListeningSocket> listen_unix(const UnixListenOptions& opts);

// SO_REUSEADDR; host "" binds every IPv4 interface (like supervisord), else
// the first address getaddrinfo gives for host. Port 0 picks a free port.
Result<ListeningSocket> listen_tcp(const std::string& host, int port);

}  // namespace tend::http
