#include "ctl/options.h"

#include <gtest/gtest.h>

#include "ctl/transport.h"

namespace tend::ctl {
namespace {

TEST(CtlCliOptions, ShortLongAndCommand) {
  Result<CliOptions> o = parse_cli({"-ic", "/x.conf", "--serverurl=unix:///s", "-uadmin", "status", "-c", "y"});
  ASSERT_TRUE(o) << o.error();
  EXPECT_TRUE(o->interactive);
  EXPECT_EQ(*o->config_path, "/x.conf");
  EXPECT_EQ(*o->serverurl, "unix:///s");
  EXPECT_EQ(*o->username, "admin");
  // Options end at the first non-option word.
  EXPECT_EQ(o->args, (std::vector<std::string>{"status", "-c", "y"}));
}

TEST(CtlCliOptions, LongPrefixesAndSeparateArgument) {
  Result<CliOptions> o = parse_cli({"--conf", "a.conf", "--pass", "pw", "--", "-x"});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(*o->config_path, "a.conf");
  EXPECT_EQ(*o->password, "pw");
  EXPECT_EQ(o->args, std::vector<std::string>{"-x"});
}

TEST(CtlCliOptions, ColorTakesAutoAlwaysOrNeverAndOnlyInFull) {
  EXPECT_EQ(*parse_cli({"--color=never", "status"})->color, "never");
  EXPECT_EQ(*parse_cli({"--color", "always"})->color, "always");
  EXPECT_FALSE(parse_cli({"status"})->color);
  EXPECT_EQ(parse_cli({"--color=blue"}).error(), "invalid value for --color 'blue': use auto, always or never");
  // supervisorctl's abbreviations of --configuration keep working.
  EXPECT_EQ(*parse_cli({"--co", "a.conf"})->config_path, "a.conf");
  EXPECT_EQ(*parse_cli({"--c", "a.conf"})->config_path, "a.conf");
  EXPECT_EQ(parse_cli({"--col=never"}).error(), "option --col not recognized");
}

TEST(CtlCliOptions, ColourFollowsTheTerminalNoColorAndTheOption) {
  EXPECT_TRUE(use_colour(std::nullopt, nullptr, true));
  EXPECT_FALSE(use_colour(std::nullopt, nullptr, false));
  EXPECT_FALSE(use_colour(std::nullopt, "1", true));
  EXPECT_TRUE(use_colour(std::nullopt, "", true));  // set but empty: ignored, as no-color.org says
  EXPECT_FALSE(use_colour(std::string("auto"), "yes", true));
  EXPECT_TRUE(use_colour(std::string("always"), "1", false));
  EXPECT_FALSE(use_colour(std::string("never"), nullptr, true));
}

TEST(CtlConsoleUrl, FromAnHttpServerUrlElseTheInetServer) {
  CtlSettings s;
  s.serverurl = "http://user:pw@example.org:9001/RPC2";
  EXPECT_EQ(console_url(s), "http://example.org:9001/");
  s.serverurl = "HTTP://127.0.0.1:9001";
  EXPECT_EQ(console_url(s), "http://127.0.0.1:9001/");
  s.serverurl = "unix:///run/tend.sock";
  EXPECT_EQ(console_url(s), std::nullopt);
  s.inet_console_url = console_url_for("", 9001);
  EXPECT_EQ(console_url(s), "http://localhost:9001/");
  EXPECT_EQ(console_url_for("0.0.0.0", 1), "http://localhost:1/");
  EXPECT_EQ(console_url_for("::1", 2), "http://[::1]:2/");
  EXPECT_EQ(console_url_for("tend.local", 3), "http://tend.local:3/");
}

TEST(CtlCliOptions, Errors) {
  EXPECT_EQ(parse_cli({"-x"}).error(), "option -x not recognized");
  EXPECT_EQ(parse_cli({"-c"}).error(), "option -c requires argument");
  EXPECT_EQ(parse_cli({"--configuration"}).error(), "option --configuration requires argument");
  EXPECT_EQ(parse_cli({"--help=1"}).error(), "option --help must not have an argument");
  EXPECT_EQ(parse_cli({"--h"}).error(), "option --h not a unique prefix");
  EXPECT_EQ(parse_cli({"--bogus"}).error(), "option --bogus not recognized");
  EXPECT_EQ(parse_cli({"-c", "a", "-c", "b"}).error(), "conflicting command line option '-c'");
  EXPECT_EQ(parse_cli({"-s", "foo"}).error(),
            "invalid value for -s 'foo': value 'foo' is not a URL");
}

TEST(CtlCliOptions, HelpWinsOverLaterConflicts) {
  Result<CliOptions> o = parse_cli({"-h", "-c", "a", "-c", "b"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->help);
  EXPECT_TRUE(parse_cli({"-?"})->help);
  // ...but a syntax error anywhere comes first.
  EXPECT_FALSE(parse_cli({"-h", "-z"}));
}

TEST(CtlCliOptions, VersionIsLongOnly) {
  Result<CliOptions> o = parse_cli({"--version", "-c", "a", "-c", "b"});
  ASSERT_TRUE(o) << o.error();
  EXPECT_TRUE(o->version);
  EXPECT_FALSE(o->help);
  EXPECT_TRUE(parse_cli({"--vers"})->version);
  // supervisorctl has no -v; neither has tendctl.
  EXPECT_EQ(parse_cli({"-v"}).error(), "option -v not recognized");
  EXPECT_EQ(parse_cli({"-V"}).error(), "option -V not recognized");
}

// ~user comes from /etc/passwd (util/passwd.h), never from NSS: tendctl may be static.
TEST(CtlNormalizePath, ExpandsTildeUserFromPasswdFile) {
  EXPECT_EQ(normalize_path("~root/x"), "/root/x");
  EXPECT_EQ(normalize_path("~no-such-user-here/x").substr(0, 1), "/");
  EXPECT_NE(normalize_path("~no-such-user-here/x").find("~no-such-user-here/x"), std::string::npos);
}

TEST(CtlNormalizePath, CollapsesDotsAndSlashes) {
  EXPECT_EQ(normalize_path("/a//b/./c/../d/"), "/a/b/d");
  EXPECT_EQ(normalize_path("/../x"), "/x");
  EXPECT_EQ(normalize_path("//x/y"), "//x/y");
  EXPECT_EQ(normalize_path("///x"), "/x");
}

TEST(CtlDefaultConfigPaths, HereIsTheParentOfTheProgramDirectory) {
  std::vector<std::string> p = default_config_paths("/usr/bin/tendctl");
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0], "/usr/etc/supervisord.conf");
  EXPECT_EQ(p[1], "/usr/supervisord.conf");
  EXPECT_EQ(p[2], "supervisord.conf");
  EXPECT_EQ(p[3], "etc/supervisord.conf");
  EXPECT_EQ(p[4], "/etc/supervisord.conf");
  EXPECT_EQ(p[5], "/etc/supervisor/supervisord.conf");
}

TEST(CtlServerUrl, Parses) {
  Result<ServerUrl> u = parse_server_url("unix:///run/s.sock");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, ServerUrl::Scheme::Unix);
  EXPECT_EQ(u->path, "/run/s.sock");
  u = parse_server_url("http://localhost");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 80);
  u = parse_server_url("http://127.0.0.1:9001/RPC2");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9001);
  u = parse_server_url("http://[::1]:9002");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9002);
  EXPECT_FALSE(parse_server_url("ftp://x"));
  EXPECT_FALSE(parse_server_url("http://x:notaport"));
  EXPECT_FALSE(parse_server_url("http://:80"));
}

}  // namespace
}  // namespace tend::ctl
