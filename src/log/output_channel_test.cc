#include "log/output_channel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "log/log_test_util.h"

namespace tend {
namespace {

using logtest::slurp;
using logtest::TempDir;

std::string strip_all(const std::vector<std::string>& chunks) {
  AnsiStripper s;
  std::string out;
  for (const std::string& c : chunks) {
    s.feed(c, out);
  }
  s.finish(out);
  return out;
}

TEST(AnsiStripper, RemovesEscapesWithinAChunk) {
  EXPECT_EQ(strip_all({"\x1b[1;31mred\x1b[0m plain\x1b[2K\x1b[10;5H!\n"}), "red plain!\n");
}

TEST(AnsiStripper, RemovesEscapeSplitAcrossChunks) {
  EXPECT_EQ(strip_all({"a\x1b", "[3", "1mred\x1b[", "0", "m", "b\n"}), "aredb\n");
}

TEST(AnsiStripper, EverythingUpToTerminatorIsDropped) {
  // As in supervisord, any byte up to a terminator letter belongs to the escape.
  EXPECT_EQ(strip_all({"x\x1b[?25lY"}), "xY");
  EXPECT_EQ(strip_all({"x\x1b[zzzmY"}), "xY");
}

TEST(AnsiStripper, EscNotFollowedByBracketIsText) {
  EXPECT_EQ(strip_all({"a\x1b", "Xb"}), "a\x1bXb");
  EXPECT_EQ(strip_all({"a\x1b\x1b[mb"}), "a\x1b" "b");
  EXPECT_EQ(strip_all({"end\x1b"}), "end\x1b");
}

struct Fixture {
  TempDir dir;
  Logger logger;
  RecordingSyslog syslog;
  int out[2] = {-1, -1};
  ConsoleMux* console = nullptr;

