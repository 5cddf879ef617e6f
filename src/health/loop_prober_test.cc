// The real probes on a real loop: sockets on 127.0.0.1, real exec children
// reaped by a small SIGCHLD handler standing in for the supervisor's reaper.
#include "health/loop_prober.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include "util/fd.h"

namespace tend::health {
namespace {

class LoopProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
    ASSERT_TRUE(loop->handle_signal(SIGCHLD, [this](const signalfd_siginfo&) { reap(); }).ok());
    prober = std::make_unique<LoopProber>(
        *loop, [this](pid_t pid, std::function<void(int)> on_exit) { watched[pid] = std::move(on_exit); },
        hosts_path);
    char tmpl[] = "/tmp/tend-probe-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    ctx.exec.inherited = process_environ();
    ctx.exec.search_path = "/usr/bin:/bin";
  }
  void TearDown() override {
    prober.reset();
    // Probe children killed by a cancel are reaped here.
    while (!watched.empty()) {
      loop->run_once(100);
    }
    [[maybe_unused]] int rc = std::system(("rm -rf " + dir).c_str());
  }
  void reap() {
    for (auto it = watched.begin(); it != watched.end();) {
      int status = 0;
      if (waitpid(it->first, &status, WNOHANG) == it->first) {
        auto on_exit = std::move(it->second);
        it = watched.erase(it);
        on_exit(status);
      } else {
        ++it;
      }
    }
  }
  // One attempt, run to its end (bounded by the test's own limit).
  ProbeResult probe(const ProbeSpec& spec, double timeout = 5) {
    std::optional<ProbeResult> result;
    auto attempt = prober->start(spec, ctx, seconds_d(timeout), [&](const ProbeResult& r) { result = r; });
    EXPECT_FALSE(result) << "done must not run before start returns";
    MonoTime limit = loop->now() + seconds_d(10);
    while (!result && loop->now() < limit) {
      loop->run_once(100);
    }
    EXPECT_TRUE(result) << "no result within 10 s";
    return result.value_or(ProbeResult::fail("none"));
  }
  // A listening socket on 127.0.0.1; returns its port.
  int listen_tcp(Fd* out) {
    Fd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(s.get(), 8), 0);
    socklen_t len = sizeof a;
    getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
    *out = std::move(s);
    return ntohs(a.sin_port);
  }
  // A port nothing listens on (bound, then closed).
  int closed_port() {
    Fd s;
    int port = listen_tcp(&s);
    return port;
  }
  // Serves `response` on each connection, on the loop (the probe runs on
  // the same thread: nothing here may block), once the request has come.
  void serve_http(int listener, std::string response) {
    ASSERT_TRUE(loop->add_fd(listener, EPOLLIN, [this, listener, response](uint32_t) {
      int c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (c < 0) {
        return;
      }
      requests.emplace_back();
      size_t index = requests.size() - 1;
      (void)loop->add_fd(c, EPOLLIN, [this, c, index, response](uint32_t) {
        char buf[2048];
        ssize_t n = read(c, buf, sizeof buf);
        if (n > 0) {
          requests[index].append(buf, static_cast<size_t>(n));
        }
        if (n > 0 && requests[index].find("\r\n\r\n") == std::string::npos) {
          return;
        }
        (void)!write(c, response.data(), response.size());
        loop->remove_fd(c);
        close(c);
      });
    }).ok());
  }
  static ProbeSpec spec(ProbeSpec::Kind kind, int port = 0, std::string target = "", std::string host = "127.0.0.1") {
    ProbeSpec s;
    s.kind = kind;
    s.host = std::move(host);
    s.port = port;
    s.target = std::move(target);
    return s;
  }

  std::unique_ptr<EventLoop> loop;
  std::string hosts_path = "/etc/hosts";
  std::unique_ptr<LoopProber> prober;
  std::map<pid_t, std::function<void(int)>> watched;
  std::vector<std::string> requests;
  ProbeContext ctx;
  std::string dir;
};

using K = ProbeSpec::Kind;

TEST_F(LoopProberTest, TcpPassesWhenAConnectionIsAccepted) {
  Fd l;
  int port = listen_tcp(&l);
  ProbeResult r = probe(spec(K::Tcp, port));
  EXPECT_TRUE(r.passed) << r.error;
}

TEST_F(LoopProberTest, TcpFailsWithTheReason) {
  ProbeResult r = probe(spec(K::Tcp, closed_port()));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.error, "connection refused");
  r = probe(spec(K::Tcp, 80, "", "no-such-host.invalid"));
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.error.find("unable to resolve no-such-host.invalid"), std::string::npos) << r.error;
}

TEST_F(LoopProberTest, TcpByNameThroughHosts) {
  std::ofstream(dir + "/hosts") << "127.0.0.1 db\n";
  hosts_path = dir + "/hosts";
  prober = std::make_unique<LoopProber>(*loop, [](pid_t, std::function<void(int)>) {}, hosts_path);
  Fd l;
  int port = listen_tcp(&l);
  EXPECT_TRUE(probe(spec(K::Tcp, port, "", "db")).passed);
}

