// The key tables (config/keys.h) against the model and the update diff: every
// field of ProcessConfig and GroupConfig takes part in equality, and every key
// of every table, when changed, is seen by the diff (or by the startup-only
// check, for [supervisord] and the servers).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "config/keys.h"
#include "config/loader.h"
#include "core/config_diff.h"

namespace tend {
namespace {

// --- every field takes part in equality ------------------------------------------------------

// The members of each model struct, in declaration order. A member added to
// one of these structs stops this file from compiling: list it here, and give
// it a key table entry (config/keys.h) that compares it.
auto members(ProcessConfig& p) {
  auto& [name, group, program, command, process_num, priority, autostart, autorestart, startsecs, startretries,
         backoff_max, backoff_reset, restartpause, exitcodes, stopsignal, stopwaitsecs, stopasgroup, killasgroup, uid,
         user, directory, umask, redirect_stderr, stdout_ch, stderr_ch, environment, environment_file, serverurl,
         events, buffer_size, depends_on, ready, ready_timeout, ready_interval, watchdog_sec, healthcheck,
         healthcheck_interval, healthcheck_timeout, healthcheck_retries, healthcheck_start_period, healthcheck_action,
         rlimits, critical, oneshot, schedule, pos] = p;
  return std::tie(name, group, program, command, process_num, priority, autostart, autorestart, startsecs, startretries,
                  backoff_max, backoff_reset, restartpause, exitcodes, stopsignal, stopwaitsecs, stopasgroup,
                  killasgroup, uid, user, directory, umask, redirect_stderr, stdout_ch, stderr_ch, environment,
                  environment_file, serverurl, events, buffer_size, depends_on, ready, ready_timeout, ready_interval,
                  watchdog_sec, healthcheck, healthcheck_interval, healthcheck_timeout, healthcheck_retries,
                  healthcheck_start_period, healthcheck_action, rlimits, critical, oneshot, schedule, pos);
}
auto members(ResourceLimits& r) {
  auto& [nofile, nproc, core, memlock, stack, as, cpu, fsize] = r;
  return std::tie(nofile, nproc, core, memlock, stack, as, cpu, fsize);
}
auto members(ResourceLimit& l) {
  auto& [soft, hard] = l;
  return std::tie(soft, hard);
}
auto members(ChannelConfig& c) {
  auto& [logfile, logfile_maxbytes, logfile_backups, capture_maxbytes, events_enabled, syslog] = c;
  return std::tie(logfile, logfile_maxbytes, logfile_backups, capture_maxbytes, events_enabled, syslog);
}
auto members(LogTarget& t) {
  auto& [kind, path, written] = t;
  return std::tie(kind, path, written);
}
auto members(GroupConfig& g) {
  auto& [name, priority, kind, processes, pos, fcgi_socket, result_handler] = g;
  return std::tie(name, priority, kind, processes, pos, fcgi_socket, result_handler);
}
auto members(ProbeSpec& p) {
  auto& [kind, host, port, fd, target] = p;
  return std::tie(kind, host, port, fd, target);
}
auto members(GroupConfig::FcgiSocket& s) {
  auto& [url, backlog, owner_uid, owner_gid, mode] = s;
  return std::tie(url, backlog, owner_uid, owner_gid, mode);
}

template <typename T>
concept Composite = requires(T& v) {
  members(v);
};

// A different value of a leaf member.
void perturb(std::string& v) { v += "~"; }
void perturb(int& v) { ++v; }
void perturb(unsigned& v) { ++v; }
void perturb(int64_t& v) { ++v; }
void perturb(uint64_t& v) { ++v; }
void perturb(bool& v) { v = !v; }
void perturb(AutoRestart& v) { v = v == AutoRestart::Always ? AutoRestart::Never : AutoRestart::Always; }
void perturb(LogTarget::Kind& v) { v = v == LogTarget::Kind::Path ? LogTarget::Kind::None : LogTarget::Kind::Path; }
void perturb(GroupConfig::Kind& v) {
  v = v == GroupConfig::Kind::Group ? GroupConfig::Kind::Program : GroupConfig::Kind::Group;
}
void perturb(SourcePos& v) { ++v.line; }
void perturb(double& v) { v += 0.5; }
void perturb(ProbeSpec::Kind& v) { v = v == ProbeSpec::Kind::Tcp ? ProbeSpec::Kind::File : ProbeSpec::Kind::Tcp; }
void perturb(HealthAction& v) { v = v == HealthAction::Stop ? HealthAction::None : HealthAction::Stop; }
void perturb(std::vector<Dependency>& v) { v.push_back(Dependency{"X", Dependency::Condition::Healthy}); }
void perturb(std::vector<int>& v) { v.push_back(7); }
void perturb(std::vector<std::string>& v) { v.emplace_back("X"); }
void perturb(EnvList& v) { v.emplace_back("K", "V"); }
void perturb(std::vector<ProcessConfig>& v) { v.emplace_back(); }
template <typename T>
void perturb(std::optional<T>& v) {
  if (v) {
    v.reset();
  } else {
    v.emplace();
  }
}

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// Selectors of a node below a root: its I-th member, or an optional's value.
template <typename Select, size_t I>
struct NthMember {
  Select outer;
  template <typename R>
  auto& operator()(R& r) const {
    return std::get<I>(members(outer(r)));
  }
};
template <typename Select>
struct OptionalValue {
  Select outer;
  template <typename R>
  auto& operator()(R& r) const {
    return *outer(r);
  }
};

template <typename Root, typename Select, typename Each>
void each_leaf(const Root& root, Select select, const std::string& path, const Each& each);

template <typename Root, typename Select, typename Each, size_t... I>
void each_member(const Root& root, Select select, const std::string& path, const Each& each,
                 std::index_sequence<I...> /*indexes*/) {
  (each_leaf(root, NthMember<Select, I>{select}, path + "." + std::to_string(I), each), ...);
}

// Calls each(copy, path) once per leaf member below the node select(root)
// gives, `copy` differing from `root` in that member only. An optional is a
// leaf (present or not) and, when `root` has it, its members too.
template <typename Root, typename Select, typename Each>
void each_leaf(const Root& root, Select select, const std::string& path, const Each& each) {
  Root probe = root;
  auto& node = select(probe);
  using T = std::remove_reference_t<decltype(node)>;
  if constexpr (Composite<T>) {
    constexpr size_t n = std::tuple_size_v<decltype(members(node))>;
    each_member(root, select, path, each, std::make_index_sequence<n>{});
  } else {
    bool has_members = false;
    if constexpr (IsOptional<T>::value) {
      if constexpr (Composite<typename T::value_type>) {
        has_members = node.has_value();
      }
    }
    perturb(node);
    each(probe, path);
    if constexpr (IsOptional<T>::value) {
      if (has_members) {
        each_leaf(root, OptionalValue<Select>{select}, path + ".value", each);
      }
    }
  }
}

// The root itself.
struct Whole {
  template <typename R>
  R& operator()(R& r) const {
    return r;
  }
};

GroupConfig sample_group() {
  ProcessConfig p;
  p.name = "p";
  p.group = "g";
  p.program = "p";
  p.command = "/bin/p";
  p.rlimits.core = ResourceLimit{0, 1};  // so that a limit's members are perturbed too
  GroupConfig g;
  g.name = "g";
  g.kind = GroupConfig::Kind::FcgiProgram;
  g.fcgi_socket = GroupConfig::FcgiSocket{"unix:///tmp/g.sock", 0, std::nullopt, std::nullopt, 0700};
  g.processes = {p};
  return g;
}

// Member paths are indexes in declaration order ("root.23.0.1" is stdout_ch.logfile.path).
constexpr const char* k_process_pos = "root.45";
constexpr const char* k_group_pos = "root.4";

TEST(ConfigKeys, EveryProcessFieldTakesPartInEquality) {
  const GroupConfig g = sample_group();
  int leaves = 0;
  each_leaf(g.processes[0], Whole{}, "root", [&](const ProcessConfig& changed, const std::string& path) {
    ++leaves;
    GroupConfig next = g;
    next.processes[0] = changed;
    ConfigDiff d = diff_groups({&g}, {next});
    if (path == k_process_pos) {  // moving a section changes nothing
      EXPECT_TRUE(changed == g.processes[0]) << path;
      EXPECT_TRUE(d.empty()) << path;
    } else {
      EXPECT_FALSE(changed == g.processes[0]) << path;
      EXPECT_FALSE(d.empty()) << path;
    }
  });
  EXPECT_GT(leaves, 30);
}

TEST(ConfigKeys, EveryGroupFieldTakesPartInEquality) {
  const GroupConfig g = sample_group();
  int leaves = 0;
  each_leaf(g, Whole{}, "root", [&](const GroupConfig& changed, const std::string& path) {
    ++leaves;
    ConfigDiff d = diff_groups({&g}, {changed});
    if (path == k_group_pos) {
      EXPECT_TRUE(changed == g) << path;
      EXPECT_TRUE(d.empty()) << path;
      return;
    }
    EXPECT_FALSE(changed == g) << path;
    EXPECT_FALSE(d.empty()) << path;
    if (path != "root.3") {  // processes: compared one by one, not as a group setting
      EXPECT_FALSE(g.same_settings(changed)) << path;
    }
  });
  EXPECT_GT(leaves, 10);
}

// --- every key is seen when it changes -------------------------------------------------------

class ConfigKeysLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tend-keys-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    m_dir = tmpl;
    std::ofstream(m_dir + "/sample.env") << "A=1\n";  // what the environment_file samples name
  }
  void TearDown() override { std::filesystem::remove_all(m_dir); }

