#include "config/loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

namespace tend {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tend-loader-test-XXXXXX";
    m_path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(m_path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = m_path + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

const char* const k_sd = "[supervisord]\nlogfile=/dev/null\n";

Result<Config> load(const std::string& path, std::map<std::string, std::string> env = {{"HOME", "/root"}},
                    bool for_client = false) {
  LoadOptions o;
  o.path = path;
  o.environ = std::move(env);
  o.host_node_name = "node1";
  o.for_client = for_client;
  return load_config(o);
}

const GroupConfig* group(const Config& c, const std::string& name) {
  for (const auto& g : c.groups) {
    if (g.name == name) {
      return &g;
    }
  }
  return nullptr;
}

TEST(Loader, DefaultsOfAProgram) {
  TempDir d;
  Result<Config> c = load(d.write("s.conf", std::string(k_sd) + "[program:web]\ncommand=/bin/web\n"));
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->path, d.path() + "/s.conf");
  EXPECT_EQ(c->here, d.path());
  ASSERT_EQ(c->groups.size(), 1u);
  const ProcessConfig& p = c->groups[0].processes.at(0);
  EXPECT_EQ(p.name, "web");
  EXPECT_EQ(p.group, "web");
  EXPECT_EQ(p.program, "web");
  EXPECT_EQ(p.command, "/bin/web");
  EXPECT_EQ(p.priority, 999);
  EXPECT_TRUE(p.autostart);
  EXPECT_EQ(p.autorestart, AutoRestart::Unexpected);
  EXPECT_EQ(p.startsecs, 1);
  EXPECT_EQ(p.startretries, 3);
  EXPECT_EQ(p.exitcodes, std::vector<int>{0});
  EXPECT_EQ(p.stopsignal, 15);
  EXPECT_EQ(p.stopwaitsecs, 10);
  EXPECT_FALSE(p.killasgroup);
  EXPECT_EQ(p.stdout_ch.logfile.kind, LogTarget::Kind::Auto);
  EXPECT_EQ(p.stdout_ch.logfile_maxbytes, 50 * 1024 * 1024);
  EXPECT_EQ(p.stdout_ch.logfile_backups, 10);
  EXPECT_FALSE(p.uid.has_value());
  EXPECT_FALSE(p.directory.has_value());
  EXPECT_EQ(p.pos.line, 3);
  const SupervisordConfig& sd = c->supervisord;
  EXPECT_EQ(sd.logfile, "/dev/null");
  EXPECT_EQ(sd.loglevel, "info");
  EXPECT_EQ(sd.umask, mode_t{022});
  EXPECT_EQ(sd.identifier, "supervisor");
  EXPECT_EQ(sd.console_output, SupervisordConfig::ConsoleOutput::Auto);
  EXPECT_DOUBLE_EQ(sd.shutdown_grace, 5.0);
  EXPECT_FALSE(c->has_rpcinterface_supervisor);
  EXPECT_TRUE(c->warnings.empty());
}

TEST(Loader, NumprocsExpandsPerProcess) {
  TempDir d;
  Result<Config> c = load(d.write("s.conf", std::string(k_sd) +
                                                "[program:w]\ncommand=/bin/w %(process_num)d of %(numprocs)d "
                                                "%(group_name)s %(host_node_name)s %(ENV_X)s\n"
                                                "process_name=%(program_name)s_%(process_num)02d\n"
                                                "numprocs=3\nnumprocs_start=8\n"
                                                "stdout_logfile=%(here)s/%(process_num)d.log\n"),
                          {{"X", "ex"}});
  ASSERT_TRUE(c.ok()) << c.error();
  const auto& procs = c->groups.at(0).processes;
  ASSERT_EQ(procs.size(), 3u);
  EXPECT_EQ(procs[0].name, "w_08");
  EXPECT_EQ(procs[2].name, "w_10");
  EXPECT_EQ(procs[2].process_num, 10);
  EXPECT_EQ(procs[1].command, "/bin/w 9 of 3 w node1 ex");
  EXPECT_EQ(procs[1].stdout_ch.logfile.path, d.path() + "/9.log");
}

// supervisord keeps a relative log path as written (it opens it relative to
// its working directory); tend shows it so and opens the resolved path.
TEST(Loader, RelativePathsKeepTheirText) {
  TempDir d;
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  d.write("logs/.keep", "");
  d.write("clogs/.keep", "");
  d.write("run/.keep", "");
  ASSERT_EQ(::chdir(d.path().c_str()), 0);
  Result<Config> c = load(d.write("s.conf",
                                  "[supervisord]\nlogfile=main.log\npidfile=./run/../d.pid\n"
                                  "childlogdir=./clogs/\n"
                                  "[program:p]\ncommand=p\ndirectory=logs/..\n"
                                  "stdout_logfile=logs/x.log\nstderr_logfile=./logs/../logs/y.log\n"
                                  "[program:h]\ncommand=h\nstdout_logfile=~/h.log\n"),
                          {{"HOME", d.path() + "/logs"}});
  ASSERT_EQ(::chdir(cwd), 0);
  ASSERT_TRUE(c.ok()) << c.error();
  const ProcessConfig& p = group(*c, "p")->processes[0];
  EXPECT_EQ(p.stdout_ch.logfile.path, d.path() + "/logs/x.log");
  EXPECT_EQ(p.stdout_ch.logfile.shown(), "logs/x.log");
  EXPECT_EQ(p.stderr_ch.logfile.path, d.path() + "/logs/y.log");
  EXPECT_EQ(p.stderr_ch.logfile.shown(), "./logs/../logs/y.log");
  EXPECT_EQ(p.directory, "logs/..");  // not even checked: the spawn chdirs into it
  // ~ is expanded in what is shown, as supervisord's expanduser does.
  EXPECT_EQ(group(*c, "h")->processes[0].stdout_ch.logfile.shown(), d.path() + "/logs/h.log");
  // Made absolute, as supervisord does for these (AUTO logs are named in childlogdir by mkstemp).
  EXPECT_EQ(c->supervisord.logfile, d.path() + "/main.log");
  EXPECT_EQ(c->supervisord.pidfile, d.path() + "/d.pid");
  EXPECT_EQ(c->supervisord.childlogdir, d.path() + "/clogs");
}

TEST(Loader, GroupsAndOrdering) {
  TempDir d;
  Result<Config> c = load(d.write("s.conf", std::string(k_sd) +
                                                "[program:b]\ncommand=b\npriority=5\n"
                                                "[program:a]\ncommand=a\npriority=5\n"
                                                "[program:z]\ncommand=z\npriority=1\n"
                                                "[program:m1]\ncommand=m\npriority=20\n"
                                                "[program:m2]\ncommand=m\npriority=10\n"
                                                "[group:g]\nprograms=m1, m2\npriority=3\n"
                                                "[eventlistener:l]\ncommand=cat\nevents=tick_5,PROCESS_STATE\n"));
  ASSERT_TRUE(c.ok()) << c.error();
  std::vector<std::string> names;
  for (const auto& g : c->groups) {
    names.push_back(g.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"l", "z", "g", "a", "b"}));
  const GroupConfig* g = group(*c, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->kind, GroupConfig::Kind::Group);
  ASSERT_EQ(g->processes.size(), 2u);
  EXPECT_EQ(g->processes[0].name, "m2");
  EXPECT_EQ(g->processes[0].group, "g");
  const GroupConfig* l = group(*c, "l");
  EXPECT_EQ(l->priority, -1);
  EXPECT_EQ(l->processes[0].events, (std::vector<std::string>{"TICK_5", "PROCESS_STATE"}));
  EXPECT_EQ(l->processes[0].buffer_size, 10);
}