  Fixture() {
    if (::pipe2(out, O_NONBLOCK | O_CLOEXEC) != 0) {
      out[0] = out[1] = -1;
    }
    console = new ConsoleMux(out[1], out[1]);
  }
  ~Fixture() {
    delete console;
    ::close(out[0]);
    ::close(out[1]);
  }
  void open_logger(Level level) {
    LoggerOptions o;
    o.logfile = dir.file("main.log");
    o.level = level;
    (void)logger.open(o);
  }
  OutputSinks sinks() { return OutputSinks{&logger, console, &syslog}; }
};

TEST(OutputChannel, WritesRawBytesToLogFile) {
  Fixture fx;
  fx.open_logger(Level::Info);
  OutputChannelOptions o;
  o.process_name = "web";
  o.logfile = fx.dir.file("web.log");
  OutputChannel ch(o, fx.sinks());
  ASSERT_TRUE(ch.open().ok());
  ASSERT_NE(ch.file(), nullptr);
  ch.on_data("partial ");
  ch.on_data("line\nnext\x1b[31m");
  ch.on_eof();
  EXPECT_EQ(slurp(o.logfile), "partial line\nnext\x1b[31m");
  EXPECT_EQ(slurp(fx.dir.file("main.log")).find("output"), std::string::npos);  // info: no copy
  EXPECT_EQ(logtest::drain(fx.out[0]), "");  // console off
  EXPECT_TRUE(fx.syslog.lines.empty());
}

TEST(OutputChannel, RotatesChildLog) {
  Fixture fx;
  OutputChannelOptions o;
  o.process_name = "web";
  o.logfile = fx.dir.file("web.log");
  o.maxbytes = 10;
  o.backups = 3;
  OutputChannel ch(o, fx.sinks());
  ASSERT_TRUE(ch.open().ok());
  ch.on_data("0123456789");
  ch.on_data("abc");
  EXPECT_EQ(slurp(o.logfile + ".1"), "0123456789");
  EXPECT_EQ(slurp(o.logfile), "abc");
}

TEST(OutputChannel, StripAnsiAppliesToEveryLogSink) {
  Fixture fx;
  fx.open_logger(Level::Debug);
  OutputChannelOptions o;
  o.process_name = "web";
  o.logfile = fx.dir.file("web.log");
  o.strip_ansi = true;
  o.console = true;
  o.syslog = true;
  OutputChannel ch(o, fx.sinks());
  std::vector<std::string> hooked;
  ch.set_hook([&](std::string_view proc, Stream s, std::string_view data) {
    EXPECT_EQ(proc, "web");
    EXPECT_EQ(s, Stream::Stdout);
    hooked.emplace_back(data);
  });
  ASSERT_TRUE(ch.open().ok());
  ch.on_data("\x1b[32mgre");
  ch.on_data("en\x1b[");
  ch.on_data("0m\n");
  EXPECT_EQ(slurp(o.logfile), "green\n");
  EXPECT_EQ(logtest::drain(fx.out[0]), "web | green\n");
  EXPECT_EQ(fx.syslog.lines, std::vector<std::string>{"web green"});
  EXPECT_EQ(hooked, (std::vector<std::string>{"\x1b[32mgre", "en\x1b[", "0m\n"}));  // the event hook: as read
  std::string main = slurp(fx.dir.file("main.log"));
  EXPECT_NE(main.find(" DEBG 'web' stdout output:\ngre\n"), std::string::npos) << main;
  EXPECT_EQ(main.find('\x1b'), std::string::npos);
}

TEST(OutputChannel, StrippingChannelsShareScratchSafelyWhenNested) {
  // Stripping channels share one scratch buffer; a hook that feeds another
  // stripping channel while the first still delivers must not clobber it.
  Fixture fx;
  OutputChannelOptions a;
  a.process_name = "a";
  a.logfile = fx.dir.file("a.log");
  a.strip_ansi = true;
  OutputChannelOptions b = a;
  b.process_name = "b";
  b.logfile = fx.dir.file("b.log");
  OutputChannel cha(a, fx.sinks());
  OutputChannel chb(b, fx.sinks());
  ASSERT_TRUE(cha.open().ok());
  ASSERT_TRUE(chb.open().ok());
  std::vector<std::string> seen_by_a;
  cha.set_hook([&](std::string_view, Stream, std::string_view data) {
    chb.on_data("\x1b[1mbee\n");
    seen_by_a.emplace_back(data);  // after the nested delivery: still a's data
  });
  cha.on_data("\x1b[31mant\n");
  cha.on_data("\x1b[0mant2\n");
  EXPECT_EQ(seen_by_a, (std::vector<std::string>{"\x1b[31mant\n", "\x1b[0mant2\n"}));
  EXPECT_EQ(slurp(a.logfile), "ant\nant2\n");
  EXPECT_EQ(slurp(b.logfile), "bee\nbee\n");
}

TEST(OutputChannel, NoneDiscardsButStillFeedsConsole) {
  Fixture fx;
  OutputChannelOptions o;
  o.process_name = "job";
  o.stream = Stream::Stderr;
  o.console = true;
  OutputChannel ch(o, fx.sinks());
  ASSERT_TRUE(ch.open().ok());
  EXPECT_EQ(ch.file(), nullptr);
  ch.on_data("oops\nhalf");
  ch.on_eof();
  EXPECT_EQ(logtest::drain(fx.out[0]), "job | oops\njob | half\n");
  EXPECT_TRUE(ch.reopen().ok());
  EXPECT_TRUE(ch.clear().ok());
}

TEST(OutputChannel, DebugCopyNamesTheChannel) {
  Fixture fx;
  fx.open_logger(Level::Debug);
  OutputChannelOptions o;
  o.process_name = "good";
  o.stream = Stream::Stderr;
  OutputChannel ch(o, fx.sinks());
  ASSERT_TRUE(ch.open().ok());
  ch.on_data("hello\n");
  EXPECT_NE(slurp(fx.dir.file("main.log")).find(" DEBG 'good' stderr output:\nhello\n\n"), std::string::npos);
}

TEST(OutputChannel, SyslogSendsWholeLinesAndRestAtEof) {
  Fixture fx;
  OutputChannelOptions o;
  o.process_name = "p";
  o.syslog = true;
  OutputChannel ch(o, fx.sinks());
  ASSERT_TRUE(ch.open().ok());
  ch.on_data("a\nb");
  ch.on_data("c\n\nd");
  EXPECT_EQ(fx.syslog.lines, (std::vector<std::string>{"p a", "p bc", "p "}));
  ch.on_eof();
  EXPECT_EQ(fx.syslog.lines.back(), "p d");
  std::string big(OutputChannel::k_max_syslog_partial + 5, 'z');
  ch.on_data(big);
  EXPECT_EQ(fx.syslog.lines.back(), "p " + std::string(OutputChannel::k_max_syslog_partial, 'z'));
}

TEST(OutputChannel, OpenErrorIsReported) {
  Fixture fx;
  OutputChannelOptions o;
  o.process_name = "p";
  o.logfile = "/nonexistent-tend/p.log";
  OutputChannel ch(o, fx.sinks());
  Status st = ch.open();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "unable to open /nonexistent-tend/p.log: No such file or directory");
  EXPECT_EQ(ch.file(), nullptr);
  ch.on_data("still fine\n");  // no crash, nothing written
}

TEST(OutputChannel, WriteFailureLoggedOnceAtError) {
  Fixture fx;
  fx.open_logger(Level::Info);
  OutputChannelOptions o;
  o.process_name = "p";
  o.logfile = "/dev/full";
  o.maxbytes = 100;  // non-regular: never rotated
  OutputChannel ch(o, fx.sinks());
  ASSERT_TRUE(ch.open().ok());
  ch.on_data("x");
  ch.on_data("y");
  std::string main = slurp(fx.dir.file("main.log"));
  size_t first = main.find(" ERRO unable to write /dev/full: No space left on device\n");
  ASSERT_NE(first, std::string::npos) << main;
  EXPECT_EQ(main.find("unable to write", first + 20), std::string::npos);
}

TEST(OutputChannel, CountsWhatAFullDiskDroppedAndSaysSoWhenWritingResumes) {
  Fixture fx;
  fx.open_logger(Level::Info);
  OutputChannelOptions o;
  o.process_name = "p";
  o.logfile = fx.dir.file("p.log");
  OutputChannel ch(o, fx.sinks());
  ASSERT_TRUE(ch.open().ok());
  ch.on_data("before\n");
  {
    logtest::DiskFull full(ch.file()->fd());
    ch.on_data("lost-1\n");
    // A respawn reopens the file, which keeps failing: still one report.
    ASSERT_TRUE(ch.open().ok());
    logtest::DiskFull still_full(ch.file()->fd());
    ch.on_data("lost-22\n");
    ch.on_data("lost-333\n");
  }
  ch.on_data("after\n");
  ch.on_data("more\n");
  EXPECT_EQ(slurp(o.logfile), "before\nafter\nmore\n");
  std::string main = slurp(fx.dir.file("main.log"));
  size_t failed = main.find(" ERRO unable to write " + o.logfile + ": No space left on device\n");
  ASSERT_NE(failed, std::string::npos) << main;
  EXPECT_EQ(main.find("unable to write", failed + 20), std::string::npos) << main;
  std::string resumed =
      " WARN resumed writing " + o.logfile + ": 24 bytes were dropped while it could not be written\n";
  size_t at = main.find(resumed);
  ASSERT_NE(at, std::string::npos) << main;
  EXPECT_EQ(main.find("resumed", at + 20), std::string::npos) << main;  // once, not per later write
}

TEST(OutputChannel, ClearAndReopen) {
  Fixture fx;
  OutputChannelOptions o;
  o.process_name = "p";
  o.logfile = fx.dir.file("p.log");
  OutputChannel ch(o, fx.sinks());
  ASSERT_TRUE(ch.open().ok());
  ch.on_data("old\n");
  ASSERT_TRUE(ch.clear().ok());
  ch.on_data("new\n");
  EXPECT_EQ(slurp(o.logfile), "new\n");
  ASSERT_EQ(::rename(o.logfile.c_str(), (o.logfile + ".x").c_str()), 0);
  ASSERT_TRUE(ch.reopen().ok());
  ch.on_data("after\n");
  EXPECT_EQ(slurp(o.logfile), "after\n");
}


// --- capture mode -------------------------------------------------------------

const std::string k_begin(CaptureScanner::k_begin);
const std::string k_end(CaptureScanner::k_end);

struct CaptureFixture : Fixture {
  std::vector<std::string> hooked;
  std::vector<std::string> blocks;
  OutputChannelOptions opts;