  Result<Config> load(const std::string& text) {
    std::string path = m_dir + "/s.conf";
    std::ofstream(path, std::ios::trunc) << text;
    LoadOptions o;
    o.path = path;
    o.environ = {{"HOME", "/root"}};
    o.host_node_name = "node1";
    return load_config(o);
  }

  std::string m_dir;
};

// A valid value different from the default, for every key of the program-like
// tables. A key without one fails EveryProgramKeyIsSeenByTheDiff.
const std::map<std::string, std::string>& program_samples() {
  static const std::map<std::string, std::string> k = {
      {"autorestart", "true"},
      {"autostart", "false"},
      {"backoff_max", "30"},
      {"backoff_reset", "5.5"},
      {"buffer_size", "20"},
      {"command", "/bin/other"},
      {"critical", "true"},
      {"depends_on", "q:started"},  // the bases below have a [program:q]
      {"directory", "/tmp"},
      {"environment", "A=1"},
      {"environment_file", "%(here)s/sample.env"},
      {"envfiles", "sample.env"},
      {"events", "TICK_60"},
      {"exitcodes", "0,2"},
      {"healthcheck", "http://127.0.0.1:80%(process_num)02d/health"},
      {"healthcheck_action", "shutdown"},
      {"healthcheck_interval", "2.5"},
      {"healthcheck_retries", "1"},
      {"healthcheck_start_period", "30"},
      {"healthcheck_timeout", "1"},
      {"killasgroup", "true"},
      {"numprocs", "2"},
      {"oneshot", "true"},
      {"numprocs_start", "5"},
      {"priority", "5"},
      {"process_name", "%(program_name)s-%(process_num)d"},
      {"programs", "a,b"},
      {"ready", "tcp:localhost:5432"},
      {"ready_interval", "0.5"},
      {"ready_timeout", "5"},
      {"redirect_stderr", "true"},
      {"restartpause", "2"},
      {"result_handler", "supervisor_stdout:event_handler"},
      {"rlimit_as", "unlimited"},
      {"rlimit_core", "0:unlimited"},
      {"rlimit_cpu", "60:120"},
      {"rlimit_fsize", "1GB"},
      {"rlimit_memlock", "64KB"},
      {"rlimit_nofile", "1024:4096"},
      {"rlimit_nproc", "100"},
      {"rlimit_stack", "8MB:unlimited"},
      {"schedule", "*/5 * * * *"},
      {"serverurl", "http://127.0.0.1:9001"},
      {"socket", "unix:///tmp/tend-keys-test-other.sock"},
      {"socket_backlog", "10"},
      {"socket_mode", "0770"},
      {"socket_owner", "root"},
      {"startretries", "-1"},
      {"startsecs", "9"},
      {"stderr_capture_maxbytes", "1MB"},
      {"stderr_events_enabled", "true"},
      {"stderr_logfile", "/tmp/tend-keys-test.err"},
      {"stderr_logfile_backups", "2"},
      {"stderr_logfile_maxbytes", "1KB"},
      {"stderr_syslog", "true"},
      {"stdout_capture_maxbytes", "1MB"},
      {"stdout_events_enabled", "true"},
      {"stdout_logfile", "/tmp/tend-keys-test.out"},
      {"stdout_logfile_backups", "2"},
      {"stdout_logfile_maxbytes", "1KB"},
      {"stdout_syslog", "true"},
      {"stopasgroup", "true"},
      {"stopsignal", "KILL"},
      {"stopwaitsecs", "9"},
      {"umask", "027"},
      {"user", "root"},
      {"watchdog_sec", "30\nready=notify"},  // the bases below have no ready=, which oneshot refuses
  };
  return k;
}

