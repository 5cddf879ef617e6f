// supervisor.* against a real Supervisor running real programs on a real
// loop (on its own thread, so that each test reads as a sequence of calls).
#include "rpc/supervisor_api.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <sstream>

#include "fakes/http_test_support.h"
#include "fakes/wait_until.h"
#include "rpc/faults.h"
#include "rpc/system_api.h"

namespace tend::rpc {
namespace {

using namespace std::chrono_literals;

ProcessConfig program(const std::string& group, const std::string& name, const std::string& command) {
  ProcessConfig p;
  p.name = name;
  p.group = group;
  p.program = name;
  p.command = command;
  p.startsecs = 0;
  p.stopwaitsecs = 5;
  p.autostart = false;
  p.stdout_ch.logfile.kind = LogTarget::Kind::None;
  p.stderr_ch.logfile.kind = LogTarget::Kind::None;
  return p;
}

GroupConfig group_of(const std::string& name, std::vector<ProcessConfig> procs, int priority = 999) {
  GroupConfig g;
  g.name = name;
  g.priority = priority;
  g.processes = std::move(procs);
  return g;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fault of an outcome, or a Fault with code 0.
Fault fault_of(const Outcome& o) {
  const Fault* f = std::get_if<Fault>(&o);
  return f != nullptr ? *f : Fault{};
}
Value value_of(const Outcome& o) {
  const Value* v = std::get_if<Value>(&o);
  EXPECT_NE(v, nullptr) << "not a value: " << fault_of(o).string;
  return v != nullptr ? *v : Value();
}

class SupervisorApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Signals the supervisor handles must stay blocked in every thread, or a
    // process-directed SIGCHLD could be taken by a thread that ignores it.
    sigset_t all;
    sigfillset(&all);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) {
      sigdelset(&all, s);
    }
    pthread_sigmask(SIG_BLOCK, &all, &m_old_mask);
    char tmpl[] = "/tmp/tend-api-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    thread = std::make_unique<http::testing::LoopThread>();
    cfg.supervisord.console_output = SupervisordConfig::ConsoleOutput::Off;
    cfg.supervisord.shutdown_grace = 1;
    cfg.supervisord.identifier = "api-test";
  }

  void TearDown() override {
    if (sup) {
      call("supervisor.stopAllProcesses", {});
      thread->run([this] {
        api.reset();
        sup.reset();
        return 0;
      });
    }
    thread->stop();
    thread.reset();
    pthread_sigmask(SIG_SETMASK, &m_old_mask, nullptr);
    (void)!system(("rm -rf " + dir).c_str());
  }

  void boot() {
    thread->start();
    thread->run([this] {
      sup = std::make_unique<Supervisor>(thread->loop(), cfg, [this]() -> Result<Config> {
        if (!next_config) {
          return make_error(next_error);
        }
        return *next_config;
      });
      EXPECT_TRUE(sup->start().ok());
      api = std::make_unique<SupervisorApi>(*sup);
      EXPECT_TRUE(install_system_api(dispatcher).ok());
      EXPECT_TRUE(api->install(dispatcher).ok());
      return 0;
    });
  }

  // Calls a method and waits (up to `limit`) for its outcome.
  Outcome call(const std::string& method, Array params, std::chrono::seconds limit = 10s) {
    auto promise = std::make_shared<std::promise<Outcome>>();
    std::future<Outcome> result = promise->get_future();
    thread->post([this, method, params, promise] {
      dispatcher.dispatch(Call{method, params}, Reply([promise](Outcome o) { promise->set_value(std::move(o)); }));
    });
    if (result.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << method << " did not complete";
      return InternalError{"timeout"};
    }
    return result.get();
  }

  Value info(const std::string& name) { return value_of(call("supervisor.getProcessInfo", {Value(name)})); }
  std::string state_of(const std::string& name) { return info(name).get("statename")->as_string(); }

  std::string dir;
  Config cfg;
  std::optional<Config> next_config;
  std::string next_error = "no config";
  std::unique_ptr<http::testing::LoopThread> thread;
  Dispatcher dispatcher;
  std::unique_ptr<Supervisor> sup;
  std::unique_ptr<SupervisorApi> api;
  sigset_t m_old_mask{};
};

