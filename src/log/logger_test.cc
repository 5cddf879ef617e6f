#include "log/logger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "fakes/scoped_tz.h"
#include "log/log_test_util.h"

namespace tend {
namespace {

using logtest::slurp;
using logtest::TempDir;

WallTime at(int64_t epoch_ms) { return WallTime(std::chrono::milliseconds(epoch_ms)); }

const std::regex k_line_re(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]{4} .*\n)");

TEST(LogLevel, ParsesSupervisordNamesCaseInsensitively) {
  EXPECT_EQ(parse_level("critical"), Level::Critical);
  EXPECT_EQ(parse_level("ERROR"), Level::Error);
  EXPECT_EQ(parse_level("Warn"), Level::Warn);
  EXPECT_EQ(parse_level("info"), Level::Info);
  EXPECT_EQ(parse_level("debug"), Level::Debug);
  EXPECT_EQ(parse_level("trace"), Level::Trace);
  EXPECT_EQ(parse_level("blather"), Level::Blather);
  EXPECT_FALSE(parse_level("warning").has_value());
  EXPECT_FALSE(parse_level("").has_value());
  EXPECT_FALSE(parse_level("20").has_value());
}

TEST(LogLevel, NumbersTagsAndNames) {
  EXPECT_EQ(static_cast<int>(Level::Critical), 50);
  EXPECT_EQ(static_cast<int>(Level::Error), 40);
  EXPECT_EQ(static_cast<int>(Level::Warn), 30);
  EXPECT_EQ(static_cast<int>(Level::Info), 20);
  EXPECT_EQ(static_cast<int>(Level::Debug), 10);
  EXPECT_EQ(static_cast<int>(Level::Trace), 5);
  EXPECT_EQ(static_cast<int>(Level::Blather), 3);
  EXPECT_EQ(level_tag(Level::Critical), "CRIT");
  EXPECT_EQ(level_tag(Level::Error), "ERRO");
  EXPECT_EQ(level_tag(Level::Debug), "DEBG");
  EXPECT_EQ(level_tag(Level::Trace), "TRAC");
  EXPECT_EQ(level_tag(Level::Blather), "BLAT");
  EXPECT_EQ(level_name(Level::Warn), "warn");
}

TEST(LogTimestamp, LocalTimeWithTruncatedMilliseconds) {
  ScopedTz tz("UTC");
  EXPECT_EQ(format_timestamp(at(1795710135715)), "2026-11-26 16:22:15,715");
  EXPECT_EQ(format_timestamp(at(1795710135000)), "2026-11-26 16:22:15,000");
  EXPECT_EQ(format_timestamp(WallTime(std::chrono::microseconds(1795710135007999))), "2026-11-26 16:22:15,007");
  EXPECT_EQ(format_log_line(at(1795710135715), Level::Info, "spawned: 'good' with pid 8585"),
            "2026-11-26 16:22:15,715 INFO spawned: 'good' with pid 8585\n");
}

TEST(LogTimestamp, FollowsTimezone) {
  ScopedTz tz("UTC-02:00");  // POSIX sign: two hours east of UTC
  EXPECT_EQ(format_timestamp(at(1795710135715)), "2026-11-26 18:22:15,715");
}

TEST(Logger, WritesLinesAtOrAboveThreshold) {
  TempDir dir;
  Logger log;
  LoggerOptions o;
  o.logfile = dir.file("main.log");
  o.level = Level::Info;
  ASSERT_TRUE(log.open(o).ok());
  EXPECT_TRUE(log.enabled(Level::Warn));
  EXPECT_FALSE(log.enabled(Level::Debug));
  log.info("spawned: '{}' with pid {}", "good", 8585);
  log.debug("hidden {}", 1);
  log.warn("exited: {} ({}; not expected)", "x", "exit status 1");
  std::string text = slurp(o.logfile);
  std::string first = text.substr(0, text.find('\n') + 1);
  EXPECT_TRUE(std::regex_match(first, k_line_re)) << first;
  EXPECT_NE(text.find(" INFO spawned: 'good' with pid 8585\n"), std::string::npos);
  EXPECT_NE(text.find(" WARN exited: x (exit status 1; not expected)\n"), std::string::npos);
  EXPECT_EQ(text.find("hidden"), std::string::npos);
  EXPECT_EQ(log.path(), o.logfile);
}

TEST(Logger, JsonFormatWritesOneRecordPerMessageWithTheLevelName) {
  TempDir dir;
  Logger log;
  log.log_at(at(1796396645123), Level::Warn, "queued before open");
  LoggerOptions o;
  o.logfile = dir.file("main.log");
  o.format = LogFormat::Json;
  ASSERT_TRUE(log.open(o).ok());
  log.log_at(at(1796396645200), Level::Critical, "two\nlines \"quoted\"");
  EXPECT_EQ(slurp(o.logfile),
            "{\"ts\":\"2026-12-04T15:04:05.123Z\",\"level\":\"warn\",\"msg\":\"queued before open\"}\n"
            "{\"ts\":\"2026-12-04T15:04:05.200Z\",\"level\":\"critical\",\"msg\":\"two\\nlines \\\"quoted\\\"\"}\n");
}

TEST(Logger, CountsLinesAFullDiskDroppedAndLogsThemWhenWritingResumes) {
  TempDir dir;
  Logger log;
  LoggerOptions o;
  o.logfile = dir.file("main.log");
  o.level = Level::Error;  // the resume notice is written whatever the level
  ASSERT_TRUE(log.open(o).ok());
  log.log_at(at(0), Level::Error, "before");
  size_t dropped_bytes = 0;
  {
    logtest::DiskFull full(log.file()->fd());
    for (const char* msg : {"lost one", "lost two", "lost three"}) {
      log.log_at(at(1000), Level::Error, msg);
      dropped_bytes += format_log_line(at(1000), Level::Error, msg).size();
    }
  }
  log.log_at(at(2000), Level::Error, "after");
  log.log_at(at(3000), Level::Error, "later");
  std::string text = slurp(o.logfile);
  EXPECT_EQ(text.find("lost"), std::string::npos) << text;
  std::string expected = format_log_line(at(0), Level::Error, "before") +
                         format_log_line(at(2000), Level::Error, "after") +
                         format_log_line(at(2000), Level::Warn,
                                         fmt::format("resumed writing {}: 3 lines ({} bytes) were dropped while it "
                                                     "could not be written",
                                                     o.logfile, dropped_bytes)) +
                         format_log_line(at(3000), Level::Error, "later");
  EXPECT_EQ(text, expected);
}

TEST(Logger, QueuesBeforeOpenAndFlushesWithNewThreshold) {
  TempDir dir;
  ScopedTz tz("UTC");
  Logger log;
  EXPECT_TRUE(log.enabled(Level::Blather));
  log.log_at(at(1000), Level::Info, "info early");
  log.log_at(at(2000), Level::Critical, "crit early");
  log.log_at(at(3000), Level::Debug, "debug early");
  EXPECT_EQ(log.pending(), 3u);
  LoggerOptions o;
  o.logfile = dir.file("main.log");
  o.level = Level::Info;
  ASSERT_TRUE(log.open(o).ok());
  EXPECT_EQ(log.pending(), 0u);
  log.log_at(at(4000), Level::Info, "after");
  EXPECT_EQ(slurp(o.logfile),
            "1970-01-01 00:00:01,000 INFO info early\n"
            "1970-01-01 00:00:02,000 CRIT crit early\n"
            "1970-01-01 00:00:04,000 INFO after\n");
}

TEST(Logger, OpenFailureKeepsQueueing) {
  Logger log;
  log.info("queued");
  LoggerOptions o;
  o.logfile = "/nonexistent-tend-dir/main.log";
  Status st = log.open(o);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "unable to open /nonexistent-tend-dir/main.log: No such file or directory");
  EXPECT_FALSE(log.is_open());
  EXPECT_EQ(log.pending(), 1u);
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
  log.flush_pending_to(fds[1]);
  std::string out = logtest::drain(fds[0]);
  EXPECT_TRUE(std::regex_match(out, k_line_re)) << out;
  EXPECT_NE(out.find(" INFO queued\n"), std::string::npos);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Logger, EchoesEachLineToStdoutInOneWrite) {
  TempDir dir;
  int sv[2];  // SOCK_SEQPACKET keeps write boundaries: one read returns one write
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  Logger log;
  LoggerOptions o;
  o.logfile = dir.file("main.log");
  o.echo_stdout = true;
  o.echo_fd = sv[1];
  ASSERT_TRUE(log.open(o).ok());
  log.info("one");
  log.warn("two");
  ::close(sv[1]);
  std::vector<std::string> records;
  char buf[256];
  for (ssize_t n; (n = ::read(sv[0], buf, sizeof buf)) > 0;) {
    records.emplace_back(buf, static_cast<size_t>(n));
  }
  ::close(sv[0]);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(std::regex_match(records[0], k_line_re)) << records[0];
  EXPECT_NE(records[1].find(" WARN two\n"), std::string::npos);
  EXPECT_EQ(records[0] + records[1], slurp(o.logfile));
}

