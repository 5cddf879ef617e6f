// tend.* on a supervisor driven by a fake clock and a fake runtime.
#include "rpc/tend_api.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "fakes/fake_clock.h"
#include "fakes/fake_runtime.h"
#include "fakes/test_configs.h"
#include "rpc/config_info.h"
#include "rpc/faults.h"
#include "rpc/system_api.h"

namespace tend::rpc {
namespace {

using test_support::config_of;

class TendApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create(&clock);
    ASSERT_TRUE(l.ok());
    loop = std::move(*l);
  }
  void make(Config c) {
    sup = std::make_unique<Supervisor>(*loop, std::move(c), [] { return Result<Config>(make_error("none")); }, &rt);
    ASSERT_TRUE(sup->start().ok());
    ASSERT_TRUE(install_system_api(d).ok());
    ASSERT_TRUE(install_tend_api(d, *sup).ok());
    settle();
  }
  void settle() {
    for (int i = 0; i < 10; ++i) {
      loop->run_once(0);
    }
  }
  Outcome call(const std::string& method, Array params = {}) {
    std::optional<Outcome> out;
    d.dispatch(Call{method, std::move(params)}, Reply([&](Outcome o) { out = std::move(o); }));
    EXPECT_TRUE(out.has_value());
    return out.value_or(Outcome(InternalError{"no answer"}));
  }
  Value health(const std::string& name) {
    Outcome o = call("tend.getProcessHealth", {Value(name)});
    EXPECT_TRUE(std::holds_alternative<Value>(o)) << name;
    return std::holds_alternative<Value>(o) ? std::get<Value>(o) : Value();
  }
  static std::string text(const Value& v, const std::string& key) {
    const Value* m = v.get(key);
    return m != nullptr && m->is_string() ? m->as_string() : "<missing>";
  }
  static bool flag(const Value& v, const std::string& key) {
    const Value* m = v.get(key);
    return m != nullptr && m->is_bool() && m->as_bool();
  }

  FakeClock clock;
  FakeRuntime rt;
  std::unique_ptr<EventLoop> loop;
  std::unique_ptr<Supervisor> sup;
  Dispatcher d;
};

ProcessConfig program(const std::string& name) {
  return test_support::program_config(name, "/bin/sleep 100", 999, 1);
}

TEST_F(TendApiTest, AHeldProcessSaysWhatItWaitsForAndOnWhat) {
  ProcessConfig web = program("web");
  web.depends_on = {{"db", Dependency::Condition::Ready}, {"cache", Dependency::Condition::Started}};
  ProcessConfig db = program("db");
  db.ready.kind = ProbeSpec::Kind::Notify;
  make(config_of({web, db, program("cache")}));
  Value v = health("web");
  EXPECT_EQ(text(v, "statename"), "STOPPED");
  EXPECT_EQ(text(v, "waiting_for"), "db (ready)");
  EXPECT_EQ(text(v, "ready_check"), "running");
  EXPECT_EQ(text(v, "health"), "none");
  EXPECT_TRUE(flag(v, "autostart"));
  EXPECT_FALSE(flag(v, "ready"));
  const Value* deps = v.get("depends_on");
  ASSERT_TRUE(deps != nullptr && deps->is_array());
  ASSERT_EQ(deps->as_array().size(), 2u);
  EXPECT_EQ(text(deps->as_array()[1], "name"), "cache");
  EXPECT_EQ(text(deps->as_array()[1], "condition"), "started");
  Value dbv = health("db");
  EXPECT_EQ(text(dbv, "ready_check"), "notify");
  EXPECT_FALSE(flag(dbv, "ready"));
  sup->commands().report_ready(*sup->table().find("db", "db"));
  settle();
  EXPECT_TRUE(flag(health("db"), "ready"));
  EXPECT_EQ(text(health("web"), "waiting_for"), "");
}

TEST_F(TendApiTest, HealthAndStatusComeFromTheNotes) {
  ProcessConfig api = program("api");
  api.healthcheck.kind = ProbeSpec::Kind::Http;
  make(config_of({api}));
  EXPECT_EQ(text(health("api"), "healthcheck"), "http");
  EXPECT_EQ(text(health("api"), "health"), "unknown");
  sup->commands().annotate(*sup->table().find("api", "api"), [](ProcessNotes& n) {
    n.health = ProcessNotes::Health::Unhealthy;
    n.health_detail = "3 failures: connection refused";
    n.status = "degraded";
  });
  Value v = health("api");
  EXPECT_EQ(text(v, "health"), "unhealthy");
  EXPECT_EQ(text(v, "health_detail"), "3 failures: connection refused");
  EXPECT_EQ(text(v, "status"), "degraded");
}

