#include "log/rotating_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "log/log_test_util.h"

namespace tend {
namespace {

using logtest::exists;
using logtest::slurp;
using logtest::spit;
using logtest::TempDir;

TEST(RotatingFile, AppendsToExistingFileAndCountsItsSize) {
  TempDir dir;
  std::string p = dir.file("a.log");
  spit(p, "old\n");
  Result<RotatingFile> f = RotatingFile::open(p, 1000, 3);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_TRUE(f->seekable());
  EXPECT_EQ(f->size(), 4);
  ASSERT_TRUE(f->write("new\n").ok());
  EXPECT_EQ(f->size(), 8);
  EXPECT_EQ(slurp(p), "old\nnew\n");
  EXPECT_EQ(f->path(), p);
}

TEST(RotatingFile, CreatedWithUmaskAppliedTo0666) {
  TempDir dir;
  mode_t old = ::umask(022);
  Result<RotatingFile> f = RotatingFile::open(dir.file("m.log"));
  ::umask(old);
  ASSERT_TRUE(f.ok());
  struct stat st {};
  ASSERT_EQ(::stat(dir.file("m.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_NE(::fcntl(f->fd(), F_GETFD) & FD_CLOEXEC, 0);
}

TEST(RotatingFile, RotationNamesNewestBackupDotOne) {
  TempDir dir;
  std::string p = dir.file("a.log");
  Result<RotatingFile> f = RotatingFile::open(p, 10, 2);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->write("aaaaaaaaaa").ok());  // reaches maxbytes: rotate
  EXPECT_EQ(slurp(p), "");
  EXPECT_EQ(slurp(p + ".1"), "aaaaaaaaaa");
  EXPECT_EQ(f->size(), 0);
  ASSERT_TRUE(f->write("bbbbb").ok());  // below maxbytes: no rotation
  EXPECT_EQ(slurp(p), "bbbbb");
  ASSERT_TRUE(f->write("bbbbbb").ok());  // 11 >= 10: rotate, overshoot kept whole
  EXPECT_EQ(slurp(p + ".1"), "bbbbbbbbbbb");
  EXPECT_EQ(slurp(p + ".2"), "aaaaaaaaaa");
  ASSERT_TRUE(f->write("cccccccccc").ok());
  EXPECT_EQ(slurp(p + ".1"), "cccccccccc");
  EXPECT_EQ(slurp(p + ".2"), "bbbbbbbbbbb");
  EXPECT_FALSE(exists(p + ".3"));  // the oldest fell off
  ASSERT_TRUE(f->write("d").ok());
  EXPECT_EQ(slurp(p), "d");
}

TEST(RotatingFile, ZeroBackupsJustTruncates) {
  TempDir dir;
  std::string p = dir.file("a.log");
  Result<RotatingFile> f = RotatingFile::open(p, 8, 0);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->write("12345678").ok());
  EXPECT_EQ(slurp(p), "");
  EXPECT_FALSE(exists(p + ".1"));
  ASSERT_TRUE(f->write("xy").ok());
  EXPECT_EQ(slurp(p), "xy");
}

TEST(RotatingFile, ZeroMaxbytesNeverRotates) {
  TempDir dir;
  std::string p = dir.file("a.log");
  Result<RotatingFile> f = RotatingFile::open(p, 0, 5);
  ASSERT_TRUE(f.ok());
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(f->write("0123456789").ok());
  }
  EXPECT_EQ(slurp(p).size(), 1000u);
  EXPECT_FALSE(exists(p + ".1"));
}

TEST(RotatingFile, ExistingFileOverMaxbytesRotatesAfterNextWrite) {
  TempDir dir;
  std::string p = dir.file("a.log");
  spit(p, std::string(100, 'o'));
  Result<RotatingFile> f = RotatingFile::open(p, 50, 1);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->write("n").ok());
  EXPECT_EQ(slurp(p + ".1"), std::string(100, 'o') + "n");
  EXPECT_EQ(slurp(p), "");
}

TEST(RotatingFile, NoByteLostAcrossManyRotations) {
  TempDir dir;
  std::string p = dir.file("big.log");
  const int64_t k_max = 64 * 1024;
  Result<RotatingFile> f = RotatingFile::open(p, k_max, 100);
  ASSERT_TRUE(f.ok());
  std::string all;
  all.reserve(1 << 20);
  uint32_t seed = 12345;
  while (all.size() < (1u << 20)) {
    seed = seed * 1103515245u + 12345u;
    size_t len = 1 + (seed >> 8) % 7919;  // odd-sized chunks up to ~8 KiB
    std::string chunk;
    for (size_t i = 0; i < len; ++i) {
      chunk.push_back(static_cast<char>('a' + (all.size() + i) % 26));
    }
    ASSERT_TRUE(f->write(chunk).ok());
    all += chunk;
  }
  int n = 0;
  while (exists(p + "." + std::to_string(n + 1))) {
    ++n;
  }
  ASSERT_GE(n, 10);
  std::string joined;
  for (int i = n; i >= 1; --i) {
    std::string part = slurp(p + "." + std::to_string(i));
    EXPECT_GE(static_cast<int64_t>(part.size()), k_max);
    EXPECT_LT(static_cast<int64_t>(part.size()), k_max + 8000);
    joined += part;
  }
  joined += slurp(p);
  EXPECT_EQ(joined.size(), all.size());
  EXPECT_TRUE(joined == all);
}

TEST(RotatingFile, PathNeverGoesMissingDuringRotation) {
  // A reader that polls the path (tail -F, a log shipper, a benchmark) must
  // not see ENOENT between moving the file to name.1 and creating a new one.
  TempDir dir;
  std::string p = dir.file("a.log");
  Result<RotatingFile> f = RotatingFile::open(p, 100, 2);
  ASSERT_TRUE(f.ok());
  std::atomic<bool> done{false};
  std::atomic<int> misses{0};
  std::atomic<int> polls{0};
  std::thread poller([&] {
    struct stat st {};
    while (!done.load()) {
      if (::stat(p.c_str(), &st) != 0) {
        misses.fetch_add(1);
      }
      polls.fetch_add(1);
    }
  });
  std::string chunk(100, 'x');
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(f->write(chunk).ok());  // every write rotates
  }
  done = true;
  poller.join();
  EXPECT_GT(polls.load(), 0);
  EXPECT_EQ(misses.load(), 0);
  EXPECT_EQ(slurp(p), "");
  EXPECT_EQ(slurp(p + ".1"), chunk);
  EXPECT_EQ(slurp(p + ".2"), chunk);
  EXPECT_FALSE(exists(p + ".3"));
  EXPECT_FALSE(exists(p + ".rotating"));
  ASSERT_TRUE(f->write("tail").ok());
  EXPECT_EQ(slurp(p), "tail");  // the descriptor follows the fresh file
}

