// tend's start-order keys through the loader: what a section's keys load
// into, the messages of their errors (with file:line), and the checks of
// depends_on across the whole config (check_dependencies, loader_deps.cc).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/dependencies.h"
#include "config/loader.h"

namespace tend {
namespace {

class StartOrderConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-deps-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
    m_path = m_dir + "/s.conf";
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  // `text` follows a two-line [supervisord] section: its first line is line 3.
  Result<Config> load(const std::string& text) {
    std::ofstream(m_path, std::ios::trunc) << "[supervisord]\nlogfile=/dev/null\n" << text;
    LoadOptions o;
    o.path = m_path;
    o.environ = {{"HOME", "/root"}, {"DB_PORT", "5432"}};
    o.host_node_name = "node1";
    return load_config(o);
  }

  // The error of loading `text`, "<line>: <what>" (the file checked and cut off).
  std::string error_of(const std::string& text) {
    Result<Config> c = load(text);
    if (c.ok()) {
      return "loaded";
    }
    std::string prefix = m_path + ":";
    EXPECT_EQ(c.error().rfind(prefix, 0), 0u) << c.error();
    return c.error().substr(prefix.size());
  }

  const ProcessConfig& process(const Config& c, const std::string& name) {
    for (const GroupConfig& g : c.groups) {
      for (const ProcessConfig& p : g.processes) {
        if (p.name == name) {
          return p;
        }
      }
    }
    ADD_FAILURE() << "no process " << name;
    static const ProcessConfig k_none;
    return k_none;
  }