TEST(Logger, LogfileThatIsTheEchoTargetGetsEachLineOnce) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
  Logger log;
  LoggerOptions o;
  o.logfile = "/proc/self/fd/" + std::to_string(fds[1]);  // what /dev/stdout is
  o.maxbytes = 50 * 1024 * 1024;                           // the default: must not matter
  o.backups = 10;
  o.echo_stdout = true;
  o.echo_fd = fds[1];
  ASSERT_TRUE(log.open(o).ok());
  log.info("only once");
  std::string out = logtest::drain(fds[0]);
  EXPECT_EQ(out.find("only once"), out.rfind("only once"));
  EXPECT_NE(out.find(" INFO only once\n"), std::string::npos);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Logger, SyslogTargetSendsEachLineWithStampAndLevel) {
  ScopedTz tz("UTC");
  RecordingSyslog sink;
  Logger log;
  LoggerOptions o;
  o.logfile = "syslog";
  o.level = Level::Debug;
  o.syslog = &sink;
  ASSERT_TRUE(log.open(o).ok());
  EXPECT_EQ(log.file(), nullptr);
  log.log_at(at(0), Level::Debug, "'good' stdout output:\nhello\nworld\n");
  ASSERT_EQ(sink.lines.size(), 3u);
  EXPECT_EQ(sink.lines[0], "1970-01-01 00:00:00,000 DEBG 'good' stdout output:");
  EXPECT_EQ(sink.lines[1], "1970-01-01 00:00:00,000 DEBG hello");
  EXPECT_EQ(sink.lines[2], "1970-01-01 00:00:00,000 DEBG world");
  EXPECT_TRUE(log.reopen().ok());
}