TEST_F(LoopProberTest, HttpPassesOn2xxAnd3xxOnly) {
  Fd l;
  int port = listen_tcp(&l);
  serve_http(l.get(), "HTTP/1.1 204 No Content\r\n\r\n");
  ProbeResult r = probe(spec(K::Http, port, "/healthz?full=1"));
  EXPECT_TRUE(r.passed) << r.error;
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].rfind("GET /healthz?full=1 HTTP/1.1\r\nHost: 127.0.0.1:", 0), 0u) << requests[0];
}

TEST_F(LoopProberTest, HttpFailures) {
  struct Case {
    const char* response;
    const char* error;
  };
  const Case cases[] = {
      {"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", "HTTP status 503"},
      {"SSH-2.0-OpenSSH\r\n", "not an HTTP response"},
      {"", "connection closed without a response"},
  };
  for (const Case& c : cases) {
    Fd l;
    int port = listen_tcp(&l);
    serve_http(l.get(), c.response);
    ProbeResult r = probe(spec(K::Http, port, "/"));
    EXPECT_FALSE(r.passed);
    EXPECT_EQ(r.error, c.error);
    loop->remove_fd(l.get());
  }
}

TEST_F(LoopProberTest, HttpTimesOutWhenNoAnswerComes) {
  Fd l;
  int port = listen_tcp(&l);  // the kernel accepts; nobody answers
  ProbeResult r = probe(spec(K::Http, port, "/"), 0.2);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.error, "no HTTP status line within 0.2s");
}

TEST_F(LoopProberTest, ExecPassesOnExitZero) {
  ProbeResult r = probe(spec(K::Exec, 0, "true"));
  EXPECT_TRUE(r.passed) << r.error;
}

TEST_F(LoopProberTest, ExecFailureCarriesStatusAndFirstLine) {
  ProbeResult r = probe(spec(K::Exec, 0, "/bin/sh -c 'echo \"db not up\"; echo second; exit 3'"));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.error, "exit status 3: db not up");
  r = probe(spec(K::Exec, 0, "/bin/sh -c 'echo to stderr >&2; exit 1'"));
  EXPECT_EQ(r.error, "exit status 1: to stderr");
  r = probe(spec(K::Exec, 0, "no-such-command-xyz"));
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.error.find("can't find command 'no-such-command-xyz'"), std::string::npos) << r.error;
}

TEST_F(LoopProberTest, AHangingExecIsKilledAtItsTimeoutWithItsChildren) {
  std::string pids = dir + "/pids";
  // 2 s: time enough for the shell to write its pids on a loaded machine.
  ProbeResult r = probe(spec(K::Exec, 0, "/bin/sh -c 'sleep 30 & echo $! $$ > " + pids + "; wait'"), 2);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.error, "timed out after 2s (killed)");
  pid_t sleeper = 0;
  pid_t shell = 0;
  std::ifstream(pids) >> sleeper >> shell;
  ASSERT_GT(sleeper, 0);
  // The whole process group got SIGKILL: the shell is reaped, its sleep gone.
  MonoTime limit = loop->now() + seconds_d(5);
  while (!watched.empty() && loop->now() < limit) {
    loop->run_once(100);
  }
  EXPECT_TRUE(watched.empty());
  // The sleep got its SIGKILL with the shell, but may take a moment to die
  // on a loaded machine: its pidfd turns readable when it has exited.
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, sleeper, 0)));
  if (pidfd) {
    pollfd pfd{pidfd.get(), POLLIN, 0};
    EXPECT_EQ(poll(&pfd, 1, 5000), 1) << "the sleep outlived its process group's SIGKILL";
  } else {
    EXPECT_EQ(errno, ESRCH);  // already gone
  }
}

TEST_F(LoopProberTest, ExecRunsInTheProgramsDirectoryWithItsEnvironment) {
  ctx.exec.directory = dir;
  ctx.exec.configured = {{"PROBE_WANT", "yes"}};
  ProbeResult r = probe(spec(K::Exec, 0, "/bin/sh -c 'test \"$PROBE_WANT\" = yes && test \"$PWD\" = " + dir + "'"));
  EXPECT_TRUE(r.passed) << r.error;
}

TEST_F(LoopProberTest, CancellingAnExecKillsTheChild) {
  bool called = false;
  auto attempt = prober->start(spec(K::Exec, 0, "sleep 30"), ctx, seconds_d(30), [&](const ProbeResult&) {
    called = true;
  });
  ASSERT_EQ(watched.size(), 1u);
  attempt.reset();
  MonoTime limit = loop->now() + seconds_d(5);
  while (!watched.empty() && loop->now() < limit) {
    loop->run_once(100);
  }
  EXPECT_TRUE(watched.empty());  // reaped: it was killed
  EXPECT_FALSE(called);
}

TEST_F(LoopProberTest, FileExistsRelativeToTheProgramsDirectory) {
  ctx.directory = dir;
  EXPECT_FALSE(probe(spec(K::File, 0, "app.pid")).passed);
  EXPECT_EQ(probe(spec(K::File, 0, "app.pid")).error, dir + "/app.pid: no such file or directory");
  std::ofstream(dir + "/app.pid") << "1\n";
  EXPECT_TRUE(probe(spec(K::File, 0, "app.pid")).passed);
  EXPECT_TRUE(probe(spec(K::File, 0, dir + "/app.pid")).passed);
}

TEST_F(LoopProberTest, NotAProbeKindFailsInsteadOfCrashing) {
  ProbeResult r = probe(spec(K::Notify));
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.error, "notify is not a probe");
}

}  // namespace
}  // namespace tend::health