  CaptureFixture() {
    opts.process_name = "web";
    opts.logfile = dir.file("web.log");
    opts.capture_maxbytes = 100;
  }
  std::unique_ptr<OutputChannel> make() {
    auto ch = std::make_unique<OutputChannel>(opts, sinks());
    ch->set_hook([this](std::string_view, Stream, std::string_view data) { hooked.emplace_back(data); });
    ch->set_block_hook([this](Stream s, std::string_view block) {
      EXPECT_EQ(s, opts.stream);
      blocks.emplace_back(block);
    });
    EXPECT_TRUE(ch->open().ok());
    return ch;
  }
};

TEST(OutputChannelCapture, ABlockGoesToTheEventsNotTheChildLog) {
  // As supervisord: the child log (file, syslog; tend's console too) sees only
  // the text around the block; the block's bytes still reach the debug copy
  // (stripped) and the output hook (PROCESS_LOG, as read); the tokens reach
  // nothing, and the block comes whole, stripped, at END.
  CaptureFixture fx;
  fx.open_logger(Level::Debug);
  fx.opts.strip_ansi = true;
  fx.opts.console = true;
  fx.opts.syslog = true;
  auto ch = fx.make();
  ch->on_data("before" + k_begin + "ca");
  EXPECT_TRUE(ch->in_block());
  ch->on_data("p\x1b[31mred" + k_end + "after\n");
  ch->on_eof();
  EXPECT_EQ(slurp(fx.opts.logfile), "beforeafter\n");
  EXPECT_EQ(logtest::drain(fx.out[0]), "web | beforeafter\n");
  EXPECT_EQ(fx.syslog.lines, std::vector<std::string>{"web beforeafter"});
  EXPECT_EQ(fx.hooked, (std::vector<std::string>{"before", "ca", "p\x1b[31mred", "after\n"}));
  EXPECT_EQ(fx.blocks, std::vector<std::string>{"capred"});
  std::string main = slurp(fx.dir.file("main.log"));
  size_t copy = main.find(" DEBG 'web' stdout output:\npred\n");
  size_t comm = main.find(" DEBG 'web' stdout emitted a comm event\n");
  ASSERT_NE(copy, std::string::npos) << main;
  ASSERT_NE(comm, std::string::npos) << main;
  EXPECT_LT(copy, comm);
  EXPECT_EQ(main.find("XSUPERVISOR"), std::string::npos) << main;
}

TEST(OutputChannelCapture, TheBlockKeepsItsNewestMaxbytesAndIsEmptiedAfterEnd) {
  CaptureFixture fx;
  fx.opts.capture_maxbytes = 4;
  fx.opts.stream = Stream::Stderr;
  auto ch = fx.make();
  ch->on_data(k_begin + "abcdef" + k_end + k_begin + "xy" + k_end + k_begin + k_end);
  EXPECT_EQ(fx.blocks, (std::vector<std::string>{"cdef", "xy", ""}));
}

TEST(OutputChannelCapture, ClearEmptiesABlockInProgress) {
  CaptureFixture fx;
  auto ch = fx.make();
  ch->on_data(k_begin + "old");
  ASSERT_TRUE(ch->clear().ok());
  EXPECT_TRUE(ch->in_block());
  ch->on_data("new" + k_end);
  EXPECT_EQ(fx.blocks, std::vector<std::string>{"new"});
}

TEST(OutputChannelCapture, APossibleTokenStartWaitsUntilEof) {
  CaptureFixture fx;
  auto ch = fx.make();
  ch->on_data("short\n");
  EXPECT_EQ(slurp(fx.opts.logfile), "short\n");  // at once, unlike supervisord
  ch->on_data("last <!--XSUP");
  EXPECT_EQ(slurp(fx.opts.logfile), "short\nlast ");
  ch->on_eof();
  EXPECT_EQ(slurp(fx.opts.logfile), "short\nlast <!--XSUP");
}

TEST(OutputChannelCapture, EachRunStartsOutsideABlock) {
  CaptureFixture fx;
  auto ch = fx.make();
  ch->on_data("a" + k_begin + "unfinished");
  ch->on_eof();
  ASSERT_TRUE(ch->open().ok());
  EXPECT_FALSE(ch->in_block());
  ch->on_data("b" + k_end + "c");
  EXPECT_TRUE(fx.blocks.empty());
  EXPECT_EQ(slurp(fx.opts.logfile), "ab" + k_end + "c");
}

TEST(OutputChannelCapture, WithoutCaptureTheTokensAreOrdinaryOutput) {
  CaptureFixture fx;
  fx.opts.capture_maxbytes = 0;
  auto ch = fx.make();
  std::string data = "a" + k_begin + "b" + k_end + "c";
  ch->on_data(data);
  EXPECT_EQ(slurp(fx.opts.logfile), data);
  EXPECT_FALSE(ch->in_block());
  EXPECT_TRUE(fx.blocks.empty());
}

}  // namespace
}  // namespace tend
