// NotifySocket: the datagram socket behind a program's $NOTIFY_SOCKET
// (ready = notify), one per run of the program.
//
// The address is in Linux's abstract namespace ("@tend/notify/<name>/<random>"):
//  - nothing on disk: no directory to create, nothing stale after a crash or
//    SIGKILL of tend, and no path length or permission to get right when the
//    program runs as another user (connecting needs no write permission);
//  - every sd_notify client (libsystemd, systemd-notify, Python's and Go's
//    libraries) takes the '@' form.
// The price: the program must share tend's network namespace (a program that
// unshares its network cannot reach the socket). Anyone in that namespace can
// send to the name, so who sent each datagram is checked (SO_PASSCRED:
// SCM_CREDENTIALS on every datagram) by the caller (health/sender.h).
//
// Every file descriptor that comes with a datagram is closed right after the
// handler has seen the datagram: tend keeps none, and closing is what
// completes a sender's BARRIER=1 (it waits for the hang-up of that fd's pipe),
// after every earlier datagram has been handled.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sys/event_loop.h"
#include "util/fd.h"
#include "util/result.h"

namespace tend::health {

class NotifySocket {
 public:
  // The longest datagram read whole (sd_notify messages are a few lines);
  // a longer one arrives with `truncated` set.
  static constexpr size_t k_max_datagram = 4096;

  struct Datagram {
    pid_t pid = 0;  // the sender (SCM_CREDENTIALS); 0 if the kernel gave none
    uid_t uid = 0;
    std::string_view text;
    size_t fds = 0;  // how many fds came with it
    bool truncated = false;
  };
  // May destroy the socket.
  using Handler = std::function<void(const Datagram&)>;

  // Binds a new socket and watches it on `loop`. `label` (the program's
  // name) goes into the address, cut to fit, to tell sockets apart in `ss -x`.
  static Result<std::unique_ptr<NotifySocket>> open(EventLoop& loop, std::string_view label, Handler handler);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // NOTIFY_SOCKET's value: '@' stands for the abstract namespace's NUL.
  const std::string& address() const { return m_address; }

 private:
  NotifySocket(EventLoop& loop, Fd fd, std::string address, Handler handler);
  void on_readable();

  EventLoop& m_loop;
  Fd m_fd;
  std::string m_address;
  Handler m_handler;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

// Sends `text` to an sd_notify address ("@abstract" or a path), with `fd`
// attached when >= 0. What a client does; for tests.
Status send_notify(const std::string& address, std::string_view text, int fd = -1);

}  // namespace tend::health
