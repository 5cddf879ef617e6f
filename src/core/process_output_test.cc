// Real-syscall tests of the output path: a program writes megabytes as fast as
// it can; every byte must reach the log file in order (several reads per
// readiness event, busy pipes grown), rotation must cut at the same
// boundaries as with single reads, and nothing may be lost when tend stops.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "core/supervisor.h"

namespace tend {
namespace {

// The output of `seq 1 n`.
std::string seq_output(int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) {
    out += std::to_string(i);
    out += '\n';
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

class ProcessOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-out-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  void TearDown() override { std::system(("rm -rf " + dir).c_str()); }

  // Runs `command` as the main program (tend stops when it exits) with its
  // stdout in dir/out.log; returns the loop's exit code (99: watchdog).
  int run_writer(const std::string& command, int64_t maxbytes, int backups,
                 const std::function<void(ProcessConfig&)>& tweak = {},
                 const std::function<void(Supervisor&)>& before_start = {}) {
    ProcessConfig p;
    p.name = p.group = p.program = "writer";
    p.command = command;
    p.startsecs = 0;
    p.stdout_ch.logfile.kind = LogTarget::Kind::Path;
    p.stdout_ch.logfile.path = dir + "/out.log";
    p.stdout_ch.logfile_maxbytes = maxbytes;
    p.stdout_ch.logfile_backups = backups;
    p.stderr_ch.logfile.kind = LogTarget::Kind::None;
    if (tweak) {
      tweak(p);
    }
    Config c;
    c.supervisord.console_output = SupervisordConfig::ConsoleOutput::Off;
    c.supervisord.main_program = "writer";
    GroupConfig g;
    g.name = "writer";
    g.processes.push_back(p);
    c.groups.push_back(g);
    Supervisor sup(*loop, c, [] { return Result<Config>(make_error("no reload")); });
    if (before_start) {
      before_start(sup);
    }
    EXPECT_TRUE(sup.start().ok());
    loop->add_timer_after(seconds_d(60), [this] { loop->stop(99); });
    return loop->run();
  }

  std::string dir;
  std::unique_ptr<EventLoop> loop;
};

TEST_F(ProcessOutputTest, EveryByteOfAFastWriterReachesTheFileInOrder) {
  constexpr int k_lines = 1000000;  // about 6.9 MB, far beyond one pipe or one read
  ASSERT_EQ(run_writer(fmt::format("/usr/bin/seq 1 {}", k_lines), 0, 0), 0);
  std::string got = read_file(dir + "/out.log");
  std::string want = seq_output(k_lines);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
}

TEST_F(ProcessOutputTest, RotationOfAFastWriterKeepsEveryByteAndCutsAfterMaxbytes) {
  constexpr int k_lines = 1000000;
  constexpr int64_t k_max = 512 * 1024;
  constexpr int k_backups = 20;  // 6.9 MB / 512 KiB = 13 files: nothing is dropped
  ASSERT_EQ(run_writer(fmt::format("/usr/bin/seq 1 {}", k_lines), k_max, k_backups), 0);
  // Oldest backup first, then the current file: together the whole output.
  std::string got;
  int files = 0;
  for (int n = k_backups; n >= 1; --n) {
    std::string path = fmt::format("{}/out.log.{}", dir, n);
    if (!exists(path)) {
      continue;
    }
    std::string part = read_file(path);
    // A file is cut at the first write that reaches maxbytes: it overshoots by
    // less than one read chunk and is never cut short.
    EXPECT_GE(static_cast<int64_t>(part.size()), k_max) << path;
    EXPECT_LT(static_cast<int64_t>(part.size()), k_max + 128 * 1024) << path;
    got += part;
    ++files;
  }
  EXPECT_GE(files, 10);
  EXPECT_FALSE(exists(fmt::format("{}/out.log.{}", dir, k_backups + 1)));
  got += read_file(dir + "/out.log");
  std::string want = seq_output(k_lines);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want);
}

TEST_F(ProcessOutputTest, OutputWrittenJustBeforeExitIsKept) {
  // The last bytes arrive together with the exit: the reaper's drain must log them.
  ASSERT_EQ(run_writer("/bin/sh -c 'head -c 3000000 /dev/zero; echo END-MARK'", 0, 0), 0);
  std::string got = read_file(dir + "/out.log");
  ASSERT_EQ(got.size(), 3000000u + 9u);
  EXPECT_EQ(got.substr(got.size() - 9), "END-MARK\n");
}

TEST_F(ProcessOutputTest, ABusyPipeGrowsAndAQuietOneKeepsTheDefault) {
  // The child reports its own stdout pipe's size (F_GETPIPE_SZ = 1032) before
  // and after writing 4 MiB; only the flood makes tend grow the pipe.
  ASSERT_EQ(run_writer("/usr/bin/python3 -c \""
                       "import fcntl, os, sys\n"
                       "before = fcntl.fcntl(1, 1032)\n"
                       "sys.stdout.buffer.write(b'x' * (4 << 20)); sys.stdout.flush()\n"
                       "print(); print(before, fcntl.fcntl(1, 1032))\"",
                       0, 0),
            0);
  std::string got = read_file(dir + "/out.log");
  ASSERT_GT(got.size(), 4u << 20);
  EXPECT_EQ(got.substr(got.rfind('\n', got.size() - 2) + 1), "65536 262144\n");
}


TEST_F(ProcessOutputTest, CaptureModeBlocksArePublishedAndKeptOutOfTheLog) {
  // The tokens arrive split over many writes (one byte each for the first
  // block); each complete block is one ProcessCommunication event, and the
  // output events carry what the log gets plus the blocks' bytes.
  std::vector<std::string> blocks;
  std::string output;
  EventBus::Subscription comm;
  EventBus::Subscription out;
  auto subscribe = [&](Supervisor& sup) {
    comm = sup.bus().subscribe(mask_of(EventKind::Communication), [&](const Event& e) {
      const auto& c = std::get<ProcessCommunication>(e);
      EXPECT_EQ(c.channel, Stream::Stdout);
      EXPECT_NE(c.process->pid(), 0);
      blocks.emplace_back(c.data);
    });
    out = sup.bus().subscribe(mask_of(EventKind::Output), [&](const Event& e) {
      output += std::get<ProcessOutput>(e).data;
    });
  };
  std::string script =
      "import os, time\n"
      "def put(b):\n"
      "    os.write(1, b); time.sleep(0.001)\n"
      "for c in b'one <!--XSUPERVISOR:BEGIN-->first<!--XSUPERVISOR:END-->': put(bytes([c]))\n"
      "put(b' two<!--XSUPERVISOR:BEG'); put(b'IN-->second<!--XSUPERV'); put(b'ISOR:END--> three\\n')\n"
      "put(b'tail<!--X')\n";
  ASSERT_EQ(run_writer(fmt::format("/usr/bin/python3 -c \"{}\"", script), 0, 0,
                       [](ProcessConfig& p) { p.stdout_ch.capture_maxbytes = 1024; }, subscribe),
            0);
  EXPECT_EQ(blocks, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(read_file(dir + "/out.log"), "one  two three\ntail<!--X");
  EXPECT_EQ(output, "one first twosecond three\ntail<!--X");
}

}  // namespace
}  // namespace tend
