// Real-syscall tests of the supervisor: spawn real programs on a real loop,
// stop them, and check that every descendant is gone when the loop returns.
#include "core/supervisor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>

#include "fakes/test_configs.h"
#include "fakes/wait_until.h"
#include "sys/descendants.h"

namespace tend {
namespace {

using test_support::config_of;

ProcessConfig program(const std::string& name, const std::string& command, int priority = 999) {
  return test_support::program_config(name, command, priority);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-sup-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    auto l = EventLoop::create();
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  void TearDown() override { std::system(("rm -rf " + dir).c_str()); }
  // Runs the loop; a watchdog stops it with 99 after `limit` seconds.
  int run(double limit = 10) {
    loop->add_timer_after(seconds_d(limit), [this] { loop->stop(99); });
    return loop->run();
  }
  std::string dir;
  std::unique_ptr<EventLoop> loop;
};

TEST_F(SupervisorTest, StartsInPriorityOrderAndStopsInReverse) {
  std::string log = dir + "/order";
  auto cmd = [&](const std::string& n) {
    return "/bin/sh -c 'trap \"echo stop-" + n + " >> " + log + "; exit 0\" TERM; echo start-" + n + " >> " + log +
           "; while :; do sleep 0.05; done'";
  };
  Supervisor sup(*loop, config_of({program("a", cmd("a"), 1), program("b", cmd("b"), 2)}),
                 [] { return Result<Config>(make_error("no reload")); });
  ASSERT_TRUE(sup.start().ok());
  // Stop once both shells have written their start line (and set their trap).
  std::function<void()> poll = [&] {
    if (read_file(log).size() == std::string("start-a\nstart-b\n").size()) {
      sup.request_shutdown("test shutdown");
    } else {
      loop->add_timer_after(seconds_d(0.02), poll);
    }
  };
  loop->add_timer_after(seconds_d(0.02), poll);
  EXPECT_EQ(run(), 0);
  std::string text = read_file(log);
  // Both start (their order is up to the scheduler); b stops before a starts stopping.
  ASSERT_EQ(text.size(), std::string("start-a\nstart-b\nstop-b\nstop-a\n").size()) << text;
  EXPECT_EQ(text.substr(16), "stop-b\nstop-a\n");
  EXPECT_LE(sup.table().find("a", "a")->fsm().laststart_wall(), sup.table().find("b", "b")->fsm().laststart_wall());
  for (auto& g : sup.table().groups()) {
    EXPECT_EQ(g->processes[0]->state(), ProcessState::Stopped);
  }
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);  // no child left
}

TEST_F(SupervisorTest, SweepTermsForkedChildrenAndWaitsForTheirCleanup) {
  std::string log = dir + "/tree";
  // The program forks a worker into a new session (a daemon), then both wait.
  std::string cmd = "/bin/sh -c 'setsid /bin/sh -c \"trap \\\"sleep 0.3; echo daemon-clean >> " + log +
                    "; exit 0\\\" TERM; echo daemon-up >> " + log +
                    "; while :; do sleep 0.05; done\" & while :; do sleep 0.05; done'";
  Supervisor sup(*loop, config_of({program("p", cmd)}), [] { return Result<Config>(make_error("no reload")); });
  ASSERT_TRUE(sup.start().ok());
  // Stop once the daemon has announced itself.
  std::function<void()> poll = [&] {
    if (read_file(log).find("daemon-up") != std::string::npos) {
      sup.request_shutdown("test");
    } else {
      loop->add_timer_after(seconds_d(0.02), poll);
    }
  };
  loop->add_timer_after(seconds_d(0.02), poll);
  EXPECT_EQ(run(), 0);
  EXPECT_EQ(read_file(log), "daemon-up\ndaemon-clean\n");
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
}

TEST_F(SupervisorTest, SweepKillsWhatIgnoresTermAfterTheGrace) {
  std::string ready = dir + "/ready";
  std::string cmd = "/bin/sh -c '(trap \"\" TERM; touch " + ready + "; while :; do sleep 0.05; done) & exec sleep 100'";
  Supervisor sup(*loop, config_of({program("p", cmd)}, 0.3), [] { return Result<Config>(make_error("no reload")); });
  ASSERT_TRUE(sup.start().ok());
  // Stop once the child ignores TERM (it says so by creating `ready`).
  MonoTime t0{};
  std::function<void()> poll = [&] {
    if (access(ready.c_str(), F_OK) == 0) {
      t0 = loop->now();
      sup.request_shutdown("test");
    } else {
      loop->add_timer_after(seconds_d(0.02), poll);
    }
  };
  loop->add_timer_after(seconds_d(0.02), poll);
  EXPECT_EQ(run(), 0);
  double took = std::chrono::duration<double>(loop->now() - t0).count();
  EXPECT_GE(took, 0.3 - 0.01);  // not before the grace ran out
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
}

TEST_F(SupervisorTest, MainProgramExitEndsTendWithItsStatus) {
  Config c = config_of({program("main", "/bin/sh -c 'sleep 0.1; exit 7'"), program("side", "/bin/sleep 100")});
  c.supervisord.main_program = "main";
  Supervisor sup(*loop, c, [] { return Result<Config>(make_error("no reload")); });
  ASSERT_TRUE(sup.start().ok());
  EXPECT_EQ(run(), 7);
  EXPECT_EQ(sup.table().find("side", "side")->state(), ProcessState::Stopped);
}

TEST_F(SupervisorTest, ReloadRestartsWithTheNewConfig) {
  Config second = config_of({program("q", "/bin/sleep 100")});
  Supervisor sup(*loop, config_of({program("p", "/bin/sleep 100")}), [&] { return Result<Config>(second); });
  // startsecs=0: p is RUNNING at once; restart from the loop, not from inside start().
  loop->defer([&] { sup.request_restart("received SIGHUP indicating restart request"); });
  ASSERT_TRUE(sup.start().ok());
  auto sub = sup.bus().subscribe(mask_of(EventKind::ProcessState), [&](const Event& e) {
    const auto& c = std::get<ProcessStateChanged>(e);
    if (c.process->name() == "q" && c.to == ProcessState::Running) {
      EXPECT_EQ(sup.table().find_group("p"), nullptr);
      sup.request_shutdown("done");
    }
  });
  EXPECT_EQ(run(), 0);
  ASSERT_NE(sup.table().find("q", "q"), nullptr);
}

Config web_group(const std::vector<std::pair<std::string, std::string>>& members) {
  Config c = config_of({});
  GroupConfig g;
  g.name = "web";
  g.kind = GroupConfig::Kind::Group;
  for (const auto& [name, command] : members) {
    ProcessConfig p = program(name, command);
    p.group = "web";
    g.processes.push_back(p);
  }
  c.groups.push_back(g);
  return c;
}

TEST_F(SupervisorTest, UpdateRestartsOnlyTheChangedProcessOfAGroup) {
  Supervisor sup(*loop, web_group({{"a", "/bin/sleep 100"}, {"b", "/bin/sleep 100"}}),
                 [] { return Result<Config>(make_error("unused")); });
  ASSERT_TRUE(sup.start().ok());
  pid_t old_a = sup.table().find("web", "a")->pid();
  pid_t old_b = sup.table().find("web", "b")->pid();
  ASSERT_GT(old_a, 0);
  ConfigDiff d = sup.update(web_group({{"a", "/bin/sleep 101"}, {"b", "/bin/sleep 100"}, {"c", "/bin/sleep 100"}}));
  ASSERT_EQ(d.changed.size(), 1u);
  EXPECT_EQ(d.changed[0].name(), "web:a");
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].name(), "web:c");
  pid_t new_a = 0;
  pid_t b_then = 0;
  auto sub = sup.bus().subscribe(mask_of(EventKind::ProcessState), [&](const Event& e) {
    const auto& c = std::get<ProcessStateChanged>(e);
    if (c.process->name() == "a" && c.to == ProcessState::Running) {
      new_a = c.process->pid();
      b_then = sup.table().find("web", "b")->pid();
      sup.request_shutdown("done");
    }
  });
  EXPECT_EQ(run(), 0);
  EXPECT_NE(new_a, 0);
  EXPECT_NE(new_a, old_a);
  EXPECT_EQ(b_then, old_b);
  const Process* a = sup.table().find("web", "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->config().command, "/bin/sleep 101");
  EXPECT_EQ(sup.table().find("web", "b")->pid(), 0);  // stopped by the shutdown, not before
  // b was never restarted: its one and only start is older than a's second one.
  EXPECT_LT(sup.table().find("web", "b")->fsm().laststart_wall(), a->fsm().laststart_wall());
  EXPECT_NE(sup.table().find("web", "c"), nullptr);
  EXPECT_EQ(sup.diff_against(web_group({{"a", "/bin/sleep 101"}, {"b", "/bin/sleep 100"}, {"c", "/bin/sleep 100"}}))
                .empty(),
            true);
}