// supervisord 4.2.5 takes `[program:]` and `[group:]` (text after the `]` ignored, as
// configparser does) as a program and a group named "": so does tend, and runs them
// (supervisorctl shows the process as ":"). Found by the config fuzzer, whose invariant had
// wrongly required non-empty names; a name never holds ' ', ':' or '/'.
TEST(Loader, EmptyProgramAndGroupNamesLoadAsInSupervisord) {
  TempDir d;
  Result<Config> c = load(d.write("s.conf", std::string(k_sd) + "[program:]\ncommand=/bin/a\n"));
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->groups.size(), 1u);
  EXPECT_EQ(c->groups[0].name, "");
  ASSERT_EQ(c->groups[0].processes.size(), 1u);
  EXPECT_EQ(c->groups[0].processes[0].name, "");
  c = load(d.write("g.conf", std::string(k_sd) + "[group:]kdenbca\nprograms=db\n[program:db]\ncommand=/bin/db\n"));
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->groups.size(), 1u);
  EXPECT_EQ(c->groups[0].name, "");
  EXPECT_EQ(c->groups[0].processes[0].name, "db");
  EXPECT_FALSE(load(d.write("bad.conf", std::string(k_sd) + "[program:a b]\ncommand=/bin/a\n")).ok());
}

// events= as supervisord reads it: upper-cased the way Python's str.upper()
// does (so "ß" is "SS"), duplicates once; result_handler's two built-in
// handlers in any spelling pkg_resources accepts, kept as module:attr.
TEST(Loader, EventListenerKeys) {
  TempDir d;
  Result<Config> c = load(d.write("s.conf", std::string(k_sd) +
                                                "[eventlistener:a]\ncommand=cat\nevents=proceß_state, Tick_5,TICK_5\n"
                                                "[eventlistener:b]\ncommand=cat\nevents=EVENT\nbuffer_size=3\n"
                                                "result_handler = supervisor_stdout : event_handler [extra]\n"
                                                "[eventlistener:c]\ncommand=cat\nevents=tick_60\n"
                                                "result_handler=supervisor.dispatchers:default_handler\n"));
  ASSERT_TRUE(c.ok()) << c.error();
  const GroupConfig* a = group(*c, "a");
  const GroupConfig* b = group(*c, "b");
  const GroupConfig* cc = group(*c, "c");
  ASSERT_TRUE(a != nullptr && b != nullptr && cc != nullptr);
  EXPECT_EQ(a->processes[0].events, (std::vector<std::string>{"PROCESS_STATE", "TICK_5"}));
  EXPECT_EQ(a->result_handler, "supervisor.dispatchers:default_handler");
  EXPECT_EQ(b->result_handler, "supervisor_stdout:event_handler");
  EXPECT_EQ(b->processes[0].buffer_size, 3);
  EXPECT_EQ(cc->result_handler, "supervisor.dispatchers:default_handler");
}