// Keys a section kind accepts but cannot change, with the reason.
const std::set<std::pair<std::string, std::string>>& unchangeable() {
  static const std::set<std::pair<std::string, std::string>> k = {
      {"eventlistener:", "redirect_stderr"},          // must stay false for the listener protocol
      {"eventlistener:", "stdout_capture_maxbytes"},  // ignored for listeners, as in supervisord
      {"eventlistener:", "stderr_capture_maxbytes"},
      // tend's start-order keys: refused in a listener's own section (config/keys_program.cc)
      {"eventlistener:", "depends_on"},
      {"eventlistener:", "ready"},
      {"eventlistener:", "ready_timeout"},
      {"eventlistener:", "ready_interval"},
      {"eventlistener:", "watchdog_sec"},
      {"eventlistener:", "healthcheck"},
      {"eventlistener:", "healthcheck_interval"},
      {"eventlistener:", "healthcheck_timeout"},
      {"eventlistener:", "healthcheck_retries"},
      {"eventlistener:", "healthcheck_start_period"},
      {"eventlistener:", "healthcheck_action"},
      {"eventlistener:", "critical"},  // and its lifecycle keys
      {"eventlistener:", "oneshot"},
      {"eventlistener:", "schedule"},
  };
  return k;
}

struct SectionKind {
  const char* prefix;
  std::span<const ProgramKey> keys;
  std::string base;  // a config whose last section is of this kind
};

