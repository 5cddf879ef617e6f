#include "ctl/controller.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <optional>

namespace tend::ctl {
namespace {

// Answers calls from a per-method queue of replies (the last one repeats);
// records the calls made.
class FakeBackend : public RpcBackend {
 public:
  Reply call(const std::string& method, const rpc::Array& params) override {
    calls.push_back(method);
    last_params[method] = params;
    auto it = replies.find(method);
    if (it == replies.end() || it->second.empty()) {
      return rpc::Fault{1, "UNKNOWN_METHOD"};
    }
    Reply r = it->second.front();
    if (it->second.size() > 1) {
      it->second.pop_front();
    }
    return r;
  }
  std::map<std::string, std::deque<Reply>> replies;
  std::map<std::string, rpc::Array> last_params;
  std::vector<std::string> calls;
};

rpc::Value proc(const std::string& group, const std::string& name, int state,
                const std::string& statename) {
  return rpc::Value(rpc::Struct{{"name", rpc::Value(name)},
                                {"group", rpc::Value(group)},
                                {"state", rpc::Value(state)},
                                {"statename", rpc::Value(statename)},
                                {"description", rpc::Value("d")},
                                {"pid", rpc::Value(state == 20 ? 42 : 0)}});
}

class CtlControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_out = open_memstream(&m_buf, &m_len);
    make(false);
  }
  // A controller whose stdout is (`terminal`) or is not a terminal.
  void make(bool terminal, std::optional<std::string> inet_console_url = std::nullopt) {
    auto fake = std::make_unique<FakeBackend>();
    m_fake = fake.get();
    m_fake->replies["supervisor.getVersion"] = {rpc::Value("3.0")};
    m_fake->replies["supervisor.getAllProcessInfo"] = {rpc::Value(rpc::Array{
        proc("a", "a", 20, "RUNNING"), proc("g", "x", 0, "STOPPED"), proc("g", "y", 20, "RUNNING")})};
    CtlSettings s;
    s.serverurl = "unix:///tmp/nowhere.sock";
    s.inet_console_url = std::move(inet_console_url);
    ControllerIo io;
    io.out = m_out;
    io.terminal = terminal;
    m_ctl = std::make_unique<Controller>(s, io, std::move(fake));
  }
  void TearDown() override {
    m_ctl.reset();
    std::fclose(m_out);
    std::free(m_buf);
  }
  std::string run(const std::string& line) {
    m_ctl->onecmd(line);
    std::fflush(m_out);
    std::string text(m_buf, m_len);
    std::string fresh = text.substr(m_seen);
    m_seen = text.size();
    return fresh;
  }

  FakeBackend* m_fake = nullptr;
  std::unique_ptr<Controller> m_ctl;
  std::FILE* m_out = nullptr;
  char* m_buf = nullptr;
  size_t m_len = 0;
  size_t m_seen = 0;
};

TEST_F(CtlControllerTest, StatusExitsZeroWhenAllListedRun) {
  run("status a g:y");
  EXPECT_EQ(m_ctl->exit_status(), 0);
}

TEST_F(CtlControllerTest, StatusExits3ForAStoppedProcess) {
  std::string out = run("status g:*");
  EXPECT_EQ(m_ctl->exit_status(), 3);
  EXPECT_NE(out.find("g:x"), std::string::npos);
  EXPECT_NE(out.find("g:y"), std::string::npos);
}

TEST_F(CtlControllerTest, StatusUnknownNameExits4AndPrintsErrorsFirst) {
  std::string out = run("status nope a");
  EXPECT_EQ(m_ctl->exit_status(), 4);
  EXPECT_EQ(out.substr(0, out.find('\n')), "nope: ERROR (no such process)");
  EXPECT_EQ(run("status zz:"), "zz: ERROR (no such group)\n");
}

TEST_F(CtlControllerTest, StatusTurnsRefusedConnectionInto4) {
  m_fake->replies["supervisor.getVersion"] = {
      TransportError{TransportError::Kind::Connect, ECONNREFUSED, 0, {}, "refused"}};
  EXPECT_EQ(run("status"), "unix:///tmp/nowhere.sock refused connection\n");
  EXPECT_EQ(m_ctl->exit_status(), 4);
}