TEST(Loader, IncludesDefaultsAndHere) {
  TempDir d;
  d.write("conf.d/b.conf", "[program:b]\ncommand=%(here)s/b\n");
  d.write("conf.d/a.conf", "[program:a]\ncommand=%(here)s/a\n");
  std::string main = d.write("s.conf", std::string(k_sd) +
                                           "[DEFAULT]\nstartsecs=7\n"
                                           "[include]\nfiles=conf.d/*.conf none/*.ini\n"
                                           "[program:m]\ncommand=%(here)s/m\n");
  Result<Config> c = load(main);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->included_files, (std::vector<std::string>{d.path() + "/conf.d/a.conf", d.path() + "/conf.d/b.conf"}));
  EXPECT_EQ(c->unmatched_includes, (std::vector<std::string>{d.path() + "/none/*.ini"}));
  EXPECT_EQ(group(*c, "a")->processes[0].command, d.path() + "/conf.d/a");
  EXPECT_EQ(group(*c, "m")->processes[0].command, d.path() + "/m");
  EXPECT_EQ(group(*c, "a")->processes[0].startsecs, 7);
  EXPECT_EQ(group(*c, "a")->processes[0].pos.file, d.path() + "/conf.d/a.conf");
  int infos = 0;
  for (const auto& w : c->warnings) {
    infos += w.level == "INFO";
  }
  EXPECT_EQ(infos, 2);
}

