#include "health/s6_service_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace tend::health {
namespace {

class S6ServiceDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-s6-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
  }
  void TearDown() override { [[maybe_unused]] int rc = std::system(("rm -rf " + dir).c_str()); }
  // What s6-notifyoncheck asks before it starts: is supervise/lock locked?
  bool lock_held() {
    int fd = open((dir + "/supervise/lock").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return false;
    }
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    bool held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return held;
  }
  std::string dir;
};

TEST_F(S6ServiceDirTest, ADirectoryWithoutSuperviseIsNotClaimed) {
  auto c = S6ServiceDir::claim(dir);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_FALSE(*c);
}

TEST_F(S6ServiceDirTest, TheLockIsHeldWhileClaimedAndNotAfter) {
  ASSERT_EQ(mkdir((dir + "/supervise").c_str(), 0755), 0);
  {
    auto c = S6ServiceDir::claim(dir);
    ASSERT_TRUE(c.ok()) << c.error();
    ASSERT_TRUE(*c);
    // An open-file-description lock: a classic F_GETLK sees it even from this
    // process, as s6-notifyoncheck does from the program's.
    EXPECT_TRUE(lock_held());
    auto again = S6ServiceDir::claim(dir);
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().find("another supervisor holds it"), std::string::npos) << again.error();
  }
  EXPECT_FALSE(lock_held());
}

TEST_F(S6ServiceDirTest, EventsGoToEveryFifoWithAReader) {
  ASSERT_EQ(mkdir((dir + "/supervise").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((dir + "/event").c_str(), 0755), 0);
  std::string listening = dir + "/event/.ftrig1:a";
  std::string deaf = dir + "/event/.ftrig1:b";  // its reader is gone
  ASSERT_EQ(mkfifo(listening.c_str(), 0600), 0);
  ASSERT_EQ(mkfifo(deaf.c_str(), 0600), 0);
  std::ofstream(dir + "/event/plain") << "not a fifo";
  int reader = open(listening.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  auto c = S6ServiceDir::claim(dir);
  ASSERT_TRUE(c.ok() && *c);
  (*c)->announce('u');
  (*c)->announce('d');
  char buf[8] = {};
  EXPECT_EQ(read(reader, buf, sizeof buf), 2);
  EXPECT_STREQ(buf, "ud");
  close(reader);
  std::ifstream plain(dir + "/event/plain");
  std::string text;
  std::getline(plain, text);
  EXPECT_EQ(text, "not a fifo");
}

TEST_F(S6ServiceDirTest, NotificationFdFile) {
  EXPECT_EQ(read_notification_fd_file(dir), std::nullopt);
  std::ofstream(dir + "/notification-fd") << "3\n";
  EXPECT_EQ(read_notification_fd_file(dir), 3);
  std::ofstream(dir + "/notification-fd") << "three\n";
  EXPECT_EQ(read_notification_fd_file(dir), std::nullopt);
}

}  // namespace
}  // namespace tend::health