TEST_F(CtlControllerTest, UpcheckMissingSocketExits7) {
  m_fake->replies["supervisor.getVersion"] = {
      TransportError{TransportError::Kind::Connect, ENOENT, 0, {}, "enoent"}};
  EXPECT_EQ(run("start a"), "unix:///tmp/nowhere.sock no such file\n");
  EXPECT_EQ(m_ctl->exit_status(), 7);
}

TEST_F(CtlControllerTest, UpcheckWrongApiVersionExits5) {
  m_fake->replies["supervisor.getVersion"] = {rpc::Value("2.0")};
  run("pid");
  EXPECT_EQ(m_ctl->exit_status(), 5);
}

TEST_F(CtlControllerTest, StartWithoutNameExits2) {
  std::string out = run("start");
  EXPECT_EQ(out.substr(0, out.find('\n')), "Error: start requires a process name");
  EXPECT_EQ(m_ctl->exit_status(), 2);
}

TEST_F(CtlControllerTest, StartUnknownGroupExits2) {
  m_fake->replies["supervisor.startProcessGroup"] = {rpc::Fault{10, "BAD_NAME: zz"}};
  EXPECT_EQ(run("start zz:*"), "zz: ERROR (no such group)\n");
  EXPECT_EQ(m_ctl->exit_status(), 2);
}

TEST_F(CtlControllerTest, StartSpawnErrorExits7AlreadyStartedIsIgnored) {
  m_fake->replies["supervisor.startProcess"] = {rpc::Fault{60, "ALREADY_STARTED: a"}};
  EXPECT_EQ(run("start a"), "a: ERROR (already started)\n");
  EXPECT_EQ(m_ctl->exit_status(), 0);
  m_fake->replies["supervisor.startProcess"] = {rpc::Fault{50, "SPAWN_ERROR: g:x"}};
  EXPECT_EQ(run("start g:x"), "g:x: ERROR (spawn error)\n");
  EXPECT_EQ(m_ctl->exit_status(), 7);
}

TEST_F(CtlControllerTest, StopNotRunningIsIgnored) {
  m_fake->replies["supervisor.stopProcess"] = {rpc::Fault{70, "NOT_RUNNING: g:x"}};
  EXPECT_EQ(run("stop g:x"), "g:x: ERROR (not running)\n");
  EXPECT_EQ(m_ctl->exit_status(), 0);
}

TEST_F(CtlControllerTest, SignalNotRunningExits7) {
  m_fake->replies["supervisor.signalProcess"] = {rpc::Fault{70, "NOT_RUNNING: g:x"}};
  EXPECT_EQ(run("signal HUP g:x"), "g:x: ERROR (not running)\n");
  EXPECT_EQ(m_ctl->exit_status(), 7);
  EXPECT_EQ(m_fake->last_params["supervisor.signalProcess"][1], rpc::Value("HUP"));
}

TEST_F(CtlControllerTest, PidOfStoppedProcessExits7) {
  m_fake->replies["supervisor.getProcessInfo"] = {proc("g", "x", 0, "STOPPED")};
  EXPECT_EQ(run("pid g:x"), "0\n");
  EXPECT_EQ(m_ctl->exit_status(), 7);
}

TEST_F(CtlControllerTest, TailAsksForTheLastBytes) {
  m_fake->replies["supervisor.readProcessStderrLog"] = {rpc::Value("oops\n")};
  EXPECT_EQ(run("tail -20 a stderr"), "oops\n\n");
  EXPECT_EQ(m_fake->last_params["supervisor.readProcessStderrLog"][1], rpc::Value(int64_t{-20}));
  EXPECT_EQ(run("tail a bogus"), "Error: bad channel 'bogus'\n");
  EXPECT_EQ(m_ctl->exit_status(), 1);
}

TEST_F(CtlControllerTest, UnknownCommand) {
  EXPECT_EQ(run("frobnicate now"), "*** Unknown syntax: frobnicate now\n");
  EXPECT_EQ(m_ctl->exit_status(), 1);
}

