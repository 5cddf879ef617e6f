#include "http/listener.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fstream>

#include <fmt/format.h>

#include "http/auth.h"
#include "fakes/http_test_support.h"
#include "util/base64.h"

namespace tend::http {
namespace {

using testing::connect_unix;
using testing::TempDir;

UnixListenOptions at(const std::string& path, mode_t mode = 0700) {
  UnixListenOptions o;
  o.path = path;
  o.mode = mode;
  return o;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0);
  return st.st_mode;
}

TEST(UnixListener, ModeDefaultAndCustom) {
  TempDir dir;
  Result<ListeningSocket> a = listen_unix(at(dir.file("a.sock")));
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_TRUE(S_ISSOCK(mode_of(dir.file("a.sock"))));
  EXPECT_EQ(mode_of(dir.file("a.sock")) & 07777, 0700u);
  UnixListenOptions o = at(dir.file("b.sock"), 0660);
  Result<ListeningSocket> b = listen_unix(o);
  ASSERT_TRUE(b.ok()) << b.error();
  EXPECT_EQ(mode_of(dir.file("b.sock")) & 07777, 0660u);
  // The temporary <file>.<pid> name is gone.
  EXPECT_NE(access(fmt::format("{}.{}", dir.file("a.sock"), getpid()).c_str(), F_OK), 0);
  EXPECT_FALSE(a->replaced_stale());
}

TEST(UnixListener, RemovesItsFileOnClose) {
  TempDir dir;
  std::string path = dir.file("x.sock");
  {
    Result<ListeningSocket> a = listen_unix(at(path));
    ASSERT_TRUE(a.ok()) << a.error();
    EXPECT_TRUE(connect_unix(path).valid());
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

TEST(UnixListener, ReplacesStaleSocket) {
  TempDir dir;
  std::string path = dir.file("stale.sock");
  {
    // A socket file whose server is gone: bound, never listening, closed.
    Fd fd(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  Result<ListeningSocket> a = listen_unix(at(path));
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_TRUE(a->replaced_stale());
  EXPECT_TRUE(connect_unix(path).valid());
}

TEST(UnixListener, DoesNotStealLiveSocket) {
  TempDir dir;
  std::string path = dir.file("live.sock");
  Result<ListeningSocket> first = listen_unix(at(path));
  ASSERT_TRUE(first.ok()) << first.error();
  struct stat before {};
  ASSERT_EQ(lstat(path.c_str(), &before), 0);
  Result<ListeningSocket> second = listen_unix(at(path));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("another program is already listening"), std::string::npos) << second.error();
  struct stat after {};
  ASSERT_EQ(lstat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_TRUE(connect_unix(path).valid());
}

TEST(UnixListener, RefusesToReplaceARegularFile) {
  TempDir dir;
  std::string path = dir.file("file");
  std::ofstream(path) << "data";
  Result<ListeningSocket> a = listen_unix(at(path));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().find("not a socket"), std::string::npos) << a.error();
  EXPECT_EQ(access(path.c_str(), F_OK), 0);
}

TEST(UnixListener, DoesNotUnlinkASuccessorsSocket) {
  TempDir dir;
  std::string path = dir.file("s.sock");
  Result<ListeningSocket> a = listen_unix(at(path));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(unlink(path.c_str()), 0);
  Result<ListeningSocket> b = listen_unix(at(path));
  ASSERT_TRUE(b.ok()) << b.error();
  a->close();
  EXPECT_EQ(access(path.c_str(), F_OK), 0);
}

TEST(UnixListener, PathTooLong) {
  EXPECT_FALSE(listen_unix(at("/tmp/" + std::string(200, 'x'))).ok());
}

TEST(TcpListener, PortZeroAndReuse) {
  Result<ListeningSocket> a = listen_tcp("127.0.0.1", 0);
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_GT(a->port(), 0);
  Result<ListeningSocket> clash = listen_tcp("127.0.0.1", a->port());
  EXPECT_FALSE(clash.ok());
  EXPECT_FALSE(listen_tcp("no-such-host.invalid", 0).ok());
}

TEST(BasicAuth, Checks) {
  Credentials none;
  EXPECT_TRUE(check_basic_auth(none, nullptr));
  Credentials plain{"user", "123"};
  std::string good = "Basic " + base64_encode("user:123");
  std::string bad_pass = "Basic " + base64_encode("user:124");
  std::string bad_user = "Basic " + base64_encode("usr:123");
  std::string colon_pass = "Basic " + base64_encode("user:1:2");
  EXPECT_FALSE(check_basic_auth(plain, nullptr));
  EXPECT_TRUE(check_basic_auth(plain, &good));
  std::string lower_scheme = "basic " + base64_encode("user:123");
  EXPECT_TRUE(check_basic_auth(plain, &lower_scheme));
  EXPECT_FALSE(check_basic_auth(plain, &bad_pass));
  EXPECT_FALSE(check_basic_auth(plain, &bad_user));
  EXPECT_FALSE(check_basic_auth(plain, &colon_pass));
  std::string garbage = "Basic !!!";
  std::string bearer = "Bearer " + base64_encode("user:123");
  EXPECT_FALSE(check_basic_auth(plain, &garbage));
  EXPECT_FALSE(check_basic_auth(plain, &bearer));
  Credentials hashed{"user", "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef"};  // sha1("123")
  EXPECT_TRUE(check_basic_auth(hashed, &good));
  EXPECT_FALSE(check_basic_auth(hashed, &bad_pass));
  std::string literal = "Basic " + base64_encode("user:{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef");
  EXPECT_FALSE(check_basic_auth(hashed, &literal));
  Credentials with_colon{"u", "a:b"};
  std::string colon_ok = "Basic " + base64_encode("u:a:b");
  EXPECT_TRUE(check_basic_auth(with_colon, &colon_ok));
}

TEST(BasicAuth, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
}

}  // namespace
}  // namespace tend::http