  std::string m_dir;
  std::string m_path;
};

// --- the keys of a section ---------------------------------------------------------------------

TEST_F(StartOrderConfig, Defaults) {
  Result<Config> c = load("[program:web]\ncommand=/bin/web\n");
  ASSERT_TRUE(c.ok()) << c.error();
  const ProcessConfig& p = process(*c, "web");
  EXPECT_TRUE(p.depends_on.empty());
  EXPECT_EQ(p.ready, running_probe());
  EXPECT_DOUBLE_EQ(p.ready_timeout, 60);
  EXPECT_DOUBLE_EQ(p.ready_interval, 0.1);
  EXPECT_DOUBLE_EQ(p.watchdog_sec, 0);
  EXPECT_EQ(p.healthcheck.kind, ProbeSpec::Kind::None);
  EXPECT_DOUBLE_EQ(p.healthcheck_interval, 10);
  EXPECT_DOUBLE_EQ(p.healthcheck_timeout, 5);
  EXPECT_EQ(p.healthcheck_retries, 3);
  EXPECT_DOUBLE_EQ(p.healthcheck_start_period, 0);
  EXPECT_EQ(p.healthcheck_action, HealthAction::Restart);
  EXPECT_TRUE(c->warnings.empty());
}

TEST_F(StartOrderConfig, EveryKeyLoadsWithExpansions) {
  Result<Config> c = load(
      "[program:db]\ncommand=db\nready=tcp:localhost:%(ENV_DB_PORT)s\n"
      "[program:api]\ncommand=api %(process_num)d\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)d\n"
      "depends_on=db:ready, %(ENV_HOME)s:started\n"  // expands to /root: refused below as a name
      "ready=notify\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find("'/root' is not a program or group name"), std::string::npos) << c.error();

  c = load("[program:db]\ncommand=db\nready=tcp:localhost:%(ENV_DB_PORT)s\nhealthcheck=exec:pg_isready\n"
           "[program:api]\ncommand=api\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)d\n"
           "depends_on=db:healthy, %(program_name)s_cache:started\n"
           "ready=http://127.0.0.1:80%(process_num)02d/ready\nready_timeout=120\nready_interval=0.5\n"
           "watchdog_sec=0\nhealthcheck=file:/run/%(program_name)s/%(process_num)d.ok\nhealthcheck_interval=30\n"
           "healthcheck_timeout=2\nhealthcheck_retries=5\nhealthcheck_start_period=15\nhealthcheck_action=shutdown\n"
           "[program:api_cache]\ncommand=cache\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(process(*c, "db").ready.port, 5432);
  for (int n : {0, 1}) {
    const ProcessConfig& p = process(*c, "api_" + std::to_string(n));
    std::vector<Dependency> deps = {{"db", Dependency::Condition::Healthy},
                                    {"api_cache", Dependency::Condition::Started}};
    EXPECT_EQ(p.depends_on, deps);
    EXPECT_EQ(p.ready.kind, ProbeSpec::Kind::Http);
    EXPECT_EQ(p.ready.port, 8000 + n);
    EXPECT_EQ(p.ready.target, "/ready");
    EXPECT_DOUBLE_EQ(p.ready_timeout, 120);
    EXPECT_DOUBLE_EQ(p.ready_interval, 0.5);
    EXPECT_EQ(p.healthcheck.kind, ProbeSpec::Kind::File);
    EXPECT_EQ(p.healthcheck.target, "/run/api/" + std::to_string(n) + ".ok");
    EXPECT_DOUBLE_EQ(p.healthcheck_interval, 30);
    EXPECT_DOUBLE_EQ(p.healthcheck_timeout, 2);
    EXPECT_EQ(p.healthcheck_retries, 5);
    EXPECT_DOUBLE_EQ(p.healthcheck_start_period, 15);
    EXPECT_EQ(p.healthcheck_action, HealthAction::Shutdown);
  }
  EXPECT_TRUE(c->warnings.empty());
}

TEST_F(StartOrderConfig, ValueErrorsNameFileLineKeyAndSection) {
  struct Case {
    const char* key_line;  // at line 5
    const char* error;
  };
  const Case cases[] = {
      {"depends_on=db:up", "5: invalid value for 'depends_on' in [program:web]: unknown condition 'up' in 'db:up'"},
      {"ready=tcp:h:0", "5: invalid value for 'ready' in [program:web]: tcp: 0 is below lower bound (1)"},
      {"ready=https://h/", "5: invalid value for 'ready' in [program:web]: https is not supported"},
      {"ready_timeout=0", "5: invalid value for 'ready_timeout' in [program:web]: not a number of seconds > 0: '0'"},
      {"ready_interval=0", "5: invalid value for 'ready_interval' in [program:web]: not a number of seconds >= 0.01"},
      {"watchdog_sec=-1", "5: invalid value for 'watchdog_sec' in [program:web]: not a number of seconds >= 0: '-1'"},
      {"healthcheck=notify", "5: invalid value for 'healthcheck' in [program:web]: notify is a readiness check only"},
      {"healthcheck_interval=x", "5: invalid value for 'healthcheck_interval' in [program:web]: not a number of "
                                 "seconds >= 0.01: 'x'"},
      {"healthcheck_timeout=0", "5: invalid value for 'healthcheck_timeout' in [program:web]: not a number of "
                                "seconds > 0: '0'"},
      {"healthcheck_retries=0", "5: invalid value for 'healthcheck_retries' in [program:web]: not an integer >= 1"},
      {"healthcheck_start_period=-5", "5: invalid value for 'healthcheck_start_period' in [program:web]: not a "
                                      "number of seconds >= 0"},
      {"healthcheck_action=reboot", "5: invalid value for 'healthcheck_action' in [program:web]: expected restart, "
                                    "stop, shutdown or none, not 'reboot'"},
      {"ready=exec:%(process_num)", "5: Format string 'exec:%(process_num)' for 'program:web.ready' is badly"},
      {"depends_on=%(process_num)d", "5: Format string '%(process_num)d' for 'program:web.depends_on' contains names"},
  };
  for (const Case& c : cases) {
    std::string text = std::string("[program:web]\ncommand=/bin/web\n") + c.key_line + "\n";
    std::string got = error_of(text);
    EXPECT_EQ(got.rfind(c.error, 0), 0u) << c.key_line << "\n got: " << got;
  }
}

TEST_F(StartOrderConfig, WatchdogNeedsNotify) {
  EXPECT_EQ(error_of("[program:web]\ncommand=w\nready=tcp:localhost:80\nwatchdog_sec=30\n"),
            "6: [program:web] sets watchdog_sec without ready = notify: the watchdog is fed by WATCHDOG=1 messages "
            "on the sd_notify socket");
  EXPECT_EQ(error_of("[program:web]\ncommand=w\nwatchdog_sec=5\n"),
            "5: [program:web] sets watchdog_sec without ready = notify: the watchdog is fed by WATCHDOG=1 messages "
            "on the sd_notify socket");
  Result<Config> c = load("[program:web]\ncommand=w\nwatchdog_sec=2.5\nready=notify\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_DOUBLE_EQ(process(*c, "web").watchdog_sec, 2.5);
  EXPECT_EQ(process(*c, "web").ready.kind, ProbeSpec::Kind::Notify);
  EXPECT_TRUE(load("[program:web]\ncommand=w\nwatchdog_sec=0\n").ok());
}

TEST_F(StartOrderConfig, EventListenersRefuseTheKeys) {
  const char* keys[] = {"depends_on=db",          "ready=notify",          "ready_timeout=5",
                        "ready_interval=1",       "watchdog_sec=5",        "healthcheck=tcp:h:1",
                        "healthcheck_interval=5", "healthcheck_timeout=1", "healthcheck_retries=2",
                        "healthcheck_start_period=1", "healthcheck_action=stop"};
  for (const char* line : keys) {
    std::string key(line, std::string_view(line).find('='));
    std::string text =
        std::string("[program:db]\ncommand=db\n[eventlistener:l]\ncommand=l\nevents=TICK_5\n") + line + "\n";
    EXPECT_EQ(error_of(text), "8: " + key +
                                  " is not available in [eventlistener:l]: event listeners take no part in the start "
                                  "order (they start before the programs and stop after them)")
        << line;
  }
  // From [DEFAULT], the keys apply where they mean something: not to listeners.
  Result<Config> c = load("[DEFAULT]\nhealthcheck_interval=5\nready_timeout=9\n"
                          "[program:web]\ncommand=w\n[eventlistener:l]\ncommand=l\nevents=TICK_5\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_DOUBLE_EQ(process(*c, "web").healthcheck_interval, 5);
  EXPECT_DOUBLE_EQ(process(*c, "web").ready_timeout, 9);
}

TEST_F(StartOrderConfig, FcgiProgramsAndGroupMembersHaveTheKeys) {
  Result<Config> c = load("[fcgi-program:f]\ncommand=f\nsocket=unix:///tmp/tend-deps-test.sock\nready=fd:4\n"
                          "depends_on=m\n"
                          "[program:m]\ncommand=m\nready=file:/run/m\n[group:g]\nprograms=m\n");
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(process(*c, "f").ready.fd, 4);
  EXPECT_EQ(process(*c, "m").ready.target, "/run/m");
}

// --- depends_on across sections -------------------------------------------------------------------

TEST_F(StartOrderConfig, UnknownNames) {
  EXPECT_EQ(error_of("[program:db]\ncommand=db\n[program:web]\ncommand=w\ndepends_on=db, dbx:started\n"),
            "7: [program:web] depends_on names 'dbx', which is no program or [group:x]; did you mean 'db'?");
  EXPECT_EQ(error_of("[program:web]\ncommand=w\ndepends_on=postgres\n"),
            "5: [program:web] depends_on names 'postgres', which is no program or [group:x]");
  // A [group:x] without programs stands for nothing.
  EXPECT_EQ(error_of("[group:empty]\nprograms=\n[program:web]\ncommand=w\ndepends_on=empty\n"),
            "7: [program:web] depends_on names [group:empty], which has no programs");
  // Process names are not program names.
  EXPECT_EQ(error_of("[program:db]\ncommand=db\nnumprocs=2\nprocess_name=db_%(process_num)d\n"
                     "[program:web]\ncommand=w\ndepends_on=db_1\n"),
            "9: [program:web] depends_on names 'db_1', which is no program or [group:x]; did you mean 'db'?");
}

TEST_F(StartOrderConfig, SelfDependency) {
  EXPECT_EQ(error_of("[program:web]\ncommand=w\ndepends_on=web\n"), "5: [program:web] depends on itself");
  EXPECT_EQ(error_of("[program:db]\ncommand=db\n[program:web]\ncommand=w\ndepends_on=tier\n"
                     "[group:tier]\nprograms=db,web\n"),
            "7: [program:web] depends on itself: it is a member of [group:tier]");
}

TEST_F(StartOrderConfig, CycleOfTwo) {
  EXPECT_EQ(error_of("[program:a]\ncommand=a\ndepends_on=b\n[program:b]\ncommand=b\ndepends_on=a:started\n"),
            "5: [program:a] depends_on makes a cycle: a -> b -> a");
}

TEST_F(StartOrderConfig, CycleOfThreeIsNamedFromItsFirstSection) {
  // c comes first in the file; the cycle is found from x, which only leads into it.
  EXPECT_EQ(error_of("[program:x]\ncommand=x\ndepends_on=a\n"
                     "[program:c]\ncommand=c\ndepends_on=a\n"
                     "[program:a]\ncommand=a\ndepends_on=b\n"
                     "[program:b]\ncommand=b\ndepends_on=c\n"),
            "8: [program:c] depends_on makes a cycle: c -> a -> b -> c");
}

TEST_F(StartOrderConfig, CycleThroughAGroup) {
  EXPECT_EQ(error_of("[program:db]\ncommand=db\ndepends_on=web\n"
                     "[program:cache]\ncommand=cache\n"
                     "[program:web]\ncommand=w\ndepends_on=backend\n"
                     "[group:backend]\nprograms=db,cache\n"),
            "5: [program:db] depends_on makes a cycle: db -> web -> db");
}

TEST_F(StartOrderConfig, DiamondAndChainsLoad) {
  Result<Config> c = load("[program:top]\ncommand=t\ndepends_on=left, right:started\n"
                          "[program:left]\ncommand=l\ndepends_on=base\n"
                          "[program:right]\ncommand=r\ndepends_on=base:healthy\n"
                          "[program:base]\ncommand=b\nhealthcheck=tcp:localhost:1\n"
                          "[program:job]\ncommand=j\nautorestart=false\n"
                          "[program:after_job]\ncommand=a\ndepends_on=job:completed, top\n");
  ASSERT_TRUE(c.ok()) << c.error();
}

TEST_F(StartOrderConfig, GroupNames) {
  Result<Config> c = load("[program:db]\ncommand=db\n[program:cache]\ncommand=c\n[group:backend]\nprograms=db,cache\n"
                          "[program:web]\ncommand=w\ndepends_on=backend:started\n");
  ASSERT_TRUE(c.ok()) << c.error();
  std::vector<std::string> names;
  for (const DependencyTarget& t : resolve_dependency(c->groups, "backend")) {
    names.push_back(t.group->name + ":" + t.process->name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"backend:cache", "backend:db"}));
  // A member is also named by its program name.
  ASSERT_EQ(resolve_dependency(c->groups, "db").size(), 1u);
  EXPECT_EQ(resolve_dependency(c->groups, "db")[0].group->name, "backend");
}

TEST_F(StartOrderConfig, NumprocsNameStandsForEveryProcess) {
  Result<Config> c = load("[program:worker]\ncommand=w\nnumprocs=3\nprocess_name=%(program_name)s_%(process_num)d\n"
                          "[program:web]\ncommand=w\ndepends_on=worker\n");
  ASSERT_TRUE(c.ok()) << c.error();
  std::vector<std::string> names;
  for (const DependencyTarget& t : resolve_dependency(c->groups, "worker")) {
    names.push_back(t.process->name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"worker_0", "worker_1", "worker_2"}));
  EXPECT_TRUE(resolve_dependency(c->groups, "worker_1").empty());
}

TEST_F(StartOrderConfig, AProgramWinsOverAGroupOfTheSameName) {
  // [group:api] holds api and docs; "api" names the program, not the group.
  Result<Config> c = load("[program:api]\ncommand=a\n[program:docs]\ncommand=d\n[group:api]\nprograms=api,docs\n"
                          "[program:web]\ncommand=w\ndepends_on=api\n");
  ASSERT_TRUE(c.ok()) << c.error();
  std::vector<DependencyTarget> t = resolve_dependency(c->groups, "api");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].process->name, "api");
  // So docs depending on "api" is no self-dependency.
  EXPECT_TRUE(load("[program:api]\ncommand=a\n[program:docs]\ncommand=d\ndepends_on=api\n"
                   "[group:api]\nprograms=api,docs\n")
                  .ok());
}

TEST_F(StartOrderConfig, AmbiguousProgramName) {
  // Group names are unique, but a [group:x] member and a section of another
  // kind may share a program name.
  EXPECT_EQ(error_of("[program:a]\ncommand=a\n[group:g]\nprograms=a\n"
                     "[eventlistener:a]\ncommand=l\nevents=TICK_5\n"
                     "[program:web]\ncommand=w\ndepends_on=a\n"),
            "12: [program:web] depends_on name 'a' is ambiguous: it is the program of [program:a] and of "
            "[eventlistener:a]");
}

TEST_F(StartOrderConfig, ListenerIsNoDependency) {
  EXPECT_EQ(error_of("[eventlistener:mail]\ncommand=m\nevents=PROCESS_STATE\n"
                     "[program:web]\ncommand=w\ndepends_on=mail:started\n"),
            "8: [program:web] depends_on names [eventlistener:mail]: an event listener cannot be a dependency "
            "(listeners start before the programs and stop after them)");
}

TEST_F(StartOrderConfig, ConditionsThatCannotBeMet) {
  EXPECT_EQ(error_of("[program:migrate]\ncommand=m\nautorestart=true\n"
                     "[program:web]\ncommand=w\ndepends_on=migrate:completed\n"),
            "8: [program:web] depends_on migrate:completed can never be met: [program:migrate] has "
            "autorestart=true, so it is started again whenever it exits");
  EXPECT_EQ(error_of("[program:api]\ncommand=a\n[program:web]\ncommand=w\ndepends_on=api:healthy\n"),
            "7: [program:web] depends_on api:healthy can never be met: [program:api] has no healthcheck");
  // Through a group: every member must be able to meet it.
  EXPECT_EQ(error_of("[program:a]\ncommand=a\nhealthcheck=tcp:localhost:1\n[program:b]\ncommand=b\n"
                     "[group:g]\nprograms=a,b\n[program:web]\ncommand=w\ndepends_on=g:healthy\n"),
            "12: [program:web] depends_on g:healthy (through [group:g]) can never be met: [program:b] has no "
            "healthcheck");
  // autorestart=unexpected and false let a job complete; ready and started hold for anything.
  EXPECT_TRUE(load("[program:m1]\ncommand=m\n[program:m2]\ncommand=m\nautorestart=false\n"
                   "[program:r]\ncommand=r\nautorestart=true\n"
                   "[program:web]\ncommand=w\ndepends_on=m1:completed, m2:completed, r:ready\n"
                   "[program:web2]\ncommand=w\ndepends_on=r:started\n")
                  .ok());
}

TEST_F(StartOrderConfig, DependsOnFromDefaultIsBlamedThere) {
  // Every program, db included, gets depends_on=db.
  EXPECT_EQ(error_of("[DEFAULT]\ndepends_on=db\n[program:db]\ncommand=db\n[program:web]\ncommand=w\n"),
            "4: [program:db] depends on itself");
}

TEST_F(StartOrderConfig, TheFirstErrorInTheFileIsReported) {
  EXPECT_EQ(error_of("[program:b]\ncommand=b\ndepends_on=zz\n[program:a]\ncommand=a\ndepends_on=yy\n"),
            "5: [program:b] depends_on names 'zz', which is no program or [group:x]");  // no "did you mean 'b'"
}

}  // namespace
}  // namespace tend
