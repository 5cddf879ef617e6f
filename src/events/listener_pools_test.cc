// The listener pools on a whole supervisor: fake clock, fake runtime (real
// pipes, fake pids). A test plays the listener by writing to the pipe tend
// reads as its stdout and reading the one tend writes as its stdin.
#include "events/listener_pools.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakes/fake_supervisor.h"

namespace tend::events {
namespace {

using test_support::exited_with;

ProcessConfig program(const std::string& name, const std::string& group) {
  ProcessConfig p;
  p.name = name;
  p.group = group;
  p.program = group;
  p.command = "/bin/sleep 100";
  p.stdout_ch.logfile.kind = LogTarget::Kind::None;
  p.stderr_ch.logfile.kind = LogTarget::Kind::None;
  return p;
}

GroupConfig listener_group(const std::string& name, std::vector<std::string> events, int numprocs = 1,
                           std::string handler = "supervisor.dispatchers:default_handler") {
  GroupConfig g;
  g.name = name;
  g.priority = -1;
  g.kind = GroupConfig::Kind::EventListener;
  g.result_handler = std::move(handler);
  for (int i = 0; i < numprocs; ++i) {
    ProcessConfig p = program(numprocs == 1 ? name : name + "_" + std::to_string(i), name);
    p.priority = -1;
    p.process_num = i;
    p.events = events;
    p.autorestart = AutoRestart::Always;
    g.processes.push_back(p);
  }
  return g;
}

GroupConfig program_group(const std::string& name) {
  GroupConfig g;
  g.name = name;
  g.processes.push_back(program(name, name));
  return g;
}

// One envelope as a listener reads it.
struct Received {
  std::map<std::string, std::string> headers;
  std::string payload;
};

class ListenerPoolsTest : public test_support::FakeSupervisorTest {
 protected:
  void TearDown() override {
    pools.reset();
    sup.reset();
  }
  void make(std::vector<GroupConfig> groups) {
    Config c;
    c.supervisord.console_output = SupervisordConfig::ConsoleOutput::Off;
    c.supervisord.identifier = "supervisor";
    c.groups = std::move(groups);
    build(std::move(c));
    pools = std::make_unique<ListenerPools>(*sup, [this](std::string_view t) { printed += t; });
    start();
  }
  // The listener `name` (of group `group`) writes `text` on its stdout.
  void say(const std::string& group, const std::string& name, std::string_view text) {
    pid_t pid = proc(group, name).pid();
    ASSERT_EQ(write(rt.child_stdout[pid].get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
    settle();
  }
  // Everything tend wrote to the listener's stdin so far, as envelopes.
  std::vector<Received> heard(const std::string& group, const std::string& name) {
    pid_t pid = proc(group, name).pid();
    int fd = rt.child_stdin[pid].get();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    char buf[65536];
    ssize_t n = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
      unread[pid].append(buf, static_cast<size_t>(n));
    }
    std::vector<Received> out;
    std::string& s = unread[pid];
    while (true) {
      size_t eol = s.find('\n');
      if (eol == std::string::npos) {
        break;
      }
      Received r;
      std::string line = s.substr(0, eol);
      for (size_t pos = 0; pos < line.size();) {
        size_t sp = line.find(' ', pos);
        std::string field = line.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
        size_t colon = field.find(':');
        r.headers[field.substr(0, colon)] = field.substr(colon + 1);
        pos = sp == std::string::npos ? line.size() : sp + 1;
      }
      size_t len = std::stoul(r.headers["len"]);  // ASCII payloads here
      if (s.size() < eol + 1 + len) {
        break;
      }
      r.payload = s.substr(eol + 1, len);
      s.erase(0, eol + 1 + len);
      out.push_back(r);
    }
    return out;
  }

  std::unique_ptr<ListenerPools> pools;
  std::map<pid_t, std::string> unread;
  std::string printed;
};

TEST_F(ListenerPoolsTest, StartUpSequenceAsSupervisordSendsIt) {
  make({listener_group("lsn", {"PROCESS_GROUP", "SUPERVISOR_STATE_CHANGE", "PROCESS_STATE_STARTING"}),
        program_group("web")});
  ASSERT_NE(pools->pool("lsn"), nullptr);
  EXPECT_EQ(pools->pool("lsn")->buffer().size(), 5u);  // buffered until READY and RUNNING
  say("lsn", "lsn", "READY\n");
  EXPECT_TRUE(heard("lsn", "lsn").empty());  // STARTING: not sent yet
  advance(1);
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    std::vector<Received> got = heard("lsn", "lsn");
    ASSERT_EQ(got.size(), 1u) << i;  // one event at a time
    names.push_back(got[0].headers["eventname"]);
    EXPECT_EQ(got[0].headers["serial"], std::to_string(i));
    EXPECT_EQ(got[0].headers["poolserial"], std::to_string(i));
    EXPECT_EQ(got[0].headers["pool"], "lsn");
    EXPECT_EQ(got[0].headers["server"], "supervisor");
    EXPECT_EQ(got[0].headers["ver"], "3.0");
    if (i == 0) {
      EXPECT_EQ(got[0].payload, "groupname:lsn\n");
    }
    if (i == 3) {
      EXPECT_EQ(got[0].payload, "processname:lsn groupname:lsn from_state:STOPPED tries:0");
    }
    say("lsn", "lsn", "RESULT 2\nOKREADY\n");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"PROCESS_GROUP_ADDED", "PROCESS_GROUP_ADDED",
                                             "SUPERVISOR_STATE_CHANGE_RUNNING", "PROCESS_STATE_STARTING",
                                             "PROCESS_STATE_STARTING"}));
}

