#include "config/cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tend {
namespace {

Result<ServerCli> parse(const std::vector<const char*>& args) {
  std::vector<std::string> storage{"tend"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);
  return parse_server_cli(static_cast<int>(storage.size()), argv.data());
}

TEST(ServerCli, ParsesEveryOption) {
  Result<ServerCli> r = parse({"-c", "/etc/x.conf", "-n", "-s", "-k", "-t", "-u", "root", "-m", "027", "-d", "/tmp",
                               "-l", "/tmp/l.log", "-y", "5MB", "-z", "3", "-e", "debug", "-j", "/tmp/p.pid", "-i",
                               "ident", "-q", "/tmp", "-a", "2048", "--minprocs", "300", "--profile_options",
                               "cumulative"});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->action, ServerCli::Action::Run);
  EXPECT_EQ(r->configuration, "/etc/x.conf");
  EXPECT_TRUE(r->nodaemon && r->silent && r->nocleanup && r->strip_ansi);
  EXPECT_EQ(r->user, "root");
  EXPECT_EQ(r->umask, mode_t{027});
  EXPECT_EQ(r->directory, "/tmp");
  EXPECT_EQ(r->logfile, "/tmp/l.log");
  EXPECT_EQ(r->logfile_maxbytes, 5 * 1024 * 1024);
  EXPECT_EQ(r->logfile_backups, 3);
  EXPECT_EQ(r->loglevel, "debug");
  EXPECT_EQ(r->pidfile, "/tmp/p.pid");
  EXPECT_EQ(r->identifier, "ident");
  EXPECT_EQ(r->childlogdir, "/tmp");
  EXPECT_EQ(r->minfds, 2048);
  EXPECT_EQ(r->minprocs, 300);
}

TEST(ServerCli, LongFormsAbbreviationsAndClusters) {
  Result<ServerCli> r = parse({"--configuration=/a.conf", "--nodaemon", "--logl", "warn", "-sk"});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->configuration, "/a.conf");
  EXPECT_TRUE(r->nodaemon);
  EXPECT_EQ(r->loglevel, "warn");
  EXPECT_TRUE(r->silent && r->nocleanup);
  r = parse({"-c/b.conf"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->configuration, "/b.conf");
}

TEST(ServerCli, HelpAndVersion) {
  EXPECT_EQ(parse({"-h"})->action, ServerCli::Action::Help);
  EXPECT_EQ(parse({"--help"})->action, ServerCli::Action::Help);
  EXPECT_EQ(parse({"-?"})->action, ServerCli::Action::Help);
  EXPECT_EQ(parse({"-v"})->action, ServerCli::Action::Version);
  EXPECT_EQ(parse({"--version", "-h"})->action, ServerCli::Action::Version);
  EXPECT_EQ(parse({"-h", "-m", "bad"})->action, ServerCli::Action::Help);  // acted on before later values
  EXPECT_FALSE(parse({"-m", "bad", "-h"}).ok());
  EXPECT_EQ(parse({"--sample-config"})->action, ServerCli::Action::SampleConfig);
  EXPECT_EQ(parse({"--sample", "-c", "x"})->action, ServerCli::Action::SampleConfig);  // a unique prefix
  EXPECT_EQ(parse({"-v", "--sample-config"})->action, ServerCli::Action::Version);
  EXPECT_FALSE(parse({"--sample-config=x"}).ok());
}