TEST_F(SupervisorApiTest, VersionsStateAndMethodList) {
  boot();
  EXPECT_EQ(value_of(call("supervisor.getAPIVersion", {})), Value("3.0"));
  EXPECT_EQ(value_of(call("supervisor.getVersion", {})), Value("3.0"));
  EXPECT_EQ(value_of(call("supervisor.getSupervisorVersion", {})), Value("4.2.5"));
  EXPECT_EQ(value_of(call("supervisor.getIdentification", {})), Value("api-test"));
  EXPECT_EQ(value_of(call("supervisor.getPID", {})), Value(static_cast<int64_t>(getpid())));
  Value state = value_of(call("supervisor.getState", {}));
  EXPECT_EQ(*state.get("statecode"), Value(1));
  EXPECT_EQ(*state.get("statename"), Value("RUNNING"));
  Array names = value_of(call("system.listMethods", {})).as_array();
  EXPECT_EQ(names.size(), 41u);  // supervisord 4.2.5: 37 supervisor.* + 4 system.*
  Array sig = value_of(call("system.methodSignature", {Value("supervisor.startProcess")})).as_array();
  EXPECT_EQ(sig, (Array{Value("boolean"), Value("string"), Value("boolean")}));
  Fault f = fault_of(call("supervisor.getPID", {Value(1)}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.code, faults::k_incorrect_parameters);
}

TEST_F(SupervisorApiTest, NamesAndProcessInfo) {
  cfg.groups = {group_of("b", {program("b", "b", "/bin/sleep 100")}),
                group_of("a", {program("a", "y", "/bin/sleep 100"), program("a", "x", "/bin/sleep 100")}, 5)};
  boot();
  for (const char* bad : {"nope", "a:", "a:*", "a:z", ""}) {
    Fault f = fault_of(call("supervisor.getProcessInfo", {Value(bad)}));
    ASSERT_NE(f.code, 0) << bad;
    EXPECT_EQ(f.code, faults::k_bad_name);
    EXPECT_EQ(f.string, std::string("BAD_NAME: ") + bad);
  }
  Value b = info("b");
  EXPECT_EQ(*b.get("statename"), Value("STOPPED"));
  EXPECT_EQ(*b.get("description"), Value("Not started"));
  EXPECT_EQ(*b.get("start"), Value(0));
  EXPECT_EQ(*b.get("pid"), Value(0));
  EXPECT_EQ(*b.get("spawnerr"), Value(""));
  EXPECT_EQ(*b.get("logfile"), Value(""));
  std::vector<std::string> keys;
  for (const auto& [k, v] : b.as_struct()) {
    keys.push_back(k);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "group", "start", "stop", "now", "state", "statename", "spawnerr",
                                            "exitstatus", "logfile", "stdout_logfile", "stderr_logfile", "pid",
                                            "description"}));
  Array all = value_of(call("supervisor.getAllProcessInfo", {})).as_array();
  ASSERT_EQ(all.size(), 3u);  // lexical: a:x, a:y, b
  EXPECT_EQ(*all[0].get("name"), Value("x"));
  EXPECT_EQ(*all[1].get("name"), Value("y"));
  EXPECT_EQ(*all[2].get("name"), Value("b"));
}

