#include "rpc/config_info.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "config/keys.h"
#include "config/loader.h"
#include "rpc/codec.h"
#include "util/sha1.h"

namespace tend::rpc {
namespace {

class ConfigInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-config-info-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  Config load(const std::string& text) {
    std::string path = m_dir + "/s.conf";
    std::ofstream(path) << "[supervisord]\nlogfile=/dev/null\n" << text;
    LoadOptions o;
    o.path = path;
    o.environ = {{"HOME", "/root"}};
    o.host_node_name = "node1";
    Result<Config> c = load_config(o);
    EXPECT_TRUE(c.ok()) << c.error();
    return c.ok() ? *c : Config{};
  }

  std::string m_dir;
};

// Every member, of every kind of value the struct can hold, as bytes on the
// wire. The digest pins today's encoding; on a mismatch the XML is printed.
TEST_F(ConfigInfoTest, EncodingIsPinned) {
  Config c = load(
      "[program:plain]\ncommand=/bin/true\n"
      "[program:rich]\ncommand=/bin/sh -c \"x\"\npriority=5\nautostart=false\nautorestart=true\nstartsecs=3\n"
      "startretries=7\nexitcodes=0,2,255\nstopsignal=KILL\nstopwaitsecs=4\nstopasgroup=true\nuser=root\n"
      "directory=/tmp/somewhere/../x\numask=027\nstdout_logfile=/tmp/rich.out\nstdout_logfile_maxbytes=1KB\n"
      "stdout_logfile_backups=2\nstdout_capture_maxbytes=5000000000\nstdout_events_enabled=true\n"
      "stdout_syslog=true\nstderr_logfile=NONE\nstderr_capture_maxbytes=1MB\nstderr_events_enabled=1\n"
      "serverurl=http://127.0.0.1:9001\nenvironment=A=1\n"
      "[program:redir]\ncommand=c\nredirect_stderr=true\nstderr_logfile=/tmp/ignored.err\nstdout_logfile=syslog\n"
      "serverurl=AUTO\n"
      "[program:multi]\ncommand=c %(process_num)d\nnumprocs=2\nprocess_name=m_%(process_num)d\n"
      "stdout_logfile=OFF\n"
      "[group:g]\nprograms=multi\npriority=20\n"
      "[eventlistener:ev]\ncommand=c\nevents=TICK_5\n"
      "[fcgi-program:f]\ncommand=c\nsocket=unix:///tmp/f.sock\n");
  Array all;
  bool inuse = false;
  for (const GroupConfig& g : c.groups) {
    for (const ProcessConfig& p : g.processes) {
      all.push_back(config_info(g, p, inuse, nullptr));
      inuse = !inuse;
      if (p.name == "plain") {
        ProcessConfig running = p;
        running.stdout_ch.logfile.path = "/tmp/plain-stdout---x-1.log";
        all.push_back(config_info(g, p, true, &running));  // stderr's AUTO path was never created
      }
    }
  }
  ASSERT_EQ(all.size(), 8u);
  std::string xml = encode_response(Value(std::move(all)));
  EXPECT_EQ(sha1_hex(xml), "26c7c683f22011cfa17f43f9ff6f567af5c115a9") << xml;
}

// supervisord shows a configured log path as written, relative or not.
TEST(ConfigInfo, LogfileShownAsWritten) {
  ProcessConfig p;
  p.stdout_ch.logfile = {LogTarget::Kind::Path, "/run/dir/logs/x.log", "logs/x.log"};
  p.stderr_ch.logfile = {LogTarget::Kind::Path, "/run/dir/logs/y.log", "./logs/../logs/y.log"};
  Value v = config_info(GroupConfig{}, p, false, nullptr);
  EXPECT_EQ(*v.get("stdout_logfile"), Value("logs/x.log"));
  EXPECT_EQ(*v.get("stderr_logfile"), Value("./logs/../logs/y.log"));
}

// supervisor.getAllConfigInfo's struct is supervisord's, member for member;
// each member other than group, group_prio and inuse shows exactly one key of
// the tables. tend.getAllConfigInfo's starts with the same members and adds
// every other shown key once.
TEST(ConfigInfo, EveryShownKeyIsOneMember) {
  Value v = config_info(GroupConfig{}, ProcessConfig{}, false, nullptr);
  Value with_tend = config_info(GroupConfig{}, ProcessConfig{}, false, nullptr, ConfigMembers::WithTend);
  const Struct& theirs = v.as_struct();
  const Struct& ours = with_tend.as_struct();
  ASSERT_EQ(theirs.size(), 29u);
  ASSERT_GT(ours.size(), theirs.size());
  EXPECT_TRUE(std::equal(theirs.begin(), theirs.end(), ours.begin()));
  std::multiset<std::string> members;
  for (const auto& [name, value] : theirs) {
    members.insert(name);
  }
  std::multiset<std::string> added;
  for (size_t i = theirs.size(); i < ours.size(); ++i) {
    added.insert(ours[i].first);
  }
  std::multiset<std::string> shown;
  for (const ProgramKey& k : all_program_like_keys()) {
    if (!k.info.empty()) {
      EXPECT_NE(k.report, nullptr) << k.name;
      std::string m(k.info);
      EXPECT_EQ(members.count(m) + added.count(m), 1u) << k.name << " shown as " << k.info;
      shown.insert(m);
    }
  }
  for (const std::string& m : members) {
    bool from_group = m == "group" || m == "group_prio" || m == "inuse";
    EXPECT_EQ(shown.count(m), from_group ? 0u : 1u) << m;
  }
  for (const std::string& m : added) {
    EXPECT_EQ(shown.count(m), 1u) << m;
  }
}

// An event listener's section refuses the start-order and lifecycle keys, so
// its struct does not show them; the keys it has are there.
TEST(ConfigInfo, AListenerShowsOnlyTheTendKeysItsSectionHas) {
  GroupConfig listener;
  listener.kind = GroupConfig::Kind::EventListener;
  Value v = config_info(listener, ProcessConfig{}, false, nullptr, ConfigMembers::WithTend);
  EXPECT_NE(v.get("backoff_max"), nullptr);
  EXPECT_NE(v.get("rlimit_nofile"), nullptr);
  EXPECT_EQ(v.get("ready"), nullptr);
  EXPECT_EQ(v.get("depends_on"), nullptr);
  EXPECT_EQ(v.get("oneshot"), nullptr);
  GroupConfig fcgi;
  fcgi.kind = GroupConfig::Kind::FcgiProgram;
  EXPECT_NE(config_info(fcgi, ProcessConfig{}, false, nullptr, ConfigMembers::WithTend).get("ready"), nullptr);
}

// Each tend key shows its effective value as read from a file: text values as
// the key reads them back, seconds as doubles, counts as ints.
TEST_F(ConfigInfoTest, TendKeysShowTheirEffectiveValues) {
  Config c = load(
      "[program:web]\ncommand=/bin/true\ndepends_on=db, cache : STARTED\nready=tcp://[::1]:8080\n"
      "ready_timeout=2.5\nhealthcheck=http://localhost:8080/health#x\nhealthcheck_retries=5\n"
      "healthcheck_action=Stop\nbackoff_max=30\nrlimit_nofile=1024:4096\nrlimit_core=unlimited\n"
      "critical=true\n"
      "[program:db]\ncommand=/bin/true\n[program:cache]\ncommand=/bin/true\n");
  const GroupConfig* web = nullptr;
  for (const GroupConfig& g : c.groups) {
    web = g.name == "web" ? &g : web;
  }
  ASSERT_NE(web, nullptr);
  Value v = config_info(*web, web->processes[0], false, nullptr, ConfigMembers::WithTend);
  EXPECT_EQ(*v.get("depends_on"), Value("db:ready, cache:started"));
  EXPECT_EQ(*v.get("ready"), Value("tcp:[::1]:8080"));
  EXPECT_EQ(*v.get("ready_timeout"), Value(2.5));
  EXPECT_EQ(*v.get("ready_interval"), Value(0.1));
  EXPECT_EQ(*v.get("watchdog_sec"), Value(0.0));
  EXPECT_EQ(*v.get("healthcheck"), Value("http://localhost:8080/health"));
  EXPECT_EQ(*v.get("healthcheck_retries"), Value(5));
  EXPECT_EQ(*v.get("healthcheck_action"), Value("stop"));
  EXPECT_EQ(*v.get("backoff_max"), Value(30.0));
  EXPECT_EQ(*v.get("backoff_reset"), Value(60.0));
  EXPECT_EQ(*v.get("rlimit_nofile"), Value("1024:4096"));
  EXPECT_EQ(*v.get("rlimit_core"), Value("unlimited"));
  EXPECT_EQ(*v.get("rlimit_nproc"), Value(""));
  EXPECT_EQ(*v.get("critical"), Value(true));
  EXPECT_EQ(*v.get("oneshot"), Value(false));
  EXPECT_EQ(*v.get("schedule"), Value(""));
  EXPECT_EQ(v.get("environment_file"), nullptr);  // only its variables are kept
}

}  // namespace
}  // namespace tend::rpc
