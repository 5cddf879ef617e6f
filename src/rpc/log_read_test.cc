#include "rpc/log_read.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace tend::rpc {
namespace {

class LogReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-logread-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    path = dir + "/log";
    std::ofstream(path) << "0123456789";
  }
  void TearDown() override { (void)!system(("rm -rf " + dir).c_str()); }
  std::string dir;
  std::string path;
};

TEST_F(LogReadTest, ReadFileArithmetic) {
  EXPECT_EQ(read_log_range(path, 0, 0).data, "0123456789");
  EXPECT_EQ(read_log_range(path, 3, 0).data, "3456789");
  EXPECT_EQ(read_log_range(path, 3, 4).data, "3456");
  EXPECT_EQ(read_log_range(path, 8, 100).data, "89");
  EXPECT_EQ(read_log_range(path, 50, 0).data, "");
  EXPECT_EQ(read_log_range(path, -4, 0).data, "6789");
  EXPECT_EQ(read_log_range(path, -400, 0).data, "0123456789");
  EXPECT_TRUE(read_log_range(path, -4, 0).ok);
}

TEST_F(LogReadTest, ReadFileBadArgumentsAndFailures) {
  ReadResult r = read_log_range(path, -4, 2);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ReadError::BadArguments);
  r = read_log_range(path, 0, -1);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ReadError::BadArguments);
  r = read_log_range(dir + "/missing", 0, 0);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ReadError::Failed);
  r = read_log_range(dir, 0, 0);  // a directory
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, ReadError::Failed);
}

TEST_F(LogReadTest, NeverBlocksOnAFifo) {
  std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(read_log_range(fifo, 0, 0).ok);
  TailResult t = tail_log(fifo, 0, 10);
  EXPECT_EQ(t.data, "");
  EXPECT_FALSE(t.overflow);
  EXPECT_TRUE(read_log_range("/dev/null", 0, 0).ok);
}

TEST_F(LogReadTest, TailFileArithmetic) {
  TailResult t = tail_log(path, 0, 4);  // 10 > 0+4: overflow, last 4 bytes
  EXPECT_EQ(t.data, "6789");
  EXPECT_EQ(t.offset, 10);
  EXPECT_TRUE(t.overflow);
  t = tail_log(path, 8, 100);  // up to `length` bytes ending at the end
  EXPECT_EQ(t.data, "0123456789");
  EXPECT_EQ(t.offset, 10);
  EXPECT_FALSE(t.overflow);
  t = tail_log(path, 10, 100);
  EXPECT_EQ(t.data, "");
  EXPECT_EQ(t.offset, 10);
  t = tail_log(path, 0, 0);
  EXPECT_EQ(t.data, "");
  EXPECT_TRUE(t.overflow);
  t = tail_log(path, 5, 1);
  EXPECT_EQ(t.data, "9");
  EXPECT_TRUE(t.overflow);
  t = tail_log(dir + "/missing", 7, 3);
  EXPECT_EQ(t.offset, 7);
  EXPECT_FALSE(t.overflow);
  t = tail_log(path, -5, 3);  // 10 > -2: overflow, last 3 bytes
  EXPECT_EQ(t.data, "789");
}

TEST(SanitizeTest, KeepsValidUtf8AndReplacesTheRest) {
  EXPECT_EQ(sanitize_for_xml("plain\ttext\r\n"), "plain\ttext\r\n");
  EXPECT_EQ(sanitize_for_xml("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(sanitize_for_xml("a\xC3"), "a\xEF\xBF\xBD");             // cut multibyte character
  EXPECT_EQ(sanitize_for_xml("\xA9z"), "\xEF\xBF\xBDz");              // lone continuation byte
  EXPECT_EQ(sanitize_for_xml("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(sanitize_for_xml("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(sanitize_for_xml("\x1b[31mred"), "\xEF\xBF\xBD[31mred");   // XML cannot carry ESC
  EXPECT_EQ(sanitize_for_xml(std::string("a\0b", 3)), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(sanitize_for_xml("\xEF\xBF\xBF"), "\xEF\xBF\xBD");           // U+FFFF
}

}  // namespace
}  // namespace tend::rpc