TEST_F(CtlControllerTest, UnauthorizedWithoutShell) {
  m_fake->replies["supervisor.getVersion"] = {
      TransportError{TransportError::Kind::Http, 0, 401, "Unauthorized", "401"}};
  std::string out = run("status");
  EXPECT_EQ(out.substr(0, out.find('\n')), "Server requires authentication");
  EXPECT_NE(out.find("error: "), std::string::npos);
  EXPECT_EQ(m_ctl->exit_status(), 1);
}

TEST_F(CtlControllerTest, UnexpectedFaultIsReportedAsError) {
  m_fake->replies["supervisor.getAllConfigInfo"] = {rpc::Fault{2, "INCORRECT_PARAMETERS"}};
  std::string out = run("avail");
  EXPECT_EQ(out.substr(0, 7), "error: ");
  EXPECT_EQ(m_ctl->exit_status(), 1);
}

TEST_F(CtlControllerTest, UpdateStopsRemovesAndAdds) {
  m_fake->replies["supervisor.reloadConfig"] = {rpc::Value(rpc::Array{rpc::Value(
      rpc::Array{rpc::Value(rpc::Array{rpc::Value("new")}), rpc::Value(rpc::Array{rpc::Value("g")}),
                 rpc::Value(rpc::Array{rpc::Value("a")})})})};
  m_fake->replies["supervisor.stopProcessGroup"] = {rpc::Value(rpc::Array{})};
  m_fake->replies["supervisor.removeProcessGroup"] = {rpc::Value(true)};
  m_fake->replies["supervisor.addProcessGroup"] = {rpc::Value(true)};
  EXPECT_EQ(run("update"),
            "a: stopped\na: removed process group\ng: stopped\ng: updated process group\n"
            "new: added process group\n");
  EXPECT_EQ(m_ctl->exit_status(), 0);
}

rpc::Value health(const std::string& group, const std::string& name, int state, const std::string& statename,
                  bool autostart, const std::string& waiting_for = "", const std::string& ready_check = "running") {
  return rpc::Value(rpc::Struct{{"name", rpc::Value(name)},
                                {"group", rpc::Value(group)},
                                {"state", rpc::Value(state)},
                                {"statename", rpc::Value(statename)},
                                {"autostart", rpc::Value(autostart)},
                                {"ready", rpc::Value(state == 20)},
                                {"ready_check", rpc::Value(ready_check)},
                                {"healthcheck", rpc::Value("")},
                                {"health", rpc::Value("none")},
                                {"waiting_for", rpc::Value(waiting_for)},
                                {"completed", rpc::Value(false)}});
}

TEST_F(CtlControllerTest, HealthExits0WhenEveryAutostartProcessIsReady) {
  m_fake->replies["tend.getAllProcessHealth"] = {rpc::Value(
      rpc::Array{health("a", "a", 20, "RUNNING", true), health("g", "x", 0, "STOPPED", false)})};
  EXPECT_EQ(run("health"), "ok (1 process)\n");
  EXPECT_EQ(m_ctl->exit_status(), 0);
}

TEST_F(CtlControllerTest, HealthExits1NamingTheProcessesThatAreNot) {
  m_fake->replies["tend.getAllProcessHealth"] = {rpc::Value(rpc::Array{
      health("a", "a", 20, "RUNNING", true), health("g", "x", 0, "STOPPED", true, "a (healthy)"),
      health("g", "y", 10, "STARTING", true, "", "notify")})};
  EXPECT_EQ(run("health"), "g:x: STOPPED, waiting for a (healthy)\ng:y: STARTING, not ready\n");
  EXPECT_EQ(m_ctl->exit_status(), 1);
}

TEST_F(CtlControllerTest, HealthOfNamedProcessesOnly) {
  m_fake->replies["tend.getAllProcessHealth"] = {rpc::Value(
      rpc::Array{health("a", "a", 20, "RUNNING", false), health("g", "x", 0, "STOPPED", true)})};
  EXPECT_EQ(run("health a"), "ok (1 process)\n");
  EXPECT_EQ(m_ctl->exit_status(), 0);
  EXPECT_EQ(run("health nope"), "nope: ERROR (no such process)\n");
  EXPECT_EQ(m_ctl->exit_status(), 1);
}