TEST(Loader, EnvironmentExpansion) {
  TempDir d;
  Result<Config> c = load(d.write("s.conf",
                                  "[supervisord]\nlogfile=/dev/null\n"
                                  "environment=G=\"%(ENV_HOME)s\",N=%%(host_node_name)s,P=\"100%%%%\"\n"
                                  "[program:p]\ncommand=/bin/p %(ENV_G)s %(ENV_L)s %(ENV_N)s\n"
                                  "environment=L=\"local %(ENV_G)s\"\n"),
                          {{"HOME", "/home/x"}});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->supervisord.environment, (EnvList{{"G", "/home/x"}, {"N", "node1"}, {"P", "100%"}}));
  const ProcessConfig& p = c->groups.at(0).processes.at(0);
  EXPECT_EQ(p.environment, (EnvList{{"L", "local /home/x"}}));
  EXPECT_EQ(p.command, "/bin/p /home/x local /home/x node1");
}

TEST(Loader, ServersCtlAndExtensions) {
  TempDir d;
  Result<Config> c = load(d.write("s.conf",
                                  "[supervisord]\nlogfile=/dev/null\nconsole_output=off\nshutdown_grace=0.5\n"
                                  "main_program=app\n"
                                  "[unix_http_server]\nfile=%(here)s/../x/./s.sock\nchmod=0770\nchown=root:root\n"
                                  "[inet_http_server]\nport=*:9001\nusername=u\npassword={SHA}abc\n"
                                  "[rpcinterface:supervisor]\n"
                                  "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                                  "[supervisorctl]\nserverurl=unix://%(here)s/s.sock\nprompt=p\n"
                                  "[program:app]\ncommand=app\nstopasgroup=true\n"));
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->http_servers.size(), 2u);
  EXPECT_EQ(c->http_servers[0].kind, HttpServerConfig::Kind::Inet);
  EXPECT_EQ(c->http_servers[0].port, 9001);
  EXPECT_EQ(c->http_servers[0].host, "");
  EXPECT_EQ(c->http_servers[0].password, "{SHA}abc");
  EXPECT_EQ(c->http_servers[1].file, std::filesystem::path(d.path()).parent_path().string() + "/x/s.sock");
  EXPECT_EQ(c->http_servers[1].chmod, mode_t{0770});
  EXPECT_EQ(c->http_servers[1].chown_uid, std::optional<uid_t>(0));
  EXPECT_TRUE(c->has_rpcinterface_supervisor);
  EXPECT_TRUE(c->ctl.present);
  EXPECT_EQ(c->ctl.serverurl, "unix://" + d.path() + "/s.sock");
  EXPECT_EQ(c->ctl.prompt, "p");
  EXPECT_EQ(c->supervisord.console_output, SupervisordConfig::ConsoleOutput::Off);
  EXPECT_DOUBLE_EQ(c->supervisord.shutdown_grace, 0.5);
  EXPECT_EQ(c->supervisord.main_program, "app:app");
  EXPECT_TRUE(c->groups[0].processes[0].killasgroup);  // follows stopasgroup
}

TEST(Loader, ClientModeNeedsNoSupervisordSection) {
  TempDir d;
  std::string p = d.write("c.conf", "[supervisorctl]\nserverurl=http://h:1\nusername=%(ENV_U)s\n[include]\n");
  Result<Config> c = load(p, {{"U", "me"}}, true);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->ctl.present);
  EXPECT_EQ(c->ctl.serverurl, "http://h:1");
  EXPECT_EQ(c->ctl.username, "me");
  EXPECT_FALSE(load(p).ok());
}

TEST(Loader, ClientModeReadsTheInetServerAndDropsABrokenOne) {
  TempDir d;
  std::string p = d.write("c.conf", "[supervisorctl]\n[inet_http_server]\nport=127.0.0.1:9011\n");
  Result<Config> c = load(p, {}, true);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->http_servers.size(), 1u);
  EXPECT_EQ(c->http_servers[0].host, "127.0.0.1");
  EXPECT_EQ(c->http_servers[0].port, 9011);
  c = load(d.write("b.conf", "[supervisorctl]\n[inet_http_server]\nport=nine\n"), {}, true);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->http_servers.empty());
}

