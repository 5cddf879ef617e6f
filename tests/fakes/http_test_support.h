// Test-only helpers for the HTTP unit tests (header-only; never part of the
// daemon): an EventLoop running on its own thread with a way to run code on
// it, and a blocking HTTP client with receive timeouts so tests cannot hang.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sys/event_loop.h"
#include "util/fd.h"

namespace tend::http::testing {

// Runs an EventLoop on a thread. post() is the only thread-safe entry.
class LoopThread {
 public:
  LoopThread() : m_loop(std::move(*EventLoop::create())), m_wake(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    (void)m_loop->add_fd(m_wake.get(), EPOLLIN, [this](uint32_t) { drain(); });
  }
  ~LoopThread() { stop(); }

  EventLoop& loop() { return *m_loop; }
  void start() {
    m_thread = std::thread([this] { m_loop->run(); });
  }
  void stop() {
    if (m_thread.joinable()) {
      post([this] { m_loop->stop(0); });
      m_thread.join();
    }
  }
  // Runs fn on the loop thread and waits for it.
  template <typename F>
  auto run(F fn) -> decltype(fn()) {
    if (!m_thread.joinable()) {
      return fn();
    }
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto fut = task.get_future();
    post([&task] { task(); });
    return fut.get();
  }
  void post(std::function<void()> fn) {
    {
      std::lock_guard<std::mutex> lock(m_mu);
      m_queue.push_back(std::move(fn));
    }
    uint64_t one = 1;
    (void)!write(m_wake.get(), &one, sizeof one);
  }

 private:
  void drain() {
    uint64_t n = 0;
    (void)!read(m_wake.get(), &n, sizeof n);
    std::deque<std::function<void()>> q;
    {
      std::lock_guard<std::mutex> lock(m_mu);
      q.swap(m_queue);
    }
    for (auto& fn : q) {
      fn();
    }
  }
  std::unique_ptr<EventLoop> m_loop;
  Fd m_wake;
  std::mutex m_mu;
  std::deque<std::function<void()>> m_queue;
  std::thread m_thread;
};

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tend_http_XXXXXX";
    m_path = mkdtemp(tmpl);
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + m_path + "'").c_str()); }
  const std::string& path() const { return m_path; }
  std::string file(const std::string& name) const { return m_path + "/" + name; }

 private:
  std::string m_path;
};

inline void set_timeout(int fd, int seconds) {
  timeval tv{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Blocking connect with 5 s timeouts; an invalid Fd on failure.
inline Fd connect_unix(const std::string& path) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Fd();
  }
  set_timeout(fd.get(), 5);
  return fd;
}

inline bool send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

struct ParsedResponse {
  bool ok = false;  // a complete response was read
  int status = 0;
  std::string status_line;
  std::string head;  // status line + headers, raw
  std::string body;
  std::string header(const std::string& name) const {
    std::string lname = "\r\n" + name + ":";
    std::string lhead;
    for (char c : head) {
      lhead += static_cast<char>(tolower(static_cast<unsigned char>(c)));
    }
    std::string key;
    for (char c : lname) {
      key += static_cast<char>(tolower(static_cast<unsigned char>(c)));
    }
    size_t p = lhead.find(key);
    if (p == std::string::npos) {
      return "";
    }
    size_t b = p + key.size();
    size_t e = head.find("\r\n", b);
    std::string v = head.substr(b, e - b);
    while (!v.empty() && v.front() == ' ') {
      v.erase(0, 1);
    }
    return v;
  }
};

// Reads one response from fd; `buf` keeps bytes read past it (pipelining).
class ResponseReader {
 public:
  explicit ResponseReader(int fd) : m_fd(fd) {}

  ParsedResponse next() {
    ParsedResponse r;
    size_t end;
    while ((end = m_buf.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        return r;
      }
    }
    r.head = m_buf.substr(0, end + 2);
    m_buf.erase(0, end + 4);
    r.status_line = r.head.substr(0, r.head.find("\r\n"));
    r.status = atoi(r.status_line.c_str() + r.status_line.find(' ') + 1);
    std::string te = r.header("Transfer-Encoding");
    std::string cl = r.header("Content-Length");
    if (r.status / 100 == 1 || r.status == 204 || r.status == 304) {
      r.ok = true;  // never a body
      return r;
    }
    if (te == "chunked") {
      for (;;) {
        size_t le;
        while ((le = m_buf.find("\r\n")) == std::string::npos) {
          if (!fill()) {
            return r;
          }
        }
        size_t size = strtoul(m_buf.c_str(), nullptr, 16);
        m_buf.erase(0, le + 2);
        while (m_buf.size() < size + 2) {
          if (!fill()) {
            return r;
          }
        }
        r.body += m_buf.substr(0, size);
        m_buf.erase(0, size + 2);
        if (size == 0) {
          break;
        }
      }
    } else if (!cl.empty()) {
      size_t size = strtoul(cl.c_str(), nullptr, 10);
      while (m_buf.size() < size) {
        if (!fill()) {
          return r;
        }
      }
      r.body = m_buf.substr(0, size);
      m_buf.erase(0, size);
    } else {
      while (fill()) {
      }
      r.body.swap(m_buf);
    }
    r.ok = true;
    return r;
  }
  // True when the peer closed (EOF) before more data arrived; false on data or timeout.
  bool at_eof() {
    if (!m_buf.empty()) {
      return false;
    }
    char c;
    return recv(m_fd, &c, 1, 0) == 0;
  }

 private:
  bool fill() {
    char tmp[65536];
    ssize_t n = recv(m_fd, tmp, sizeof tmp, 0);
    if (n <= 0) {
      return false;
    }
    m_buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int m_fd;
  std::string m_buf;
};

inline std::string post_request(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

}  // namespace tend::http::testing