TEST_F(ListenerPoolsTest, RejectedAndOrphanedEventsAreSentAgain) {
  make({listener_group("lsn", {"PROCESS_STATE_RUNNING"}), program_group("web")});
  advance(1);  // both RUNNING: two events wait
  say("lsn", "lsn", "READY\n");
  std::vector<Received> first = heard("lsn", "lsn");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].headers["serial"], "0");
  say("lsn", "lsn", "RESULT 4\nFAILREADY\n");
  std::vector<Received> again = heard("lsn", "lsn");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].headers["serial"], "0");  // the same event, serials kept
  EXPECT_EQ(again[0].payload, first[0].payload);
  // The listener dies while BUSY: the restarted one gets the event again.
  pid_t old = proc("lsn", "lsn").pid();
  sup->child_exited(old, exited_with(1));
  settle();
  ASSERT_NE(proc("lsn", "lsn").pid(), old);
  EXPECT_EQ(pools->pool("lsn")->listener_state(&proc("lsn", "lsn")), ListenerState::Acknowledged);
  advance(1);
  say("lsn", "lsn", "READY\n");
  std::vector<Received> after = heard("lsn", "lsn");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].headers["serial"], "0");
}

TEST_F(ListenerPoolsTest, EventsGoToWhicheverListenerIsReady) {
  make({listener_group("lsn", {"TICK_5", "REMOTE_COMMUNICATION"}, 2)});
  advance(1);
  say("lsn", "lsn_1", "READY\n");
  sup->commands().remote_comm("t", "one");
  sup->commands().remote_comm("t", "two");
  settle();
  std::vector<Received> got1 = heard("lsn", "lsn_1");
  ASSERT_EQ(got1.size(), 1u);
  EXPECT_EQ(got1[0].payload, "type:t\none");
  say("lsn", "lsn_0", "READY\n");
  std::vector<Received> got0 = heard("lsn", "lsn_0");
  ASSERT_EQ(got0.size(), 1u);
  EXPECT_EQ(got0[0].payload, "type:t\ntwo");
  EXPECT_EQ(got0[0].headers["eventname"], "REMOTE_COMMUNICATION");
  // TICK_5 is subscribed: the ticker runs and its events arrive.
  say("lsn", "lsn_0", "RESULT 2\nOKREADY\n");
  advance(5);
  std::vector<Received> tick = heard("lsn", "lsn_0");
  ASSERT_EQ(tick.size(), 1u);
  EXPECT_EQ(tick[0].headers["eventname"], "TICK_5");
  ASSERT_EQ(tick[0].payload.rfind("when:", 0), 0u) << tick[0].payload;
  EXPECT_EQ(std::stoll(tick[0].payload.substr(5)) % 5, 0) << tick[0].payload;
}

