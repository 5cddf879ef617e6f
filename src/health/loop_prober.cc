#include "health/loop_prober.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sys/exit_status.h"
#include "util/fd.h"

namespace tend::health {

namespace {

// An exec probe's output kept for the failure's reason; the rest is read and dropped.
constexpr size_t k_kept_output = 512;
// The most of a response an http probe reads while looking for the status line's end.
constexpr size_t k_max_status_line = 2048;

std::string seconds_text(Duration d) { return fmt::format("{}s", std::chrono::duration<double>(d).count()); }

std::string read_small_file(const std::string& path) {
  std::string out;
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return out;
  }
  char buf[4096];
  while (out.size() < 1024 * 1024) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// What every attempt shares: the one `done`, the timeout timer, and results
// known at once delivered from a timer (never before start() returns).
class AttemptBase : public ProbeAttempt {
 public:
  AttemptBase(EventLoop& loop, ProbeDone done) : m_loop(loop), m_done(std::move(done)) {}
  ~AttemptBase() override {
    m_loop.cancel_timer(m_timeout);
    m_loop.cancel_timer(m_later);
  }

 protected:
  void arm_timeout(Duration timeout, std::function<void()> on_timeout) {
    m_timeout = m_loop.add_timer_after(timeout, [this, on_timeout = std::move(on_timeout)] {
      m_timeout = 0;
      on_timeout();
    });
  }
  void finish_later(ProbeResult r) {
    m_later = m_loop.add_timer_after(Duration::zero(), [this, r = std::move(r)] {
      m_later = 0;
      finish(r);
    });
  }
  // Calls `done` once. The caller must not touch the attempt afterwards:
  // `done` may destroy it (the callback runs from a local copy for that reason).
  void finish(const ProbeResult& r) {
    if (!m_done) {
      return;
    }
    m_loop.cancel_timer(m_timeout);
    m_timeout = 0;
    ProbeDone done = std::move(m_done);
    m_done = nullptr;
    done(r);
  }
  bool finished() const { return !m_done; }

  EventLoop& m_loop;

 private:
  ProbeDone m_done;
  EventLoop::TimerId m_timeout = 0;
  EventLoop::TimerId m_later = 0;
};

// tcp: and http:// — a non-blocking connect; for http a GET and its status line.
class ConnectAttempt final : public AttemptBase {
 public:
  ConnectAttempt(EventLoop& loop, ProbeDone done) : AttemptBase(loop, std::move(done)) {}
  ~ConnectAttempt() override { m_loop.remove_fd(m_sock.get()); }

  void begin(const Result<SocketAddress>& resolved, std::optional<std::string> request, Duration timeout) {
    if (!resolved) {
      finish_later(ProbeResult::fail(resolved.error()));
      return;
    }
    const SocketAddress& addr = *resolved;
    m_request = std::move(request);
    m_sock = Fd(socket(addr.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!m_sock) {
      finish_later(ProbeResult::fail(fmt::format("unable to create a socket: {}", errno_text(errno))));
      return;
    }
    if (connect(m_sock.get(), reinterpret_cast<const sockaddr*>(&addr.addr), addr.len) != 0 && errno != EINPROGRESS) {
      finish_later(ProbeResult::fail(errno_text(errno)));
      return;
    }
    Status st = m_loop.add_fd(m_sock.get(), EPOLLOUT, [this](uint32_t) { on_ready(); });
    if (!st) {
      finish_later(ProbeResult::fail(st.error()));
      return;
    }
    arm_timeout(timeout, [this, timeout] {
      const char* what = !m_connected ? "no connection" : "no HTTP status line";
      close_socket();
      finish(ProbeResult::fail(fmt::format("{} within {}", what, seconds_text(timeout))));
    });
  }

 private:
  void close_socket() {
    m_loop.remove_fd(m_sock.get());
    m_sock.close();
  }
  void fail_now(std::string why) {
    close_socket();
    finish(ProbeResult::fail(std::move(why)));
  }

  void on_ready() {
    if (!m_connected) {
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(m_sock.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
      }
      if (err != 0) {
        fail_now(errno_text(err));
        return;
      }
      m_connected = true;
      if (!m_request) {
        close_socket();
        finish(ProbeResult::pass());
        return;
      }
    }
    if (m_sent < m_request->size()) {
      send_more();
      return;
    }
    read_more();
  }

  void send_more() {
    ssize_t n = send(m_sock.get(), m_request->data() + m_sent, m_request->size() - m_sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        fail_now(fmt::format("unable to send the request: {}", errno_text(errno)));
      }
      return;
    }
    m_sent += static_cast<size_t>(n);
    if (m_sent == m_request->size()) {
      (void)m_loop.modify_fd(m_sock.get(), EPOLLIN);
    }
  }

  void read_more() {
    char buf[1024];
    while (true) {
      ssize_t n = recv(m_sock.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && errno == EAGAIN) {
        return;
      }
      if (n < 0) {
        fail_now(fmt::format("unable to read the response: {}", errno_text(errno)));
        return;
      }
      if (n == 0) {
        fail_now(m_response.empty() ? "connection closed without a response" : "not an HTTP response");
        return;
      }
      m_response.append(buf, static_cast<size_t>(n));
      if (size_t eol = m_response.find('\n'); eol != std::string::npos) {
        std::string_view line(m_response.data(), eol);
        if (!line.empty() && line.back() == '\r') {
          line.remove_suffix(1);
        }
        ProbeResult r = http_verdict(parse_http_status_line(line));
        close_socket();
        finish(r);
        return;
      }
      if (m_response.size() > k_max_status_line) {
        fail_now("not an HTTP response");
        return;
      }
    }
  }