TEST_F(ConfigKeysLoad, EveryProgramKeyIsSeenByTheDiff) {
  const std::string sd = "[supervisord]\nlogfile=/dev/null\n";
  const std::string numbered = "process_name=%(program_name)s_%(process_num)d\n";
  const std::string q = "[program:q]\ncommand=q\n";  // a program to depend on
  const SectionKind kinds[] = {
      {"program:", program_section_keys(), sd + q + "[program:p]\ncommand=/bin/p\n" + numbered},
      {"eventlistener:", eventlistener_section_keys(), sd + "[eventlistener:l]\ncommand=c\nevents=TICK_5\n" + numbered},
      {"fcgi-program:", fcgi_program_section_keys(),
       sd + q + "[fcgi-program:f]\ncommand=c\nsocket=unix:///tmp/tend-keys-test.sock\n" + numbered},
      {"group:", group_section_keys(), sd + "[program:a]\ncommand=a\n[program:b]\ncommand=b\n[group:g]\nprograms=a\n"},
  };
  for (const SectionKind& kind : kinds) {
    Result<Config> before = load(kind.base);
    ASSERT_TRUE(before.ok()) << before.error();
    std::vector<const GroupConfig*> running;
    for (const GroupConfig& g : before->groups) {
      running.push_back(&g);
    }
    std::set<std::string_view> done;
    for (const ProgramKey& key : kind.keys) {
      std::string name(key.name);
      if (!done.insert(key.name).second || unchangeable().count({kind.prefix, name}) != 0) {
        continue;
      }
      auto sample = program_samples().find(name);
      if (sample == program_samples().end()) {
        ADD_FAILURE() << "no sample value for '" << name << "' in program_samples()";
        continue;
      }
      std::string text = kind.base;
      text += name + "=" + sample->second + "\n";
      Result<Config> after = load(text);
      ASSERT_TRUE(after.ok()) << kind.prefix << name << ": " << after.error();
      EXPECT_FALSE(diff_groups(running, after->groups).empty()) << kind.prefix << name << "=" << sample->second;
    }
  }
}

