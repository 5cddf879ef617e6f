// Checks with real programs on a real loop: the real sd_notify client
// (systemd-notify, BARRIER included) from a shell wrapper, a notification fd
// written by a shell, and an exec probe reaped by the supervisor's reaper.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "fakes/missing_tool.h"
#include "fakes/test_configs.h"
#include "health/checks.h"

namespace tend::health {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ChecksRealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-checks-real-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  void TearDown() override {
    if (sup) {
      sup->request_shutdown("test over");
      loop->add_timer_after(seconds_d(10), [this] { loop->stop(99); });
      EXPECT_EQ(loop->run(), 0);
    }
    checks.reset();
    sup.reset();
    [[maybe_unused]] int rc = std::system(("rm -rf " + dir).c_str());
  }
  void make(ProcessConfig pc) {
    sup = std::make_unique<Supervisor>(*loop, test_support::config_of({std::move(pc)}),
                                       [] { return Result<Config>(make_error("no reload")); });
    checks = std::make_unique<Checks>(*sup);
    ASSERT_TRUE(sup->start().ok());
  }
  // Runs the loop until pred() holds (true) or 10 s pass (false).
  template <typename Pred>
  bool run_until(Pred pred) {
    MonoTime limit = loop->now() + seconds_d(10);
    while (!pred()) {
      if (loop->now() >= limit) {
        return false;
      }
      loop->run_once(20);
    }
    return true;
  }
  const Process& app() { return *sup->table().find("app", "app"); }
  ProcessConfig program(const std::string& command, ProbeSpec::Kind kind) {
    ProcessConfig pc = test_support::program_config("app", command, 999, 1);
    pc.ready.kind = kind;
    pc.ready_timeout = 10;
    pc.ready_interval = 0.05;
    return pc;
  }

  std::string dir;
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<Supervisor> sup;
  std::unique_ptr<Checks> checks;
};

TEST_F(ChecksRealTest, SystemdNotifyReadyFromAShellWrapper) {
  if (access("/usr/bin/systemd-notify", X_OK) != 0) {
    TEND_SKIP_MISSING("/usr/bin/systemd-notify (Debian's systemd package)");
  }
  std::string rc = dir + "/rc";
  // systemd-notify waits for its BARRIER=1 to be answered (the fd closed) and
  // fails after 5 s without it: its exit status says whether tend answered.
  make(program("/bin/sh -c 'systemd-notify --ready --status=\"serving 3 clients\"; echo $? > " + rc +
                   "; exec sleep 100'",
               ProbeSpec::Kind::Notify));
  ASSERT_TRUE(run_until([&] { return app().state() == ProcessState::Running; }));
  EXPECT_EQ(app().notes().status, "serving 3 clients");
  ASSERT_TRUE(run_until([&] { return !read_file(rc).empty(); }));
  EXPECT_EQ(read_file(rc), "0\n");
}

TEST_F(ChecksRealTest, ANewlineOnTheNotificationFd) {
  ProcessConfig pc = program("/bin/sh -c 'sleep 0.2; echo >&3; exec sleep 100'", ProbeSpec::Kind::Fd);
  pc.ready.fd = 3;
  make(pc);
  ASSERT_EQ(app().config().ready.kind, ProbeSpec::Kind::Fd);
  EXPECT_EQ(app().state(), ProcessState::Starting);
  ASSERT_TRUE(run_until([&] { return app().state() == ProcessState::Running; }));
}

TEST_F(ChecksRealTest, AnExecProbeReapedByTheSupervisor) {
  std::string flag = dir + "/flag";
  ProcessConfig pc = program("/bin/sh -c 'sleep 0.3; touch " + flag + "; exec sleep 100'", ProbeSpec::Kind::Exec);
  pc.ready.target = "/bin/sh -c 'test -e " + flag + "'";
  make(pc);
  ASSERT_TRUE(run_until([&] { return app().state() == ProcessState::Running; }));
  // Every probe child was reaped (by the supervisor's one reaper): only the program is left.
  std::string children = read_file(fmt::format("/proc/{}/task/{}/children", getpid(), getpid()));
  EXPECT_EQ(children, fmt::format("{} ", app().pid()));
}

}  // namespace
}  // namespace tend::health