TEST(ServerCli, ErrorsUseSupervisordWording) {
  const std::pair<std::vector<const char*>, const char*> cases[] = {
      {{"--bogus"}, "option --bogus not recognized"},
      {{"--bogus=1"}, "option --bogus not recognized"},
      {{"-x"}, "option -x not recognized"},
      {{"-nx"}, "option -x not recognized"},
      {{"--log", "x"}, "option --log not a unique prefix"},
      {{"-c"}, "option -c requires argument"},
      {{"--configuration"}, "option --configuration requires argument"},
      {{"--conf"}, "option --configuration requires argument"},
      {{"--minprocs"}, "option --minprocs requires argument"},
      {{"--nodaemon=yes"}, "option --nodaemon must not have an argument"},
      {{"extra", "args"}, "positional arguments are not supported: ['extra', 'args']"},
      {{"-n", "--", "-c"}, "positional arguments are not supported: ['-c']"},
      {{"-n", "-n"}, "conflicting command line option '-n'"},
      {{"-m", "abc"}, "invalid value for -m 'abc': abc can not be converted to an octal type"},
      {{"--umask", "9"}, "invalid value for --umask '9'"},
      {{"-e", "warning"}, "invalid value for -e 'warning': bad logging level name 'warning'"},
      {{"-d", "/nonexistent"}, "invalid value for -d '/nonexistent': /nonexistent is not an existing directory"},
      {{"-y", "1K"}, "invalid value for -y '1K'"},
      {{"-a", "many"}, "invalid value for -a 'many'"},
  };
  for (const auto& [args, message] : cases) {
    Result<ServerCli> r = parse(args);
    ASSERT_FALSE(r.ok()) << message;
    EXPECT_EQ(r.error().rfind(message, 0), 0u) << "got: " << r.error() << "\nwant: " << message;
  }
}

TEST(ServerCli, OverridesBeatTheFile) {
  Config c;
  c.supervisord.loglevel = "info";
  c.supervisord.minfds = 1024;
  Result<ServerCli> r = parse({"-n", "-e", "debug", "-a", "9", "-u", "0", "-l", "syslog", "-j", "rel.pid"});
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_TRUE(apply_cli_overrides(*r, c).ok());
  EXPECT_TRUE(c.supervisord.nodaemon);
  EXPECT_EQ(c.supervisord.loglevel, "debug");
  EXPECT_EQ(c.supervisord.minfds, 9);
  EXPECT_EQ(c.supervisord.uid, std::optional<uid_t>(0));
  EXPECT_EQ(c.supervisord.logfile, "syslog");
  EXPECT_EQ(c.supervisord.pidfile.front(), '/');
  Result<ServerCli> bad = parse({"-u", "no_such_user_tend"});
  ASSERT_TRUE(bad.ok());
  Status s = apply_cli_overrides(*bad, c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "Invalid user name no_such_user_tend");
}

TEST(ServerCli, DefaultConfigPaths) {
  EXPECT_EQ(default_config_paths("/usr/bin/tend"),
            (std::vector<std::string>{"/usr/etc/supervisord.conf", "/usr/supervisord.conf", "supervisord.conf",
                                      "etc/supervisord.conf", "/etc/supervisord.conf",
                                      "/etc/supervisor/supervisord.conf"}));
  EXPECT_EQ(default_config_paths("tend")[0], "etc/supervisord.conf");
  EXPECT_EQ(default_config_paths("tend")[1], "supervisord.conf");
  EXPECT_EQ(default_config_paths("/tend")[0], "/etc/supervisord.conf");
  ServerCli given;
  given.configuration = "/x.conf";
  EXPECT_EQ(*locate_config(given, "tend"), "/x.conf");
  Result<std::string> none = locate_config(ServerCli{}, "/nonexistent/bin/tend");
  if (!none.ok()) {  // this machine may have an /etc/supervisor/supervisord.conf
    EXPECT_EQ(none.error().rfind("No config file found at default paths (/nonexistent/etc/supervisord.conf, ", 0), 0u);
  }
}

TEST(ServerCli, HelpTextListsTheOptions) {
  std::string help = server_help_text("/usr/bin/tend");
  for (const char* opt : {"-c/--configuration", "-n/--nodaemon", "-s/--silent", "-h/--help", "-v/--version",
                          "-u/--user", "-m/--umask", "-d/--directory", "-l/--logfile", "-y/--logfile_maxbytes",
                          "-z/--logfile_backups", "-e/--loglevel", "-j/--pidfile", "-i/--identifier",
                          "-q/--childlogdir", "-k/--nocleanup", "-a/--minfds", "-t/--strip_ansi", "--minprocs",
                          "--profile_options", "/usr/bin/tend"}) {
    EXPECT_NE(help.find(opt), std::string::npos) << opt;
  }
}

}  // namespace
}  // namespace tend