TEST_F(SupervisorTest, UpdateRemovesAProcessOnlyOnceItHasStopped) {
  std::string log = dir + "/slow";
  std::string slow = "/bin/sh -c 'trap \"sleep 0.2; echo clean >> " + log + "; exit 0\" TERM; echo up >> " + log +
                     "; while :; do sleep 0.05; done'";
  Supervisor sup(*loop, web_group({{"a", "/bin/sleep 100"}, {"slow", slow}}),
                 [] { return Result<Config>(make_error("unused")); });
  ASSERT_TRUE(sup.start().ok());
  pid_t a_pid = sup.table().find("web", "a")->pid();
  std::function<void()> poll = [&] {
    if (read_file(log) == "up\n") {
      ConfigDiff d = sup.update(web_group({{"a", "/bin/sleep 100"}}));
      ASSERT_EQ(d.removed.size(), 1u);
      EXPECT_EQ(d.removed[0].name(), "web:slow");
      // Still there while it cleans up.
      ASSERT_NE(sup.table().find("web", "slow"), nullptr);
      EXPECT_EQ(sup.table().find("web", "slow")->state(), ProcessState::Stopping);
    } else if (read_file(log) == "up\nclean\n" && sup.table().find("web", "slow") == nullptr) {
      EXPECT_EQ(sup.table().find("web", "a")->pid(), a_pid);
      sup.request_shutdown("done");
      return;
    }
    loop->add_timer_after(seconds_d(0.02), poll);
  };
  loop->add_timer_after(seconds_d(0.02), poll);
  EXPECT_EQ(run(), 0);
  EXPECT_EQ(sup.table().find("web", "slow"), nullptr);
  EXPECT_EQ(sup.table().groups().size(), 1u);
  EXPECT_EQ(sup.table().groups()[0]->processes.size(), 1u);
  EXPECT_EQ(sup.table().configured(*sup.table().groups()[0]).processes.size(), 1u);
}