TEST(Logger, RotatesMainLog) {
  TempDir dir;
  Logger log;
  LoggerOptions o;
  o.logfile = dir.file("main.log");
  o.maxbytes = 100;
  o.backups = 2;
  ASSERT_TRUE(log.open(o).ok());
  for (int i = 0; i < 10; ++i) {
    log.info("message number {}", i);
  }
  EXPECT_TRUE(logtest::exists(o.logfile + ".1"));
  EXPECT_TRUE(logtest::exists(o.logfile + ".2"));
  EXPECT_FALSE(logtest::exists(o.logfile + ".3"));
  EXPECT_NE(slurp(o.logfile).find("message number 9"), std::string::npos);
}

TEST(Logger, CloseQueuesUntilReopenedAndClearEmptiesFile) {
  TempDir dir;
  Logger log;
  LoggerOptions o;
  o.logfile = dir.file("main.log");
  ASSERT_TRUE(log.open(o).ok());
  log.info("first");
  log.close();
  log.info("during reload");
  EXPECT_EQ(slurp(o.logfile).find("during reload"), std::string::npos);
  ASSERT_TRUE(log.open(o).ok());
  std::string text = slurp(o.logfile);
  EXPECT_LT(text.find("first"), text.find("during reload"));
  ASSERT_TRUE(log.clear().ok());
  EXPECT_EQ(slurp(o.logfile), "");
  log.info("fresh");
  EXPECT_NE(slurp(o.logfile).find("fresh"), std::string::npos);
}

TEST(Logger, QueueIsBounded) {
  Logger log;
  for (size_t i = 0; i < Logger::k_max_pending + 5; ++i) {
    log.info("m{}", i);
  }
  EXPECT_EQ(log.pending(), Logger::k_max_pending);
}

}  // namespace
}  // namespace tend
