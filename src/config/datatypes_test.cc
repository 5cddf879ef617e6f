#include "config/datatypes.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

namespace tend {
namespace {

template <typename T>
void expect_ok(const Result<T>& r, const T& want, const char* input) {
  ASSERT_TRUE(r.ok()) << input << ": " << r.error();
  EXPECT_EQ(*r, want) << input;
}

void expect_error(const std::string& err, const char* part, const char* input) {
  EXPECT_NE(err.find(part), std::string::npos) << input << ": " << err;
}

TEST(Datatypes, Integer) {
  const std::pair<const char*, int64_t> good[] = {{"5", 5}, {" 5 ", 5}, {"+5", 5}, {"-5", -5}, {"010", 10},
                                                  {"1_000", 1000}, {"\xc2\xa0" "7", 7}};
  for (const auto& [in, want] : good) {
    expect_ok(parse_integer(in), want, in);
  }
  for (const char* bad : {"", "1.5", "0x10", "1__0", "_1", "1_", "abc", "5 5", "99999999999999999999"}) {
    EXPECT_FALSE(parse_integer(bad).ok()) << bad;
  }
  EXPECT_FALSE(parse_int("3000000000").ok());
}

TEST(Datatypes, Startretries) {
  EXPECT_EQ(*parse_startretries("3"), 3);
  EXPECT_EQ(*parse_startretries("0"), 0);
  EXPECT_EQ(*parse_startretries(" -1 "), -1);  // no limit
  Result<int> r = parse_startretries("-2");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "not a count >= 0, or -1 to retry without limit: '-2'");
  EXPECT_FALSE(parse_startretries("many").ok());
  EXPECT_FALSE(parse_startretries("1.5").ok());
}

TEST(Datatypes, Boolean) {
  for (const char* t : {"yes", "TRUE", "On", "1"}) {
    expect_ok(parse_boolean(t), true, t);
  }
  for (const char* f : {"no", "False", "OFF", "0"}) {
    expect_ok(parse_boolean(f), false, f);
  }
  expect_error(parse_boolean("maybe").error(), "not a valid boolean value: 'maybe'", "maybe");
  EXPECT_FALSE(parse_boolean("").ok());
}

TEST(Datatypes, ByteSize) {
  const std::pair<const char*, int64_t> good[] = {
      {"0", 0}, {"100", 100}, {"1KB", 1024}, {"2kb", 2048}, {"50MB", 50LL << 20}, {"1GB", 1LL << 30}, {"1 MB", 1 << 20}};
  for (const auto& [in, want] : good) {
    expect_ok(parse_byte_size(in), want, in);
  }
  for (const char* bad : {"1K", "1B", "1.5MB", "MB", "", "10MiB"}) {
    EXPECT_FALSE(parse_byte_size(bad).ok()) << bad;
  }
}

TEST(Datatypes, Octal) {
  expect_ok(parse_octal("022"), mode_t{022}, "022");
  expect_ok(parse_octal("22"), mode_t{022}, "22");
  expect_ok(parse_octal("0o22"), mode_t{022}, "0o22");
  expect_ok(parse_octal("0700"), mode_t{0700}, "0700");
  expect_error(parse_octal("089").error(), "089 can not be converted to an octal type", "089");
}

TEST(Datatypes, Signal) {
  const std::pair<const char*, int> good[] = {{"TERM", SIGTERM}, {"sigterm", SIGTERM}, {"SIGKILL", SIGKILL},
                                              {"15", 15},         {" hup ", SIGHUP},   {"usr2", SIGUSR2},
                                              {"RTMIN", 34},      {"_DFL", 0}};
  for (const auto& [in, want] : good) {
    expect_ok(parse_signal(in), want, in);
  }
  expect_error(parse_signal("FOO").error(), "value 'FOO' is not a valid signal name", "FOO");
  expect_error(parse_signal("99").error(), "value '99' is not a valid signal number", "99");
  expect_error(parse_signal("40").error(), "not a valid signal number", "40");
}

TEST(Datatypes, ExitCodes) {
  expect_ok(parse_exitcodes("0"), std::vector<int>{0}, "0");
  expect_ok(parse_exitcodes("0, 2,255"), std::vector<int>{0, 2, 255}, "0,2,255");
  expect_ok(parse_exitcodes(""), std::vector<int>{}, "");
  for (const char* bad : {"256", "-1", "0,", "a", "1;2"}) {
    expect_error(parse_exitcodes(bad).error(), "not a valid list of exit codes", bad);
  }
}

TEST(Datatypes, AutoRestart) {
  expect_ok(parse_autorestart("true"), AutoRestart::Always, "true");
  expect_ok(parse_autorestart("FALSE"), AutoRestart::Never, "FALSE");
  expect_ok(parse_autorestart("Unexpected"), AutoRestart::Unexpected, "Unexpected");
  expect_error(parse_autorestart("sometimes").error(), "invalid 'autorestart' value 'sometimes'", "sometimes");
}

TEST(Datatypes, LogLevel) {
  for (const char* l : {"critical", "error", "warn", "info", "debug", "trace", "BLATHER"}) {
    EXPECT_TRUE(parse_loglevel(l).ok()) << l;
  }
  expect_error(parse_loglevel("warning").error(), "bad logging level name 'warning'", "warning");
}

TEST(Datatypes, Env) {
  struct Case {
    const char* in;
    EnvList want;
  };
  const Case good[] = {
      {"A=1,B=2", {{"A", "1"}, {"B", "2"}}},
      {"A=\"x,y\",B='z w'", {{"A", "x,y"}, {"B", "z w"}}},
      {"PATH=/usr/bin:/bin,X=a.b+c-d", {{"PATH", "/usr/bin:/bin"}, {"X", "a.b+c-d"}}},
      {"A=1;B=2", {{"A", "1"}, {"B", "2"}}},  // any single character separates
      {"A=hello world", {{"A", "hello"}}},   // supervisor drops the 4th token unchecked
      {"A=1,\nB=2", {{"A", "1"}, {"B", "2"}}},
      {"A=1,A=2", {{"A", "2"}}},
      {"", {}},
      {"\"K\"=v", {{"\"K\"", "v"}}},
  };
  for (const Case& c : good) {
    Result<EnvList> r = parse_env(c.in);
    ASSERT_TRUE(r.ok()) << c.in << ": " << r.error();
    EXPECT_EQ(*r, c.want) << c.in;
  }
  expect_error(parse_env("A=hello world,B=2").error(), "Unexpected end of key/value pairs in value 'A=hello world,B=2'",
               "space");
  expect_error(parse_env("A=1 B=2").error(), "Unexpected end of key/value pairs", "A=1 B=2");
  expect_error(parse_env("A=b#c\nD=e").error(), "Unexpected end", "comment");
  expect_error(parse_env("A=\"open").error(), "No closing quotation", "quote");
}

TEST(Datatypes, Names) {
  expect_ok(parse_name(" web "), std::string("web"), "web");
  expect_error(parse_name("a b").error(), "Invalid name: 'a b' because of character: ' '", "a b");
  expect_error(parse_name("a:b").error(), "character: ':'", "a:b");
  expect_error(parse_name("a/b").error(), "character: '/'", "a/b");
  EXPECT_EQ(parse_list_of_strings(" a, b ,,c"), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_TRUE(parse_list_of_strings("").empty());
}

TEST(Datatypes, Paths) {
  EXPECT_EQ(expand_user("~/x", "/home/me"), "/home/me/x");
  EXPECT_EQ(expand_user("~", "/home/me/"), "/home/me");
  EXPECT_EQ(expand_user("~root/x", "/home/me"), "/root/x");
  EXPECT_EQ(expand_user("~no_such_user_tend/x", "/h"), "~no_such_user_tend/x");
  EXPECT_EQ(expand_user("a~", "/h"), "a~");
  expect_ok(parse_existing_directory("/tmp", ""), std::string("/tmp"), "/tmp");
  expect_error(parse_existing_directory("/nonexistent", "").error(), "/nonexistent is not an existing directory", "dir");
  expect_ok(parse_existing_dirpath("relative.log", ""), std::string("relative.log"), "relative");
  expect_ok(parse_existing_dirpath("/tmp/x.log", ""), std::string("/tmp/x.log"), "/tmp/x.log");
  expect_error(parse_existing_dirpath("/nonexistent/x.log", "").error(),
               "The directory named as part of the path /nonexistent/x.log does not exist", "dirpath");
  EXPECT_EQ(normalize_path("/a/./b/../c//d/"), "/a/c/d");
  EXPECT_EQ(normalize_path("//a/b"), "//a/b");
  EXPECT_EQ(normalize_path("/../x"), "/x");
  EXPECT_EQ(py_dirname("/usr/bin/tend"), "/usr/bin");
  EXPECT_EQ(py_dirname("tend"), "");
  EXPECT_EQ(py_dirname("/tend"), "/");
  EXPECT_EQ(py_dirname("a//b"), "a");
  EXPECT_EQ(py_join("", "x"), "x");
  EXPECT_EQ(py_join("/a", "/b"), "/b");
  EXPECT_EQ(py_join("/a/", "b"), "/a/b");
}

TEST(Datatypes, Logfile) {
  EXPECT_EQ(parse_logfile("NONE", "")->kind, LogTarget::Kind::None);
  EXPECT_EQ(parse_logfile("off", "")->kind, LogTarget::Kind::None);
  EXPECT_EQ(parse_logfile("Auto", "")->kind, LogTarget::Kind::Auto);
  EXPECT_EQ(parse_logfile("syslog", "")->kind, LogTarget::Kind::Syslog);
  Result<LogTarget> p = parse_logfile("/tmp/./x.log", "");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, LogTarget::Kind::Path);
  EXPECT_EQ(p->path, "/tmp/x.log");
  EXPECT_FALSE(parse_logfile("/nonexistent/x.log", "").ok());
}

TEST(Datatypes, Users) {
  expect_ok(parse_uid("root"), uid_t{0}, "root");
  expect_ok(parse_uid("0"), uid_t{0}, "0");
  expect_error(parse_uid("no_such_user_tend").error(), "Invalid user name no_such_user_tend", "name");
  expect_error(parse_uid("4000000000").error(), "Invalid user id 4000000000", "id");
  Result<std::pair<uid_t, std::optional<gid_t>>> ug = parse_user_group("root:root");
  ASSERT_TRUE(ug.ok());
  EXPECT_EQ(ug->first, 0u);
  EXPECT_EQ(ug->second, std::optional<gid_t>(0));
  EXPECT_EQ(parse_user_group("root")->second, std::nullopt);
  expect_error(parse_user_group("root:no_such_group_tend").error(), "Invalid user:group definition", "group");
}

TEST(Datatypes, InetAddress) {
  using Addr = std::pair<std::string, int>;
  expect_ok(parse_inet_address("9001"), Addr{"", 9001}, "9001");
  expect_ok(parse_inet_address("127.0.0.1:9001"), Addr{"127.0.0.1", 9001}, "host");
  expect_ok(parse_inet_address("*:9001"), Addr{"", 9001}, "*");
  expect_ok(parse_inet_address(":9001"), Addr{"", 9001}, ":");
  expect_ok(parse_inet_address("LocalHost:1"), Addr{"localhost", 1}, "case");
  expect_error(parse_inet_address("host:").error(), "no port number specified", "host:");
  expect_error(parse_inet_address("abc").error(), "not a valid port number", "abc");
  expect_error(parse_inet_address("70000").error(), "70000 is above upper bound (65535)", "70000");
  expect_error(parse_inet_address("h:0").error(), "0 is below lower bound (1)", "0");
}

}  // namespace
}  // namespace tend