TEST(Loader, Warnings) {
  TempDir d;
  Result<Config> c = load(d.write("s.conf", std::string(k_sd) +
                                                "[program:p]\ncommand=p\nstopwaitsec=5\nbogus_thing=1\n"
                                                "stdout_logfile=syslog\nstderr_logfile_maxbytes=0\n"
                                                "[program:r]\ncommand=r\nredirect_stderr=true\nstderr_logfile=/tmp/e\n"
                                                "[mystery]\nx=1\n"
                                                "[rpcinterface:other]\nsupervisor.rpcinterface_factory=x:y\n"));
  ASSERT_TRUE(c.ok()) << c.error();
  std::string all;
  for (const auto& w : c->warnings) {
    all += w.level + " " + w.message + "\n";
  }
  std::string f = d.path() + "/s.conf";
  EXPECT_NE(all.find(f + ":5: unknown key 'stopwaitsec' in [program:p]; did you mean 'stopwaitsecs'?"), std::string::npos)
      << all;
  EXPECT_NE(all.find(f + ":6: unknown key 'bogus_thing' in [program:p]\n"), std::string::npos) << all;
  EXPECT_NE(all.find(f + ":13: unknown section [mystery] ignored"), std::string::npos) << all;
  EXPECT_NE(all.find("stdout_logfile=syslog but this is deprecated"), std::string::npos) << all;
  EXPECT_NE(all.find("AUTO logging used for stderr_logfile without rollover"), std::string::npos) << all;
  EXPECT_NE(all.find("redirect_stderr=true but stderr_logfile has also been set"), std::string::npos) << all;
  EXPECT_NE(all.find("cannot load"), std::string::npos) << all;
  const ProcessConfig& p = group(*c, "p")->processes[0];
  EXPECT_TRUE(p.stdout_ch.syslog);
  EXPECT_EQ(p.stdout_ch.logfile.kind, LogTarget::Kind::None);
  EXPECT_EQ(group(*c, "r")->processes[0].stderr_ch.logfile.kind, LogTarget::Kind::None);
}

struct ErrorCase {
  const char* name;
  std::string text;  // after "[supervisord]\nlogfile=/dev/null\n" (lines 1-2)
  int line;
  const char* part;
};

TEST(Loader, ErrorsNameFileAndLine) {
  const ErrorCase cases[] = {
      {"bool", "nodaemon=perhaps\n", 3, "invalid value for 'nodaemon' in [supervisord]: not a valid boolean"},
      {"missing_command", "[program:x]\nautostart=1\n", 3, "does not specify a command"},
      {"numprocs", "[program:x]\ncommand=c\nnumprocs=2\n", 3, "%(process_num) must be present"},
      {"killasgroup", "[program:x]\ncommand=c\nstopasgroup=true\nkillasgroup=false\n", 6, "Cannot set stopasgroup"},
      {"unknown_name", "[program:x]\n\ncommand=%(program)s\n", 5, "contains names ('program')"},
      {"group_unknown", "[group:g]\n\nprograms=nope\n", 5, "names unknown program or fcgi-program nope"},
      {"listener_redirect", "[eventlistener:l]\ncommand=c\nevents=TICK_5\nredirect_stderr=1\n", 6, "redirect_stderr"},
      {"main_program", "main_program=ghost\n[program:x]\ncommand=c\n", 3, "main_program 'ghost' names no process"},
      {"listener_no_events", "[eventlistener:l]\ncommand=c\n", 3, "[eventlistener:l] section requires an \"events\" line"},
      {"listener_empty_events", "[eventlistener:l]\ncommand=c\nevents=\n", 5, "requires an \"events\" line"},
      {"listener_unknown_event", "[eventlistener:l]\ncommand=c\nevents=tick_5,\n tick_7\n", 5,
       "Unknown event type TICK_7 in [eventlistener:l] events"},
      {"listener_stray_comma", "[eventlistener:l]\ncommand=c\nevents=tick_5,\n", 5,
       "Unknown event type  in [eventlistener:l] events"},
      {"listener_handler", "[eventlistener:l]\ncommand=c\nevents=TICK_5\nresult_handler=my.mod:handle\n", 6,
       "my.mod:handle cannot be resolved within [eventlistener:l] (tend runs no Python; the result handlers it has "
       "built in are supervisor.dispatchers:default_handler and supervisor_stdout:event_handler)"},
      {"listener_handler_malformed", "[eventlistener:l]\ncommand=c\nevents=TICK_5\nresult_handler=foo bar\n", 6,
       "foo bar cannot be resolved within [eventlistener:l]"},
      {"listener_handler_module_only", "[eventlistener:l]\ncommand=c\nevents=TICK_5\nresult_handler=supervisor_stdout\n",
       6, "supervisor_stdout cannot be resolved"},
      {"listener_buffer_size", "[eventlistener:l]\ncommand=c\nevents=TICK_5\nbuffer_size=0\n", 6,
       "[eventlistener:l] section sets invalid buffer_size (0)"},
      {"duplicate_process", "[program:a]\ncommand=c\nprocess_name=same\n[program:b]\ncommand=c\nprocess_name=same\n"
                            "[group:g]\nprograms=a,b\n",
       6, "two processes named 'same'"},
      {"include_no_files", "[include]\n", 3, "no files setting"},
      {"parse_error", "[program:x]\ncommand=c\noops\n", 5, "cannot parse line"},
      {"process_name_expanded_bad", "[program:x]\ncommand=c\nprocess_name=%(ENV_X)s\n", 5, "Invalid name"},
      {"fcgi_socket", "[fcgi-program:f]\ncommand=c\nsocket=tcp://h:port\n", 5, "Bad socket format"},
      {"fcgi_owner_tcp", "[fcgi-program:f]\ncommand=c\nsocket=tcp://h:1\nsocket_mode=0700\n", 5,
       "socket_owner and socket_mode params should only be used with a Unix domain socket"},
  };
  for (const ErrorCase& c : cases) {
    TempDir d;
    std::string path = d.write("e.conf", std::string(k_sd) + c.text);
    Result<Config> r = load(path, {{"X", "a/b"}});
    ASSERT_FALSE(r.ok()) << c.name;
    std::string prefix = path + ":" + std::to_string(c.line) + ": ";
    EXPECT_EQ(r.error().rfind(prefix, 0), 0u) << c.name << ": " << r.error();
    EXPECT_NE(r.error().find(c.part), std::string::npos) << c.name << ": " << r.error();
  }
}