TEST_F(TendApiTest, ACompletedJobSaysSo) {
  ProcessConfig job = test_support::program_config("job", "/bin/true", 999, 0);
  job.autorestart = AutoRestart::Never;
  make(config_of({job}));
  EXPECT_FALSE(flag(health("job"), "completed"));
  sup->child_exited(sup->table().find("job", "job")->pid(), 0);
  settle();
  EXPECT_TRUE(flag(health("job"), "completed"));
}

TEST_F(TendApiTest, EveryProcessInTableOrderAndBadNames) {
  make(config_of({program("b"), program("a")}));
  Outcome all = call("tend.getAllProcessHealth");
  ASSERT_TRUE(std::holds_alternative<Value>(all));
  const Array& list = std::get<Value>(all).as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(text(list[0], "name"), "a");
  Outcome bad = call("tend.getProcessHealth", {Value("nope")});
  ASSERT_TRUE(std::holds_alternative<Fault>(bad));
  EXPECT_EQ(std::get<Fault>(bad), (Fault{faults::k_bad_name, "BAD_NAME: nope"}));
  Outcome names = call("system.listMethods");
  ASSERT_TRUE(std::holds_alternative<Value>(names));
  std::vector<std::string> tend_methods;
  for (const Value& n : std::get<Value>(names).as_array()) {
    if (n.as_string().rfind("tend.", 0) == 0) {
      tend_methods.push_back(n.as_string());
    }
  }
  EXPECT_EQ(tend_methods, (std::vector<std::string>{"tend.getAllConfigInfo", "tend.getAllProcessHealth",
                                                    "tend.getProcessHealth"}));
}

TEST_F(TendApiTest, ConfigInfoIsSupervisordsStructWithTheTendKeys) {
  ProcessConfig web = program("web");
  web.depends_on = {{"db", Dependency::Condition::Ready}, {"cache", Dependency::Condition::Started}};
  web.ready.kind = ProbeSpec::Kind::Notify;
  web.watchdog_sec = 30;
  web.healthcheck = {ProbeSpec::Kind::Tcp, "127.0.0.1", 8080, -1, ""};
  web.healthcheck_action = HealthAction::Shutdown;
  web.restartpause = 2.5;
  web.rlimits.nofile = ResourceLimit{1024, 4096};
  web.critical = true;
  make(config_of({web, program("db"), program("cache")}));
  Outcome o = call("tend.getAllConfigInfo");
  ASSERT_TRUE(std::holds_alternative<Value>(o));
  const Array& list = std::get<Value>(o).as_array();
  ASSERT_EQ(list.size(), 3u);
  const Value& v = list[2];  // by name, as supervisor.getAllConfigInfo
  EXPECT_EQ(text(v, "name"), "web");
  EXPECT_TRUE(flag(v, "inuse"));
  EXPECT_EQ(text(v, "depends_on"), "db:ready, cache:started");
  EXPECT_EQ(text(v, "ready"), "notify");
  EXPECT_EQ(*v.get("watchdog_sec"), Value(30.0));
  EXPECT_EQ(text(v, "healthcheck"), "tcp:127.0.0.1:8080");
  EXPECT_EQ(text(v, "healthcheck_action"), "shutdown");
  EXPECT_EQ(*v.get("restartpause"), Value(2.5));
  EXPECT_EQ(*v.get("healthcheck_retries"), Value(3));
  EXPECT_EQ(text(v, "rlimit_nofile"), "1024:4096");
  EXPECT_EQ(text(v, "rlimit_as"), "");
  EXPECT_TRUE(flag(v, "critical"));
  EXPECT_FALSE(flag(v, "oneshot"));
  EXPECT_EQ(text(list[0], "healthcheck"), "");
  EXPECT_EQ(text(list[0], "ready"), "running");
  // Each struct starts with what supervisor.getAllConfigInfo gives.
  Array theirs = all_config_info(*sup, ConfigMembers::Supervisord);
  ASSERT_EQ(theirs.size(), list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const Struct& t = theirs[i].as_struct();
    const Struct& ours = list[i].as_struct();
    ASSERT_GT(ours.size(), t.size());
    EXPECT_TRUE(std::equal(t.begin(), t.end(), ours.begin())) << i;
  }
}

}  // namespace
}  // namespace tend::rpc
