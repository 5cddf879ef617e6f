#include "health/notify_socket.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <vector>

#include <fmt/format.h>

#include "health/probe.h"

namespace tend::health {

namespace {

// Datagrams handled per wake-up; the loop comes back for the rest (level-triggered),
// so a chatty program cannot hold the loop.
constexpr int k_datagrams_per_wakeup = 64;
// The kernel's limit of fds in one SCM_RIGHTS message (SCM_MAX_FD).
constexpr size_t k_max_fds = 253;

std::string random_suffix() {
  uint64_t r = 0;
  if (getrandom(&r, sizeof r, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof r)) {
    static uint64_t counter = 0;
    r = (static_cast<uint64_t>(getpid()) << 32) ^ static_cast<uint64_t>(time(nullptr)) ^ ++counter;
  }
  return fmt::format("{:016x}", r);
}

// "@name" -> abstract address; "/path" -> a path.
Result<std::pair<sockaddr_un, socklen_t>> unix_address(const std::string& address) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (address.empty() || address.size() >= sizeof sa.sun_path) {
    return make_error(fmt::format("unable to use socket address '{}': empty or too long", address));
  }
  memcpy(sa.sun_path, address.data(), address.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
  if (address[0] == '@') {
    sa.sun_path[0] = '\0';
  } else {
    len += 1;  // the path's NUL
  }
  return std::pair{sa, len};
}

}  // namespace

Result<std::unique_ptr<NotifySocket>> NotifySocket::open(EventLoop& loop, std::string_view label, Handler handler) {
  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    return make_error(fmt::format("unable to create a notify socket: {}", errno_text(errno)));
  }
  int on = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
    return make_error(fmt::format("unable to ask for sender credentials on a notify socket: {}", errno_text(errno)));
  }
  // "@tend/notify/" + label + "/" + 16 hex digits must fit sun_path (108 with the leading NUL).
  constexpr size_t k_label_max = 60;
  std::string cut(label.substr(0, k_label_max));
  std::string address;
  int err = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {  // another name only if the random one is taken
    address = fmt::format("@tend/notify/{}/{}", cut, random_suffix());
    Result<std::pair<sockaddr_un, socklen_t>> sa = unix_address(address);
    if (!sa) {
      return make_error(sa.error());
    }
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa->first), sa->second) == 0) {
      err = 0;
      break;
    }
    err = errno;
    if (err != EADDRINUSE) {
      break;
    }
  }
  if (err != 0) {
    return make_error(fmt::format("unable to bind notify socket {}: {}", address, errno_text(err)));
  }
  std::unique_ptr<NotifySocket> s(new NotifySocket(loop, std::move(fd), std::move(address), std::move(handler)));
  NotifySocket* raw = s.get();
  if (Status st = loop.add_fd(raw->m_fd.get(), EPOLLIN, [raw](uint32_t) { raw->on_readable(); }); !st) {
    return make_error(fmt::format("unable to watch notify socket {}: {}", raw->m_address, st.error()));
  }
  return s;
}

NotifySocket::NotifySocket(EventLoop& loop, Fd fd, std::string address, Handler handler)
    : m_loop(loop), m_fd(std::move(fd)), m_address(std::move(address)), m_handler(std::move(handler)) {}

NotifySocket::~NotifySocket() {
  *m_alive = false;
  m_loop.remove_fd(m_fd.get());
}

void NotifySocket::on_readable() {
  std::weak_ptr<bool> alive = m_alive;
  char text[k_max_datagram];
  for (int i = 0; i < k_datagrams_per_wakeup; ++i) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int) * k_max_fds)];
    iovec iov{text, sizeof text};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(m_fd.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
    if (n < 0) {
      return;  // EAGAIN: all read; anything else: nothing to do but wait for the next datagram
    }
    Datagram d;
    std::vector<Fd> fds;  // closed when this iteration ends, after the handler
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET) {
        continue;
      }
      if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
        ucred cred{};
        memcpy(&cred, CMSG_DATA(c), sizeof cred);
        d.pid = cred.pid;
        d.uid = cred.uid;
      } else if (c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t k = 0; k < count; ++k) {
          int received = -1;
          memcpy(&received, CMSG_DATA(c) + k * sizeof(int), sizeof received);
          fds.emplace_back(received);
        }
      }
    }
    d.fds = fds.size();
    d.truncated = static_cast<size_t>(n) > sizeof text || (msg.msg_flags & MSG_TRUNC) != 0;
    d.text = std::string_view(text, std::min(static_cast<size_t>(n), sizeof text));
    // From a copy: the handler may destroy this socket.
    Handler handler = m_handler;
    handler(d);
    if (alive.expired()) {
      return;
    }
  }
}

Status send_notify(const std::string& address, std::string_view text, int fd) {
  Result<std::pair<sockaddr_un, socklen_t>> sa = unix_address(address);
  if (!sa) {
    return make_error(sa.error());
  }
  Fd s(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) {
    return make_error(fmt::format("unable to create a socket: {}", errno_text(errno)));
  }
  iovec iov{const_cast<char*>(text.data()), text.size()};
  msghdr msg{};
  msg.msg_name = &sa->first;
  msg.msg_namelen = sa->second;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  if (sendmsg(s.get(), &msg, MSG_NOSIGNAL) < 0) {
    return make_error(fmt::format("unable to send to {}: {}", address, errno_text(errno)));
  }
  return ok_status();
}

}  // namespace tend::health