TEST(RotatingFile, FifoTargetNeverRotatesNorFails) {
  TempDir dir;
  std::string p = dir.file("fifo");
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  int rd = ::open(p.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(rd, 0);
  Result<RotatingFile> f = RotatingFile::open(p, 10, 3);  // maxbytes > 0, like the 50MB default
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_FALSE(f->seekable());
  for (int i = 0; i < 20; ++i) {
    Status st = f->write("0123456789abcdef");
    ASSERT_TRUE(st.ok()) << st.error();
  }
  EXPECT_EQ(logtest::drain(rd), [] {
    std::string s;
    for (int i = 0; i < 20; ++i) {
      s += "0123456789abcdef";
    }
    return s;
  }());
  EXPECT_FALSE(exists(p + ".1"));
  ASSERT_TRUE(f->reopen().ok());
  ASSERT_TRUE(f->clear().ok());
  struct stat st {};
  ASSERT_EQ(::lstat(p.c_str(), &st), 0);  // clear() never unlinks a FIFO
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ::close(rd);
}

TEST(RotatingFile, PipeBehindProcSelfFdWorksLikeDevStdout) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  Result<RotatingFile> f = RotatingFile::open("/proc/self/fd/" + std::to_string(fds[1]), 4, 2);
  ASSERT_TRUE(f.ok()) << f.error();
  ASSERT_TRUE(f->write("hello\n").ok());
  ASSERT_TRUE(f->write("world\n").ok());
  EXPECT_EQ(logtest::drain(fds[0]), "hello\nworld\n");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(RotatingFile, SocketBehindDevFdFallsBackToDup) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Result<RotatingFile> f = RotatingFile::open("/dev/fd/" + std::to_string(sv[1]), 1, 1);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_NE(f->fd(), sv[1]);
  ASSERT_TRUE(f->write("via socket\n").ok());
  char buf[64];
  ssize_t n = ::read(sv[0], buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "via socket\n");
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST(RotatingFile, DevNullWithMaxbytesIsFine) {
  Result<RotatingFile> f = RotatingFile::open("/dev/null", 1, 10);
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(f->seekable());
  EXPECT_TRUE(f->write("anything").ok());
  EXPECT_TRUE(f->clear().ok());
  EXPECT_TRUE(exists("/dev/null"));
}

TEST(RotatingFile, OpenErrorNamesPathAndReason) {
  Result<RotatingFile> f = RotatingFile::open("/nonexistent-dir-tend/x.log", 10, 1);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error(), "unable to open /nonexistent-dir-tend/x.log: No such file or directory");
}

