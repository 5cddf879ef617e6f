#include "log/auto_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <regex>
#include <string>

#include "log/log_test_util.h"

namespace tend {
namespace {

using logtest::TempDir;

TEST(AutoLog, CreatesUniqueExclusiveFileWithSupervisordName) {
  TempDir dir;
  Result<std::string> a = create_auto_log(dir.path() + "/", "web", Stream::Stdout, "supervisor");
  Result<std::string> b = create_auto_log(dir.path(), "web", Stream::Stdout, "supervisor");
  ASSERT_TRUE(a.ok()) << a.error();
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
  std::regex re(dir.path() + R"(/web-stdout---supervisor-[a-z0-9_]{8}\.log)");
  EXPECT_TRUE(std::regex_match(*a, re)) << *a;
  struct stat st {};
  ASSERT_EQ(::stat(a->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 0);
  Result<std::string> e = create_auto_log(dir.path(), "web", Stream::Stderr, "supervisor");
  ASSERT_TRUE(e.ok());
  EXPECT_NE(e->find("/web-stderr---supervisor-"), std::string::npos);
  EXPECT_TRUE(is_auto_log_name(e->substr(dir.path().size() + 1), "supervisor"));
}

TEST(AutoLog, CreateFailsInMissingDirectory) {
  Result<std::string> r = create_auto_log("/nonexistent-tend", "web", Stream::Stdout, "supervisor");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "unable to create AUTO log in /nonexistent-tend: No such file or directory");
}

TEST(AutoLog, NamePatternMatchesLikeSupervisord) {
  EXPECT_TRUE(is_auto_log_name("web-stdout---supervisor-abcd1234.log", "supervisor"));
  EXPECT_TRUE(is_auto_log_name("web-stdout---supervisor-abcd1234.log.1", "supervisor"));
  EXPECT_TRUE(is_auto_log_name("web-stdout---supervisor-abcd1234.log.10", "supervisor"));
  EXPECT_TRUE(is_auto_log_name("x---supervisor-y.logfile", "supervisor"));  // matched from the start only
  EXPECT_FALSE(is_auto_log_name("---supervisor-abcd1234.log", "supervisor"));
  EXPECT_FALSE(is_auto_log_name("web-stdout---supervisor-.log", "supervisor"));
  EXPECT_FALSE(is_auto_log_name("web-stdout---other-abcd1234.log", "supervisor"));
  EXPECT_FALSE(is_auto_log_name("web-stdout---supervisor-ab cd.log", "supervisor"));
  EXPECT_FALSE(is_auto_log_name("supervisord.log", "supervisor"));
  EXPECT_TRUE(is_auto_log_name("w-stdout---my.app-abc.log", "my.app"));
  EXPECT_FALSE(is_auto_log_name("w-stdout---myXapp-abc.log", "my.app"));  // identifier is literal
  EXPECT_TRUE(is_auto_log_name("w-stdout---a(b-abc.log", "a(b"));
}

TEST(AutoLog, CleanupRemovesOnlyThisIdentifiersAutoLogs) {
  TempDir dir;
  for (const char* n : {"web-stdout---supervisor-aaaaaaaa.log", "web-stdout---supervisor-aaaaaaaa.log.1",
                        "web-stderr---supervisor-bbbbbbbb.log", "web-stdout---other-cccccccc.log", "keep.log",
                        "supervisord.log"}) {
    logtest::spit(dir.file(n), "x");
  }
  AutoLogCleanup r = clean_auto_logs(dir.path(), "supervisor");
  EXPECT_EQ(r.removed, 3);
  EXPECT_TRUE(r.errors.empty());
  std::vector<std::string> left = logtest::list_dir(dir.path());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"keep.log", "supervisord.log", "web-stdout---other-cccccccc.log"}));
}

TEST(AutoLog, CleanupOfMissingDirectoryReportsError) {
  AutoLogCleanup r = clean_auto_logs("/nonexistent-tend", "supervisor");
  EXPECT_EQ(r.removed, 0);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0], "unable to read /nonexistent-tend: No such file or directory");
}

TEST(AutoLog, CleanupReportsEntriesItCannotRemove) {
  TempDir dir;
  std::string sub = dir.file("x-stdout---supervisor-dir.log");
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  AutoLogCleanup r = clean_auto_logs(dir.path(), "supervisor");
  EXPECT_EQ(r.removed, 0);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].rfind("unable to remove " + sub + ": ", 0), 0u) << r.errors[0];
}

}  // namespace
}  // namespace tend