TEST_F(CtlControllerTest, HealthExits1WhenTheServerCannotAnswer) {
  m_fake->replies["tend.getAllProcessHealth"] = {
      TransportError{TransportError::Kind::Connect, ENOENT, 0, {}, "unix:///tmp/nowhere.sock no such file"}};
  EXPECT_EQ(run("health"), "error: unix:///tmp/nowhere.sock no such file\n");
  EXPECT_EQ(m_ctl->exit_status(), 1);
  make(false);  // a server without tend.* (supervisord): the fake answers UNKNOWN_METHOD
  EXPECT_EQ(run("health").substr(0, 46), "error: the server has no tend.getAllProcessHea");
  EXPECT_EQ(m_ctl->exit_status(), 1);
}

TEST_F(CtlControllerTest, StatusOnATerminalAddsAHealthColumnWhereThereAreChecks) {
  make(true);
  std::string plain = run("status a");  // no tend.* answer: supervisorctl's table
  EXPECT_EQ(plain, "a" + std::string(32, ' ') + "RUNNING   d\n");
  m_fake->replies["tend.getAllProcessHealth"] = {rpc::Value(rpc::Array{health("a", "a", 20, "RUNNING", true)})};
  EXPECT_EQ(run("status a"), plain);  // nothing checked: no column either
  m_fake->replies["tend.getAllProcessHealth"] = {rpc::Value(rpc::Array{
      health("a", "a", 20, "RUNNING", true), health("g", "x", 0, "STOPPED", true, "a (ready)")})};
  EXPECT_EQ(run("status a g:x"), "a" + std::string(32, ' ') + "RUNNING   ready     d\n" + "g:x" +
                                     std::string(30, ' ') + "STOPPED   waiting   d\n");
  make(false);
  m_fake->replies["tend.getAllProcessHealth"] = {rpc::Value(rpc::Array{
      health("a", "a", 20, "RUNNING", true), health("g", "x", 0, "STOPPED", true, "a (ready)")})};
  EXPECT_EQ(run("status a"), plain);  // not a terminal: never
}

TEST(CtlHelpers, SplitWordsAndPyInt) {
  EXPECT_EQ(split_words("  a \t b\n"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parse_py_int("100"), 100);
  EXPECT_EQ(parse_py_int("-5"), -5);
  EXPECT_EQ(parse_py_int("1_000"), 1000);
  EXPECT_FALSE(parse_py_int("f"));
  EXPECT_FALSE(parse_py_int(""));
  EXPECT_FALSE(parse_py_int("1__0"));
}

TEST(CtlHelpers, ColumnizeFitsWidth) {
  std::vector<std::string> lines = columnize({"aa", "b", "cc", "d"}, 8);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "aa  cc");
  EXPECT_EQ(lines[1], "b   d ");
}

TEST_F(CtlControllerTest, OpenWithoutAUrlPrintsTheConsoleAddress) {
  std::string out = run("open");
  EXPECT_NE(out.find("error: unix:///tmp/nowhere.sock is a UNIX socket"), std::string::npos) << out;
  EXPECT_NE(out.find("[inet_http_server]"), std::string::npos) << out;
  EXPECT_EQ(m_ctl->exit_status(), 1);
  make(false, "http://127.0.0.1:9001/");
  EXPECT_EQ(run("open"), "http://127.0.0.1:9001/\n");
  EXPECT_EQ(m_ctl->exit_status(), 0);
  // After switching servers, the address is the new server's, not the config file's.
  run("open http://example.org:9002");
  EXPECT_EQ(run("open"), "http://example.org:9002/\n");
  run("open unix:///tmp/other.sock");
  EXPECT_NE(run("open").find("error: unix:///tmp/other.sock is a UNIX socket"), std::string::npos);
}

}  // namespace
}  // namespace tend::ctl