TEST(RotatingFile, ReopenFollowsExternalRotation) {
  TempDir dir;
  std::string p = dir.file("a.log");
  Result<RotatingFile> f = RotatingFile::open(p, 0, 0);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->write("before\n").ok());
  ASSERT_EQ(::rename(p.c_str(), (p + ".moved").c_str()), 0);
  ASSERT_TRUE(f->write("still old\n").ok());
  ASSERT_TRUE(f->reopen().ok());
  ASSERT_TRUE(f->write("after\n").ok());
  EXPECT_EQ(slurp(p + ".moved"), "before\nstill old\n");
  EXPECT_EQ(slurp(p), "after\n");
}

TEST(RotatingFile, ReopenFailureKeepsOldDescriptor) {
  TempDir dir;
  std::string sub = dir.file("sub");
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  std::string p = sub + "/a.log";
  Result<RotatingFile> f = RotatingFile::open(p);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(::rename(sub.c_str(), (sub + "2").c_str()), 0);
  Status st = f->reopen();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "unable to open " + p + ": No such file or directory");
  EXPECT_TRUE(f->write("kept\n").ok());
  EXPECT_EQ(slurp(sub + "2/a.log"), "kept\n");
}

TEST(RotatingFile, ClearRemovesFileButKeepsBackups) {
  TempDir dir;
  std::string p = dir.file("a.log");
  Result<RotatingFile> f = RotatingFile::open(p, 5, 2);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->write("12345").ok());
  ASSERT_TRUE(f->write("abc").ok());
  ASSERT_TRUE(f->clear().ok());
  EXPECT_EQ(slurp(p), "");
  EXPECT_EQ(f->size(), 0);
  EXPECT_EQ(slurp(p + ".1"), "12345");
  ASSERT_TRUE(f->write("z").ok());
  EXPECT_EQ(slurp(p), "z");
}

TEST(RotatingFile, MovedObjectKeepsWorking) {
  TempDir dir;
  std::string p = dir.file("a.log");
  Result<RotatingFile> f = RotatingFile::open(p);
  ASSERT_TRUE(f.ok());
  RotatingFile g = std::move(*f);
  ASSERT_TRUE(g.write("x").ok());
  EXPECT_EQ(slurp(p), "x");
}

}  // namespace
}  // namespace tend