TEST_F(ConfigKeysLoad, EverySupervisordAndServerKeyIsCheckedOnUpdate) {
  const std::map<std::string, std::string> samples = {
      {"childlogdir", "/"},
      {"chmod", "0770"},
      {"chown", "root"},
      {"console_output", "on"},
      {"console_output_format", "json"},
      {"directory", "/"},
      {"environment", "A=1"},
      {"environment_file", "%(here)s/sample.env"},
      {"envfiles", "sample.env"},
      {"file", "/tmp/tend-keys-test-2.sock"},
      {"identifier", "other"},
      {"logfile", "/tmp/tend-keys-test.log"},
      {"logfile_backups", "2"},
      {"logfile_maxbytes", "1KB"},
      {"log_format", "json"},
      {"loglevel", "debug"},
      {"exit_when", "all_exited"},
      {"main_program", "p"},
      {"minfds", "2048"},
      {"minprocs", "300"},
      {"nocleanup", "true"},
      {"nodaemon", "true"},
      {"password", "p2"},
      {"pidfile", "/tmp/tend-keys-test.pid"},
      {"port", "127.0.0.1:9002"},
      {"allow_remote_without_auth", "true"},
      {"shutdown_grace", "1"},
      {"silent", "true"},
      {"strip_ansi", "true"},
      {"umask", "027"},
      {"user", "root"},
      {"username", "u2"},
  };
  const std::string program = "[program:p]\ncommand=p\n";
  const std::string sd = "[supervisord]\nlogfile=/dev/null\npidfile=/tmp/tend-keys-test-base.pid\n";
  const std::string unix_server = "[unix_http_server]\nfile=/tmp/tend-keys-test.sock\n";
  const std::string inet_server = "[inet_http_server]\nport=127.0.0.1:9001\n";
  const std::string base = program + unix_server + inet_server + sd;
  Result<Config> before = load(base);
  ASSERT_TRUE(before.ok()) << before.error();
  auto changes = [&](const std::string& text) {
    Result<Config> after = load(text);
    EXPECT_TRUE(after.ok()) << after.error();
    return after.ok() ? settings_needing_restart(*before, *after) : std::vector<std::string>{};
  };
  using V = std::vector<std::string>;
  for (const SettingKey<SupervisordConfig>& k : supervisord_keys()) {
    std::string name(k.name);
    ASSERT_TRUE(samples.count(name)) << "no sample value for [supervisord] " << name;
    V got = changes(base + name + "=" + samples.at(name) + "\n");
    EXPECT_EQ(got, k.on_update == OnUpdate::NextStart ? V{name} : V{}) << name;
  }
  const std::pair<std::string, std::span<const SettingKey<HttpServerConfig>>> servers[] = {
      {program + inet_server + sd + unix_server, unix_http_server_keys()},
      {program + unix_server + sd + inet_server, inet_http_server_keys()},
  };
  for (const auto& [text, keys] : servers) {
    for (const SettingKey<HttpServerConfig>& k : keys) {
      std::string name(k.name);
      ASSERT_TRUE(samples.count(name)) << "no sample value for server key " << name;
      std::string extra = name + "=" + samples.at(name) + "\n";
      if (name == "username" || name == "password") {  // only together
        extra = "username=u2\npassword=p2\n";
      }
      EXPECT_EQ(changes(text + extra), V{"[unix_http_server]/[inet_http_server]"}) << name;
    }
  }
}

}  // namespace
}  // namespace tend
