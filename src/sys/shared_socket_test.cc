#include "sys/shared_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fakes/missing_tool.h"

namespace tend {
namespace {

class SharedSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-shared-socket-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { (void)std::system(("rm -rf " + m_dir).c_str()); }

  std::string path(const std::string& name) const { return m_dir + "/" + name; }

  std::string m_dir;
};

bool exists(const std::string& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0;
}

// A non-blocking client connection; -1 (errno set) when refused.
int connect_unix(const std::string& p) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, p.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

int connect_tcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Children get the socket itself: it must be an ordinary blocking socket that
// tend does not leak into other children (close-on-exec).
void expect_child_ready(int fd) {
  int fl = fcntl(fd, F_GETFL);
  int fdfl = fcntl(fd, F_GETFD);
  EXPECT_EQ(fl & O_NONBLOCK, 0);
  EXPECT_NE(fdfl & FD_CLOEXEC, 0);
  int listening = 0;
  socklen_t len = sizeof listening;
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len), 0);
  EXPECT_EQ(listening, 1);
}

TEST_F(SharedSocketTest, UnixSocketHasItsModeAndServesAndGoesAwayOnClose) {
  SharedSocketOptions o;
  o.mode = 0660;
  std::string p = path("web.sock");
  Result<SharedSocket> s = SharedSocket::open("unix://" + p, o);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(s->url(), "unix://" + p);
  EXPECT_EQ(s->unix_path(), p);
  expect_child_ready(s->fd());
  struct stat st {};
  ASSERT_EQ(lstat(p.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  int c = connect_unix(p);
  ASSERT_GE(c, 0) << strerror(errno);
  int a = accept(s->fd(), nullptr, nullptr);
  EXPECT_GE(a, 0);
  close(a);
  close(c);
  s->close();
  EXPECT_FALSE(exists(p));
  EXPECT_EQ(s->fd(), -1);
}

TEST_F(SharedSocketTest, UnixSocketOwner) {
  if (geteuid() != 0) {
    TEND_SKIP_MISSING("root (chown to another user)");
  }
  SharedSocketOptions o;
  o.owner_uid = 65534;
  o.owner_gid = 65533;
  o.mode = 0600;
  std::string p = path("owned.sock");
  Result<SharedSocket> s = SharedSocket::open("unix://" + p, o);
  ASSERT_TRUE(s.ok()) << s.error();
  struct stat st {};
  ASSERT_EQ(lstat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65533u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  // A user without a group keeps the group the file was created with.
  o.owner_gid.reset();
  std::string q = path("user-only.sock");
  Result<SharedSocket> t = SharedSocket::open("unix://" + q, o);
  ASSERT_TRUE(t.ok()) << t.error();
  ASSERT_EQ(lstat(q.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, getegid());
}

TEST_F(SharedSocketTest, AStaleSocketFileIsReplaced) {
  std::string p = path("stale.sock");
  {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, p.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    close(fd);  // the file stays: nobody listens there
  }
  ASSERT_EQ(connect_unix(p), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  Result<SharedSocket> s = SharedSocket::open("unix://" + p, {});
  ASSERT_TRUE(s.ok()) << s.error();
  int c = connect_unix(p);
  EXPECT_GE(c, 0);
  close(c);
}

TEST_F(SharedSocketTest, ClosingLeavesASuccessorsFileAlone) {
  std::string p = path("shared.sock");
  Result<SharedSocket> first = SharedSocket::open("unix://" + p, {});
  ASSERT_TRUE(first.ok()) << first.error();
  Result<SharedSocket> second = SharedSocket::open("unix://" + p, {});  // takes the path over
  ASSERT_TRUE(second.ok()) << second.error();
  first->close();
  EXPECT_TRUE(exists(p));
  SharedSocket moved = std::move(*second);
  EXPECT_EQ(second->unix_path(), "");
  second->close();  // the moved-from object owns nothing
  EXPECT_TRUE(exists(p));
  moved.close();
  EXPECT_FALSE(exists(p));
}

TEST_F(SharedSocketTest, ANonSocketAtThePathIsRefusedAndKept) {
  std::string p = path("data.txt");
  std::ofstream(p) << "keep me";
  Result<SharedSocket> s = SharedSocket::open("unix://" + p, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), p + " exists and is not a socket");
  std::ifstream in(p);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "keep me");
}

TEST_F(SharedSocketTest, UnixErrorsAreSupervisordsTexts) {
  Result<SharedSocket> missing = SharedSocket::open("unix://" + path("nodir/x.sock"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "[Errno 2] No such file or directory");

  Result<SharedSocket> too_long = SharedSocket::open("unix://" + path(std::string(120, 'x')), {});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error(), "AF_UNIX path too long");

  Result<SharedSocket> bad = SharedSocket::open("udp://x:1", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "Bad socket format udp://x:1");
}

TEST_F(SharedSocketTest, PermissionDeniedIsReported) {
  // A directory the binding user may not write to: as root, a child that
  // became nobody tries; otherwise the test itself does, in "/".
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(report[0]);
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
      _exit(2);
    }
    Result<SharedSocket> s = SharedSocket::open(fmt::format("unix:///tend-test-{}.sock", getpid()), {});
    std::string text = s.ok() ? "bound" : s.error();
    (void)!write(report[1], text.data(), text.size());
    _exit(0);
  }
  close(report[1]);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = read(report[0], buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<size_t>(n));
  }
  close(report[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(text, "[Errno 13] Permission denied");
}

TEST_F(SharedSocketTest, TcpOnAnyFreePort) {
  Result<SharedSocket> s = SharedSocket::open("tcp://127.0.0.1:0", {});
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_GT(s->port(), 0);
  EXPECT_EQ(s->unix_path(), "");
  expect_child_ready(s->fd());
  int c = connect_tcp(s->port());
  ASSERT_GE(c, 0);
  int a = accept(s->fd(), nullptr, nullptr);
  EXPECT_GE(a, 0);
  close(a);
  close(c);
}

TEST_F(SharedSocketTest, TcpLocalhostIsLoopback) {
  Result<SharedSocket> s = SharedSocket::open("tcp://localhost:0", {});
  ASSERT_TRUE(s.ok()) << s.error();
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(s->fd(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  EXPECT_EQ(ntohl(addr.sin_addr.s_addr), INADDR_LOOPBACK);
}

TEST_F(SharedSocketTest, TcpErrorsAreSupervisordsTexts) {
  Result<SharedSocket> first = SharedSocket::open("tcp://127.0.0.1:0", {});
  ASSERT_TRUE(first.ok()) << first.error();
  Result<SharedSocket> taken = SharedSocket::open(fmt::format("tcp://127.0.0.1:{}", first->port()), {});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error(), "[Errno 98] Address already in use");

  // An address of no local interface (TEST-NET-1).
  Result<SharedSocket> foreign = SharedSocket::open("tcp://192.0.2.1:0", {});
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error(), "[Errno 99] Cannot assign requested address");

  // Not an IPv4 address, nor (here) a name: a resolver error, as a gaierror.
  Result<SharedSocket> unknown = SharedSocket::open("tcp://256.1.1.1:80", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().rfind("[Errno -", 0), 0u) << unknown.error();
}

// How many non-blocking connections a unix listener queues before it refuses
// (EAGAIN): its backlog, plus one on Linux.
int queued_connections(const std::string& p, int limit) {
  std::vector<int> fds;
  while (static_cast<int>(fds.size()) < limit) {
    int c = connect_unix(p);
    if (c < 0) {
      break;
    }
    fds.push_back(c);
  }
  for (int fd : fds) {
    close(fd);
  }
  return static_cast<int>(fds.size());
}

TEST_F(SharedSocketTest, Backlog) {
  SharedSocketOptions small;
  small.backlog = 2;
  Result<SharedSocket> s = SharedSocket::open("unix://" + path("small.sock"), small);
  ASSERT_TRUE(s.ok()) << s.error();
  int n = queued_connections(path("small.sock"), 100);
  EXPECT_GE(n, 2);
  EXPECT_LE(n, 3);

  // Default: SOMAXCONN (at least 128 on every kernel).
  Result<SharedSocket> d = SharedSocket::open("unix://" + path("default.sock"), {});
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(queued_connections(path("default.sock"), 120), 120);
}

TEST(PythonOsError, Texts) {
  EXPECT_EQ(python_os_error(ENOENT), "[Errno 2] No such file or directory");
  EXPECT_EQ(python_os_error(EPERM, "/run/x.sock"), "[Errno 1] Operation not permitted: '/run/x.sock'");
}

}  // namespace
}  // namespace tend