TEST_F(SupervisorApiTest, StartWaitsUntilRunningAndStopUntilStopped) {
  ProcessConfig p = program("p", "p", "/bin/sleep 100");
  p.startsecs = 1;
  cfg.groups = {group_of("p", {p})};
  boot();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(value_of(call("supervisor.startProcess", {Value("p")})), Value(true));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);
  Value i = info("p");
  EXPECT_EQ(*i.get("statename"), Value("RUNNING"));
  EXPECT_EQ(i.get("description")->as_string().rfind("pid ", 0), 0u);
  Fault f = fault_of(call("supervisor.startProcess", {Value("p")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "ALREADY_STARTED: p");
  EXPECT_EQ(value_of(call("supervisor.stopProcess", {Value("p")})), Value(true));
  EXPECT_EQ(state_of("p"), "STOPPED");
  f = fault_of(call("supervisor.stopProcess", {Value("p")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "NOT_RUNNING: p");
  // wait=False answers at once, in STARTING.
  EXPECT_EQ(value_of(call("supervisor.startProcess", {Value("p"), Value(false)})), Value(true));
  EXPECT_EQ(state_of("p"), "STARTING");
  EXPECT_EQ(thread->run([this] { return sup->commands().pending_waits(); }), 0u);
}

TEST_F(SupervisorApiTest, StartFaults) {
  ProcessConfig quick = program("q", "q", "/bin/false");
  quick.startsecs = 5;
  quick.startretries = 0;
  cfg.groups = {group_of("q", {quick}), group_of("missing", {program("missing", "missing", "/nonexistent/x")}),
                group_of("dir", {program("dir", "dir", "/tmp")})};
  boot();
  Fault f = fault_of(call("supervisor.startProcess", {Value("q")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "SPAWN_ERROR: q");
  EXPECT_EQ(state_of("q"), "FATAL");
  EXPECT_EQ(info("q").get("description")->as_string(), "Exited too quickly (process log may have details)");
  f = fault_of(call("supervisor.startProcess", {Value("missing")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.code, faults::k_no_file);
  EXPECT_EQ(f.string.rfind("NO_FILE: can't find command '/nonexistent/x'", 0), 0u);
  f = fault_of(call("supervisor.startProcess", {Value("dir")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "NOT_EXECUTABLE: command at '/tmp' is a directory");
  f = fault_of(call("supervisor.startProcess", {Value("nope")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "BAD_NAME: nope");
}

TEST_F(SupervisorApiTest, GroupOperationsReportEachProcess) {
  cfg.groups = {group_of("g", {program("g", "a", "/bin/sleep 100"), program("g", "b", "/nonexistent/b")})};
  boot();
  Array r = value_of(call("supervisor.startProcessGroup", {Value("g")})).as_array();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(*r[0].get("name"), Value("a"));
  EXPECT_EQ(*r[0].get("group"), Value("g"));
  EXPECT_EQ(*r[0].get("status"), Value(80));
  EXPECT_EQ(*r[0].get("description"), Value("OK"));
  EXPECT_EQ(*r[1].get("status"), Value(faults::k_no_file));
  // Running processes are skipped: no entry at all.
  r = value_of(call("supervisor.startProcess", {Value("g:*")})).as_array();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(*r[0].get("name"), Value("b"));
  r = value_of(call("supervisor.stopProcessGroup", {Value("g")})).as_array();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(*r[0].get("name"), Value("a"));
  EXPECT_EQ(state_of("g:a"), "STOPPED");
  EXPECT_EQ(value_of(call("supervisor.stopProcessGroup", {Value("g")})), Value(Array{}));
  Fault f = fault_of(call("supervisor.startProcessGroup", {Value("g:a")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "BAD_NAME: g:a");
  r = value_of(call("supervisor.startAllProcesses", {Value(false)})).as_array();
  EXPECT_EQ(r.size(), 2u);
  r = value_of(call("supervisor.stopAllProcesses", {})).as_array();
  EXPECT_EQ(r.size(), 1u);
}

TEST_F(SupervisorApiTest, Signals) {
  std::string mark = dir + "/hup";
  std::string ready = dir + "/ready";
  cfg.groups = {group_of("s", {program("s", "s",
                                       "/bin/sh -c 'trap \"echo hup >> " + mark + "\" HUP; trap \"echo usr1 >> " + mark +
                                           "\" USR1; touch " + ready +
                                           "; while :; do sleep 0.05; done'")})};
  boot();
  Fault f = fault_of(call("supervisor.signalProcess", {Value("s"), Value("HUP")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "NOT_RUNNING: s");
  EXPECT_EQ(value_of(call("supervisor.startProcess", {Value("s")})), Value(true));
  EXPECT_TRUE(test_support::wait_until([&] { return access(ready.c_str(), F_OK) == 0; }));
  f = fault_of(call("supervisor.signalProcess", {Value("s"), Value("BOGUS")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "BAD_SIGNAL: BOGUS");
  EXPECT_EQ(value_of(call("supervisor.signalProcess", {Value("s"), Value("HUP")})), Value(true));
  Array r = value_of(call("supervisor.signalProcessGroup", {Value("s"), Value("10")})).as_array();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(*r[0].get("status"), Value(80));
  r = value_of(call("supervisor.signalAllProcesses", {Value("NOPE")})).as_array();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(*r[0].get("status"), Value(faults::k_bad_signal));
  EXPECT_EQ(*r[0].get("description"), Value("BAD_SIGNAL: NOPE"));
  // Two different signals: the shell may fold repeats of one into one trap run.
  EXPECT_TRUE(test_support::wait_until([&] { return read_file(mark).size() >= 9; }));
  std::string got = read_file(mark);
  EXPECT_NE(got.find("hup\n"), std::string::npos) << got;
  EXPECT_NE(got.find("usr1\n"), std::string::npos) << got;
}

TEST_F(SupervisorApiTest, LogsReadTailAndClear) {
  std::string out = dir + "/out.log";
  ProcessConfig p = program("w", "w", "/bin/sh -c 'printf 0123456789; sleep 100'");
  p.stdout_ch.logfile = {LogTarget::Kind::Path, out};
  cfg.groups = {group_of("w", {p})};
  boot();
  Fault f = fault_of(call("supervisor.readProcessStdoutLog", {Value("w"), Value(0), Value(0)}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "NO_FILE: " + out);
  f = fault_of(call("supervisor.readProcessStderrLog", {Value("w"), Value(0), Value(0)}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "NO_FILE");
  EXPECT_EQ(value_of(call("supervisor.tailProcessStdoutLog", {Value("w"), Value(0), Value(10)})),
            Value(Array{Value(""), Value(0), Value(false)}));
  EXPECT_EQ(value_of(call("supervisor.startProcess", {Value("w")})), Value(true));
  EXPECT_TRUE(test_support::wait_until([&] { return read_file(out).size() >= 10; }));
  EXPECT_EQ(value_of(call("supervisor.readProcessStdoutLog", {Value("w"), Value(-4), Value(0)})), Value("6789"));
  EXPECT_EQ(value_of(call("supervisor.readProcessLog", {Value("w"), Value(2), Value(3)})), Value("234"));
  f = fault_of(call("supervisor.readProcessStdoutLog", {Value("w"), Value(-4), Value(2)}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "BAD_ARGUMENTS");
  EXPECT_EQ(value_of(call("supervisor.tailProcessStdoutLog", {Value("w"), Value(0), Value(3)})),
            Value(Array{Value("789"), Value(10), Value(true)}));
  // Each clear is an event on the bus (the web console's log panes start over on it).
  std::atomic<int> cleared{0};
  EventBus::Subscription sub = thread->run([&] {
    return sup->bus().subscribe(mask_of(EventKind::LogsCleared), [&](const Event& e) {
      EXPECT_EQ(process_of(e), sup->table().find("w", "w"));
      ++cleared;
    });
  });
  EXPECT_EQ(value_of(call("supervisor.clearProcessLogs", {Value("w")})), Value(true));
  EXPECT_EQ(read_file(out), "");
  EXPECT_EQ(cleared.load(), 1);
  Array all = value_of(call("supervisor.clearAllProcessLogs", {})).as_array();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(*all[0].get("description"), Value("OK"));
  EXPECT_EQ(cleared.load(), 2);
  thread->run([&] { sub.reset(); });
}

TEST_F(SupervisorApiTest, StdinReachesTheProcess) {
  std::string out = dir + "/echo.log";
  ProcessConfig p = program("c", "c", "/bin/cat");
  p.stdout_ch.logfile = {LogTarget::Kind::Path, out};
  cfg.groups = {group_of("c", {p})};
  boot();
  Fault f = fault_of(call("supervisor.sendProcessStdin", {Value("c"), Value("x")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "NOT_RUNNING: c");
  f = fault_of(call("supervisor.sendProcessStdin", {Value("c"), Value(5)}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "INCORRECT_PARAMETERS: 5");
  EXPECT_EQ(value_of(call("supervisor.startProcess", {Value("c")})), Value(true));
  EXPECT_EQ(value_of(call("supervisor.sendProcessStdin", {Value("c"), Value("hello\n")})), Value(true));
  EXPECT_TRUE(test_support::wait_until([&] { return read_file(out) == "hello\n"; }));
  EXPECT_EQ(read_file(out), "hello\n");
}

TEST_F(SupervisorApiTest, RereadAddRemove) {
  cfg.groups = {group_of("keep", {program("keep", "keep", "/bin/sleep 100")}),
                group_of("gone", {program("gone", "gone", "/bin/sleep 100")}),
                group_of("edit", {program("edit", "edit", "/bin/sleep 100")})};
  boot();
  Fault f = fault_of(call("supervisor.reloadConfig", {}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "CANT_REREAD: no config");
  Config next = cfg;
  next.groups = {group_of("keep", {program("keep", "keep", "/bin/sleep 100")}),
                 group_of("edit", {program("edit", "edit", "/bin/sleep 200")}),
                 group_of("new", {program("new", "new", "/bin/sleep 100")})};
  next_config = next;
  Value r = value_of(call("supervisor.reloadConfig", {}));
  EXPECT_EQ(r, Value(Array{Value(Array{Value(Array{Value("new")}), Value(Array{Value("edit")}),
                                       Value(Array{Value("gone")})})}));
  Array conf = value_of(call("supervisor.getAllConfigInfo", {})).as_array();
  ASSERT_EQ(conf.size(), 3u);
  EXPECT_EQ(*conf[0].get("name"), Value("edit"));
  EXPECT_EQ(*conf[0].get("command"), Value("/bin/sleep 200"));
  EXPECT_EQ(*conf[0].get("inuse"), Value(true));
  EXPECT_EQ(*conf[1].get("name"), Value("keep"));
  EXPECT_EQ(*conf[2].get("inuse"), Value(false));
  EXPECT_EQ(*conf[2].get("directory"), Value("none"));
  EXPECT_EQ(*conf[2].get("stdout_logfile"), Value("none"));
  f = fault_of(call("supervisor.addProcessGroup", {Value("keep")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "ALREADY_ADDED: keep");
  f = fault_of(call("supervisor.addProcessGroup", {Value("gone")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "BAD_NAME: gone");
  EXPECT_EQ(value_of(call("supervisor.addProcessGroup", {Value("new")})), Value(true));
  EXPECT_EQ(value_of(call("supervisor.startProcess", {Value("keep")})), Value(true));
  f = fault_of(call("supervisor.removeProcessGroup", {Value("keep")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "STILL_RUNNING: keep");
  EXPECT_EQ(value_of(call("supervisor.removeProcessGroup", {Value("gone")})), Value(true));
  f = fault_of(call("supervisor.removeProcessGroup", {Value("gone")}));
  ASSERT_NE(f.code, 0);
  EXPECT_EQ(f.string, "BAD_NAME: gone");
}

TEST_F(SupervisorApiTest, MulticallWaitsForDeferredCalls) {
  ProcessConfig p = program("m", "m", "/bin/sleep 100");
  p.startsecs = 1;
  cfg.groups = {group_of("m", {p})};
  boot();
  auto mc = [](const char* name, Array params) {
    return Value(Struct{{"methodName", Value(name)}, {"params", Value(std::move(params))}});
  };
  Array r = value_of(call("system.multicall", {Value(Array{mc("supervisor.startProcess", {Value("m")}),
                                                               mc("supervisor.getProcessInfo", {Value("m")}),
                                                               mc("supervisor.stopProcess", {Value("nope")})})}))
                .as_array();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], Value(true));
  EXPECT_EQ(*r[1].get("statename"), Value("RUNNING"));
  EXPECT_EQ(*r[2].get("faultString"), Value("BAD_NAME: nope"));
}

TEST_F(SupervisorApiTest, AbandonedWaitIsDropped) {
  ProcessConfig p = program("a", "a", "/bin/sleep 100");
  p.startsecs = 1;
  cfg.groups = {group_of("a", {p})};
  boot();
  std::shared_ptr<bool> completed = std::make_shared<bool>(false);
  thread->run([&] {
    Reply r([completed](Outcome) { *completed = true; });
    dispatcher.dispatch(Call{"supervisor.startProcess", {Value("a")}}, r);
    EXPECT_EQ(sup->commands().pending_waits(), 1u);
    r.abandon();
    return 0;
  });
  EXPECT_TRUE(test_support::wait_until([&] { return thread->run([&] { return sup->commands().pending_waits(); }) == 0; }));
  EXPECT_EQ(thread->run([&] { return sup->commands().pending_waits(); }), 0u);
  EXPECT_FALSE(*completed);
  EXPECT_EQ(state_of("a"), "RUNNING");
}

TEST_F(SupervisorApiTest, ShutdownStateRefusesLaterCalls) {
  // A process that ignores SIGTERM keeps the shutdown in progress (and the
  // loop alive) while the test looks.
  std::string ready = dir + "/ready";
  ProcessConfig p = program("z", "z", "/bin/sh -c 'trap \"\" TERM; touch " + ready + "; while :; do sleep 0.05; done'");
  p.stopwaitsecs = 60;
  cfg.groups = {group_of("z", {p})};
  boot();
  EXPECT_EQ(value_of(call("supervisor.startProcess", {Value("z")})), Value(true));
  EXPECT_TRUE(test_support::wait_until([&] { return access(ready.c_str(), F_OK) == 0; }));
  pid_t pid = static_cast<pid_t>(info("z").get("pid")->as_int());
  EXPECT_EQ(value_of(call("supervisor.shutdown", {})), Value(true));
  for (const char* m : {"supervisor.getState", "supervisor.getAllProcessInfo", "supervisor.shutdown",
                        "supervisor.stopAllProcesses"}) {
    Fault f = fault_of(call(m, {}));
    EXPECT_EQ(f.code, faults::k_shutdown_state) << m;
    EXPECT_EQ(f.string, "SHUTDOWN_STATE") << m;
  }
  EXPECT_EQ(fault_of(call("supervisor.signalAllProcesses", {Value("0")})).code, faults::k_shutdown_state);
  EXPECT_EQ(value_of(call("supervisor.sendRemoteCommEvent", {Value("t"), Value("d")})), Value(true));
  thread->run([this] {
    api.reset();
    sup.reset();
    return 0;
  });
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
}

}  // namespace
}  // namespace tend::rpc
