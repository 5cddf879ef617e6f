// Real-syscall tests of the stdin path (sendProcessStdin): far more bytes
// than a pipe holds, to a program that reads late, must all arrive in order;
// a program that closed its stdin makes the write fail.
#include <gtest/gtest.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "core/supervisor.h"

namespace tend {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ProcessStdinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As the daemon does: a write to a closed pipe must be EPIPE, not death.
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &m_old_pipe);
    char tmpl[] = "/tmp/tend-stdin-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  void TearDown() override {
    sigaction(SIGPIPE, &m_old_pipe, nullptr);
    (void)!std::system(("rm -rf " + dir).c_str());
  }

  // A config whose main program (tend stops when it exits) runs `command`.
  Config main_program(const std::string& command) {
    ProcessConfig p;
    p.name = p.group = p.program = "reader";
    p.command = command;
    p.startsecs = 0;
    p.stdout_ch.logfile.kind = LogTarget::Kind::None;
    p.stderr_ch.logfile.kind = LogTarget::Kind::None;
    Config c;
    c.supervisord.console_output = SupervisordConfig::ConsoleOutput::Off;
    c.supervisord.main_program = "reader";
    c.supervisord.shutdown_grace = 1;
    GroupConfig g;
    g.name = "reader";
    g.processes.push_back(p);
    c.groups.push_back(g);
    return c;
  }

  std::string dir;
  std::unique_ptr<EventLoop> loop;
  struct sigaction m_old_pipe {};
};

TEST_F(ProcessStdinTest, AMebibyteReachesAReaderThatStartsReadingAfterTheWrite) {
  std::string data(1024 * 1024, '\0');
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>('a' + (i * 31 + i / 65536) % 26);
  }
  std::string got = dir + "/got";
  std::string go = dir + "/go";
  // The reader starts reading only once `go` exists, which the test creates
  // after the write: all but one pipeful must wait in tend until then.
  Supervisor sup(*loop,
                 main_program(fmt::format("/bin/sh -c 'while [ ! -e {} ]; do sleep 0.01; done; exec head -c {} > {}'",
                                          go, data.size(), got)),
                 [] { return Result<Config>(make_error("no reload")); });
  ASSERT_TRUE(sup.start().ok());
  const Process* p = sup.table().find("reader", "reader");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(p->pid(), 0);
  CommandResult st = sup.commands().send_stdin(*p, data);
  ASSERT_TRUE(st.ok()) << st.detail;
  EXPECT_TRUE(p->stdin_open());
  std::ofstream(go).put('\n');
  loop->add_timer_after(seconds_d(20), [this] { loop->stop(99); });
  ASSERT_EQ(loop->run(), 0);  // head exited 0 after reading every byte
  std::string out = read_file(got);
  ASSERT_EQ(out.size(), data.size());
  EXPECT_TRUE(out == data);
}

TEST_F(ProcessStdinTest, AProgramThatClosedItsStdinMakesTheWriteFail) {
  std::string ready = dir + "/ready";
  Supervisor sup(*loop, main_program(fmt::format("/bin/sh -c 'exec 0<&-; touch {}; exec sleep 100'", ready)),
                 [] { return Result<Config>(make_error("no reload")); });
  ASSERT_TRUE(sup.start().ok());
  const Process* p = sup.table().find("reader", "reader");
  ASSERT_NE(p, nullptr);
  // Wait (on the loop, bounded) until the program has closed its stdin.
  EventLoop::TimerId poll = 0;
  std::function<void()> check = [&] {
    if (access(ready.c_str(), F_OK) == 0) {
      loop->stop(0);
    } else {
      poll = loop->add_timer_after(std::chrono::milliseconds(10), check);
    }
  };
  check();
  loop->add_timer_after(seconds_d(10), [this] { loop->stop(99); });
  ASSERT_EQ(loop->run(), 0);
  loop->cancel_timer(poll);
  CommandResult st = sup.commands().send_stdin(*p, "x");
  EXPECT_EQ(st.refusal, Refusal::NoFile);
  EXPECT_EQ(st.detail, std::string("unable to write to the stdin of reader: ") + strerror(EPIPE));
  EXPECT_FALSE(p->stdin_open());
  EXPECT_EQ(sup.commands().send_stdin(*p, "y").refusal, Refusal::NoFile);
  std::optional<CommandResult> stopped;
  sup.commands().stop(*p, false, Waiter{[&](CommandResult r) { stopped = r; }});
  ASSERT_TRUE(stopped && stopped->ok());
  loop->run();  // until the main program is down
}

}  // namespace
}  // namespace tend