TEST(Loader, MissingFileAndSection) {
  Result<Config> r = load("/nonexistent/tend.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "could not find config file /nonexistent/tend.conf");
  TempDir d;
  std::string p = d.write("x.conf", "[program:x]\ncommand=c\n");
  r = load(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), p + ": .ini file does not include supervisord section");
}

TEST(Loader, ProcessEqualityIgnoresPosition) {
  TempDir d;
  Result<Config> a = load(d.write("a.conf", std::string(k_sd) + "[program:x]\ncommand=c\n"));
  Result<Config> b = load(d.write("b.conf", std::string(k_sd) + "\n\n[program:x]\ncommand=c\n"));
  Result<Config> c = load(d.write("c.conf", std::string(k_sd) + "[program:x]\ncommand=c\nstartsecs=2\n"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->groups[0].processes[0], b->groups[0].processes[0]);
  EXPECT_FALSE(a->groups[0].processes[0] == c->groups[0].processes[0]);
}

TEST(Loader, SurvivesMutatedConfigs) {
  const std::string base = std::string(k_sd) +
                           "environment=A=\"1\",B=2\n[program:p]\ncommand=/bin/p %(process_num)d\n"
                           "process_name=%(program_name)s_%(process_num)s\nnumprocs=2\nstopsignal=TERM\n"
                           "[group:g]\nprograms=p\n[eventlistener:l]\ncommand=c\nevents=TICK_5\n"
                           "[unix_http_server]\nfile=/tmp/x.sock\n[inet_http_server]\nport=1\n";
  const char pieces[] = "%()=:;#[]\n ,\"'sd0";
  std::mt19937 rng(7);
  TempDir d;
  for (int round = 0; round < 400; ++round) {
    std::string text = base;
    for (int k = 0; k < 4; ++k) {
      size_t at = rng() % text.size();
      if (rng() % 2) {
        text.insert(at, 1, pieces[rng() % (sizeof(pieces) - 1)]);
      } else {
        text.erase(at, 1);
      }
    }
    Result<Config> r = load(d.write("m.conf", text));
    if (!r.ok()) {
      EXPECT_FALSE(r.error().empty());
    }
  }
}

}  // namespace
}  // namespace tend