TEST_F(ListenerPoolsTest, ProtocolViolationMakesTheListenerUnknown) {
  make({listener_group("lsn", {"PROCESS_STATE"})});
  advance(1);
  say("lsn", "lsn", "READY\n");
  ASSERT_EQ(heard("lsn", "lsn").size(), 1u);
  say("lsn", "lsn", "garbage\n");
  const Process* p = &proc("lsn", "lsn");
  EXPECT_EQ(pools->pool("lsn")->listener_state(p), ListenerState::Unknown);
  EXPECT_EQ(pools->pool("lsn")->buffer().size(), 2u);  // STARTING came back before RUNNING
  say("lsn", "lsn", "READY\n");
  EXPECT_TRUE(heard("lsn", "lsn").empty());
}

TEST_F(ListenerPoolsTest, StdoutHandlerPrintsTheEchoedLog) {
  GroupConfig web = program_group("web");
  web.processes[0].stdout_ch.events_enabled = true;
  make({listener_group("out", {"PROCESS_LOG"}, 1, "supervisor_stdout:event_handler"), web});
  advance(1);
  say("out", "out", "READY\n");
  pid_t web_pid = proc("web", "web").pid();
  ASSERT_EQ(write(rt.child_stdout[web_pid].get(), "hello\nworld\n", 12), 12);
  settle();
  std::vector<Received> got = heard("out", "out");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].headers["eventname"], "PROCESS_LOG_STDOUT");
  EXPECT_EQ(got[0].payload, "processname:web groupname:web pid:" + std::to_string(web_pid) +
                                " channel:stdout\nhello\nworld\n");
  // The listener echoes the payload back as its result (as supervisor_stdout does).
  say("out", "out", "RESULT " + std::to_string(got[0].payload.size()) + "\n" + got[0].payload);
  EXPECT_EQ(printed, "web stdout | hello\nweb stdout | world\nweb stdout | \n");
  EXPECT_EQ(pools->pool("out")->listener_state(&proc("out", "out")), ListenerState::Acknowledged);
}

// update replaces a changed listener group as supervisord does (the whole
// group: every process of it changed): a new pool, an empty buffer, a listener
// that starts ACKNOWLEDGED. The supervisor-wide serial goes on; the pool's
// starts again.
TEST_F(ListenerPoolsTest, UpdateReplacesAListenerWithAFreshOne) {
  make({listener_group("lsn", {"REMOTE_COMMUNICATION"})});
  advance(1);
  say("lsn", "lsn", "READY\n");
  sup->commands().remote_comm("t", "x");
  settle();
  ASSERT_EQ(heard("lsn", "lsn").size(), 1u);  // BUSY with it
  pid_t old_pid = proc("lsn", "lsn").pid();
  Config next = sup->config();
  next.groups = sup->configured_groups();
  next.groups[0].processes[0].command = "/bin/sleep 200";
  sup->update(next);
  settle();
  sup->child_exited(old_pid, 15);
  settle();
  const Process& fresh = proc("lsn", "lsn");
  EXPECT_EQ(fresh.config().command, "/bin/sleep 200");
  EXPECT_EQ(pools->pool("lsn")->listener_state(&fresh), ListenerState::Acknowledged);
  EXPECT_TRUE(pools->pool("lsn")->buffer().empty());
  advance(1);
  say("lsn", "lsn", "READY\n");
  sup->commands().remote_comm("t", "y");
  settle();
  std::vector<Received> got = heard("lsn", "lsn");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].headers["serial"], "1");
  EXPECT_EQ(got[0].headers["poolserial"], "0");
  EXPECT_EQ(got[0].payload, "type:t\ny");
}

TEST_F(ListenerPoolsTest, PoolsFollowTheirGroups) {
  make({listener_group("lsn", {"PROCESS_GROUP"}), program_group("web")});
  EXPECT_EQ(pools->pool_count(), 1u);
  ASSERT_TRUE(sup->commands().remove("web").ok() == false);  // still running
  sup->commands().stop(proc("lsn", "lsn"), false, Waiter{[](CommandResult) {}});
  settle();
  sup->child_exited(proc("lsn", "lsn").pid(), 15);
  settle();
  ASSERT_TRUE(sup->commands().remove("lsn").ok());
  settle();
  EXPECT_EQ(pools->pool_count(), 0u);
  EXPECT_EQ(pools->pool("lsn"), nullptr);
}

}  // namespace
}  // namespace tend::events