  Fd m_sock;
  std::optional<std::string> m_request;  // http: the GET; tcp: none
  size_t m_sent = 0;
  bool m_connected = false;
  std::string m_response;
};

// exec: a child in its own process group; exit 0 passes.
class ExecAttempt final : public AttemptBase {
 public:
  ExecAttempt(EventLoop& loop, ProbeDone done) : AttemptBase(loop, std::move(done)) {}
  ~ExecAttempt() override {
    *m_alive = false;
    m_loop.remove_fd(m_out.get());
    kill_child();
  }

  void begin(SpawnSpec spec, const LoopProber::WatchChild& watch, Duration timeout) {
    spec.redirect_stderr = true;
    Result<Spawned> child = spawn_process(spec);
    if (!child) {
      finish_later(ProbeResult::fail(child.error()));
      return;
    }
    m_pid = child->pid;
    m_out = std::move(child->stdout_r);  // stdin: its write end closes here, so the probe reads EOF
    watch(m_pid, [this, alive = std::weak_ptr<bool>(m_alive)](int status) {
      if (!alive.expired()) {
        exited(status);
      }
    });
    Status st = m_loop.add_fd(m_out.get(), EPOLLIN, [this](uint32_t) { read_output(); });
    if (!st) {
      m_out.close();
    }
    arm_timeout(timeout, [this, timeout] {
      kill_child();
      finish(ProbeResult::fail(fmt::format("timed out after {} (killed)", seconds_text(timeout))));
    });
  }

 private:
  void kill_child() {
    if (m_pid > 0) {
      // The probe's whole process group: a shell's children go with it.
      (void)kill(-m_pid, SIGKILL);
      m_pid = 0;
    }
  }

  // Reads what is there; false at EOF or error (the pipe is then closed).
  bool read_output() {
    char buf[4096];
    while (true) {
      ssize_t n = read(m_out.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && errno == EAGAIN) {
        return true;
      }
      if (n <= 0) {
        m_loop.remove_fd(m_out.get());
        m_out.close();
        return false;
      }
      size_t keep = std::min(static_cast<size_t>(n), k_kept_output - std::min(k_kept_output, m_output.size()));
      m_output.append(buf, keep);
    }
  }

  void exited(int status) {
    m_pid = 0;
    if (m_out) {
      read_output();  // what the child wrote before it died
      m_loop.remove_fd(m_out.get());
      m_out.close();
    }
    if (finished()) {
      return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      finish(ProbeResult::pass());
      return;
    }
    std::string why = describe_wait_status(status);
    std::string first_line = m_output.substr(0, m_output.find('\n'));
    while (!first_line.empty() && (first_line.back() == '\r' || first_line.back() == ' ')) {
      first_line.pop_back();
    }
    if (!first_line.empty()) {
      why += ": " + first_line;
    }
    finish(ProbeResult::fail(why));
  }

  pid_t m_pid = 0;  // 0 once reaped or killed
  Fd m_out;
  std::string m_output;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

// file: one stat(2), answered from a timer.
class FileAttempt final : public AttemptBase {
 public:
  FileAttempt(EventLoop& loop, ProbeDone done) : AttemptBase(loop, std::move(done)) {}
  void begin(const std::string& path) {
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
      finish_later(ProbeResult::pass());
    } else {
      finish_later(ProbeResult::fail(fmt::format("{}: {}", path, errno_text(errno))));
    }
  }
};

class RefusedAttempt final : public AttemptBase {
 public:
  RefusedAttempt(EventLoop& loop, ProbeDone done, std::string why) : AttemptBase(loop, std::move(done)) {
    finish_later(ProbeResult::fail(std::move(why)));
  }
};

}  // namespace

LoopProber::LoopProber(EventLoop& loop, WatchChild watch, std::string hosts_path)
    : m_loop(loop), m_watch(std::move(watch)), m_hosts_path(std::move(hosts_path)) {}

std::unique_ptr<ProbeAttempt> LoopProber::start(const ProbeSpec& spec, const ProbeContext& ctx, Duration timeout,
                                                ProbeDone done) {
  switch (spec.kind) {
    case ProbeSpec::Kind::Tcp:
    case ProbeSpec::Kind::Http: {
      auto a = std::make_unique<ConnectAttempt>(m_loop, std::move(done));
      std::optional<std::string> request;
      if (spec.kind == ProbeSpec::Kind::Http) {
        request = http_request(spec.host, spec.port, spec.target);
      }
      a->begin(resolve_probe_address(spec.host, spec.port, [this] { return read_small_file(m_hosts_path); }),
               std::move(request), timeout);
      return a;
    }
    case ProbeSpec::Kind::Exec: {
      auto a = std::make_unique<ExecAttempt>(m_loop, std::move(done));
      SpawnSpec s = ctx.exec;
      s.command = spec.target;
      a->begin(std::move(s), m_watch, timeout);
      return a;
    }
    case ProbeSpec::Kind::File: {
      auto a = std::make_unique<FileAttempt>(m_loop, std::move(done));
      std::string path = spec.target;
      if (!path.empty() && path[0] != '/' && ctx.directory) {
        path = *ctx.directory + "/" + path;
      }
      a->begin(path);
      return a;
    }
    default:
      break;
  }
  // Not a probe kind (notify, fd, running): a mistake upstream, reported as a
  // failing attempt rather than a crash.
  return std::make_unique<RefusedAttempt>(m_loop, std::move(done),
                                          fmt::format("{} is not a probe", describe_probe(spec)));
}

}  // namespace tend::health