// An fcgi group: one socket, bound when the group is added, every process's
// fd 0, kept while the processes stop and start again, gone with the group.
TEST_F(SupervisorTest, FcgiGroupKeepsOneSocketForItsLife) {
  std::string sock = dir + "/fc.sock";
  auto member = [&](const std::string& n) {
    ProcessConfig p = program(n, "/bin/sh -c 'readlink /proc/self/fd/0 > " + dir + "/" + n + ".fd0; exec sleep 1000'");
    p.group = "fc";
    return p;
  };
  Config c = config_of({});
  GroupConfig g;
  g.name = "fc";
  g.kind = GroupConfig::Kind::FcgiProgram;
  g.fcgi_socket = GroupConfig::FcgiSocket{"unix://" + sock, 0, std::nullopt, std::nullopt, 0700};
  g.processes = {member("fc_0"), member("fc_1")};
  c.groups.push_back(g);
  Supervisor sup(*loop, c, [] { return Result<Config>(make_error("no reload")); });
  ASSERT_TRUE(sup.start().ok());
  auto pump_until = [&](const std::function<bool()>& pred) {
    return test_support::wait_until([&] {
      loop->run_once(10);
      return pred();
    });
  };
  auto fd0 = [&](const std::string& n) { return read_file(dir + "/" + n + ".fd0"); };
  const Group* group = sup.table().find_group("fc");
  ASSERT_TRUE(group != nullptr && group->socket);
  struct stat st {};
  ASSERT_EQ(fstat(group->socket->fd(), &st), 0);
  std::string socket_id = fmt::format("socket:[{}]\n", st.st_ino);
  auto both_report = [&] { return fd0("fc_0") == socket_id && fd0("fc_1") == socket_id; };
  ASSERT_TRUE(pump_until(both_report)) << fd0("fc_0") << fd0("fc_1");
  auto stop_all = [&] {
    for (const auto& p : group->processes) {
      sup.commands().stop(*p, false, Waiter{[](CommandResult) {}});
    }
    return pump_until([&] {
      return std::all_of(group->processes.begin(), group->processes.end(),
                         [](const auto& p) { return is_stopped_state(p->state()); });
    });
  };
  ASSERT_TRUE(stop_all());
  EXPECT_EQ(access(sock.c_str(), F_OK), 0);  // no process, still bound
  unlink((dir + "/fc_0.fd0").c_str());
  unlink((dir + "/fc_1.fd0").c_str());
  for (const auto& p : group->processes) {
    sup.commands().start(*p, false, Waiter{[](CommandResult) {}});
  }
  ASSERT_TRUE(pump_until(both_report)) << fd0("fc_0") << fd0("fc_1");
  ASSERT_TRUE(stop_all());
  ASSERT_TRUE(sup.remove_group("fc").ok());
  EXPECT_NE(access(sock.c_str(), F_OK), 0);
}

TEST_F(SupervisorTest, AnFcgiSocketThatCannotBeBoundStartsNothing) {
  // Every group is added before any program starts, so the failure leaves no child.
  Config c = config_of({program("first", "/bin/sleep 1000", 1)});
  GroupConfig bad;
  bad.name = "bad";
  bad.priority = 2;
  bad.kind = GroupConfig::Kind::FcgiProgram;
  bad.fcgi_socket = GroupConfig::FcgiSocket{"unix://" + dir + "/nodir/x.sock", 0, std::nullopt, std::nullopt, 0700};
  ProcessConfig member = program("bad", "/bin/sleep 1000", 2);
  bad.processes = {member};
  c.groups.push_back(bad);
  Supervisor sup(*loop, c, [] { return Result<Config>(make_error("no reload")); });
  Status st = sup.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(),
            "Could not create FastCGI socket unix://" + dir + "/nodir/x.sock: [Errno 2] No such file or directory");
  EXPECT_EQ(sup.table().find_group("bad"), nullptr);
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);  // "first" was never spawned
}

}  // namespace
}  // namespace tend
