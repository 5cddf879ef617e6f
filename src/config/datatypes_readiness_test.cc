// The datatypes of tend's start-order keys, one table per key: what each
// accepted spelling means, the message of each refusal, and the canonical
// text of each value (tend.getAllConfigInfo's), which reads back to it.
#include <gtest/gtest.h>

#include "config/datatypes.h"

namespace tend {
namespace {

struct Refusal {
  const char* input;
  const char* message;  // a fragment of the error
};

template <typename T>
void expect_refusals(Result<T> (*parse)(std::string_view), std::initializer_list<Refusal> cases) {
  for (const Refusal& c : cases) {
    Result<T> r = parse(c.input);
    ASSERT_FALSE(r.ok()) << c.input;
    EXPECT_NE(r.error().find(c.message), std::string::npos) << c.input << ": " << r.error();
  }
}

ProbeSpec probe(ProbeSpec::Kind kind, std::string host = "", int port = 0, int fd = -1, std::string target = "") {
  ProbeSpec p;
  p.kind = kind;
  p.host = std::move(host);
  p.port = port;
  p.fd = fd;
  p.target = std::move(target);
  return p;
}

// format(v) reads back to v, through the key's own parser.
template <typename T, typename F>
void expect_round_trip(Result<T> (*parse)(std::string_view), F format, const T& v) {
  std::string text = format(v);
  Result<T> back = parse(text);
  ASSERT_TRUE(back.ok()) << text << ": " << back.error();
  EXPECT_EQ(*back, v) << text;
}

using K = ProbeSpec::Kind;

TEST(ReadinessDatatypes, Seconds) {
  const std::pair<const char*, double> good[] = {{"0", 0}, {"5", 5}, {" 2.5 ", 2.5}, {"1e2", 100}, {".5", 0.5}};
  for (const auto& [in, want] : good) {
    Result<double> r = parse_seconds(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error();
    EXPECT_DOUBLE_EQ(*r, want) << in;
  }
  expect_refusals(parse_seconds, {{"-1", "not a number of seconds >= 0: '-1'"},
                                  {"", "not a number of seconds >= 0: ''"},
                                  {"ten", "not a number of seconds >= 0: 'ten'"},
                                  {"0x10", "not a number of seconds >= 0: '0x10'"},
                                  {"inf", "not a number of seconds >= 0"},
                                  {"nan", "not a number of seconds >= 0"},
                                  {"5s", "not a number of seconds >= 0: '5s'"},
                                  {"31536001", "31536001 seconds is more than a year (at most 31536000)"}});
  EXPECT_TRUE(parse_seconds("31536000").ok());
}

TEST(ReadinessDatatypes, PositiveSecondsAndIntervals) {
  EXPECT_DOUBLE_EQ(*parse_positive_seconds("0.001"), 0.001);
  expect_refusals(parse_positive_seconds, {{"0", "not a number of seconds > 0: '0'"},
                                           {"-3", "not a number of seconds > 0: '-3'"}});
  EXPECT_DOUBLE_EQ(*parse_interval("0.01"), 0.01);
  EXPECT_DOUBLE_EQ(*parse_interval("10"), 10);
  expect_refusals(parse_interval, {{"0", "not a number of seconds >= 0.01: '0'"},
                                   {"0.001", "not a number of seconds >= 0.01: '0.001'"}});
}

TEST(ReadinessDatatypes, Count) {
  EXPECT_EQ(*parse_count("1"), 1);
  EXPECT_EQ(*parse_count(" 10 "), 10);
  expect_refusals(parse_count, {{"0", "not an integer >= 1: '0'"},
                                {"-2", "not an integer >= 1: '-2'"},
                                {"1.5", "not an integer >= 1: '1.5'"},
                                {"3000000000", "not an integer >= 1"}});
}

TEST(ReadinessDatatypes, ReadyChecks) {
  const std::pair<const char*, ProbeSpec> good[] = {
      {"", running_probe()},
      {"running", running_probe()},
      {" Running ", running_probe()},
      {"notify", probe(K::Notify)},
      {"NOTIFY", probe(K::Notify)},
      {"fd:3", probe(K::Fd, "", 0, 3)},
      {"fd: 1023", probe(K::Fd, "", 0, 1023)},
      {"tcp:localhost:5432", probe(K::Tcp, "localhost", 5432)},
      {"TCP:db.example:1", probe(K::Tcp, "db.example", 1)},
      {"tcp://127.0.0.1:65535", probe(K::Tcp, "127.0.0.1", 65535)},
      {"tcp:[::1]:6379", probe(K::Tcp, "::1", 6379)},
      {"http://localhost:8080/healthz", probe(K::Http, "localhost", 8080, -1, "/healthz")},
      {"http://localhost", probe(K::Http, "localhost", 80, -1, "/")},
      {"http://localhost:81", probe(K::Http, "localhost", 81, -1, "/")},
      {"http://web:8080?full=1", probe(K::Http, "web", 8080, -1, "/?full=1")},
      {"http://[::1]:8080/a/b?c=d#frag", probe(K::Http, "::1", 8080, -1, "/a/b?c=d")},
      {"HTTP://h/x", probe(K::Http, "h", 80, -1, "/x")},
      {"exec:pg_isready -h 127.0.0.1", probe(K::Exec, "", 0, -1, "pg_isready -h 127.0.0.1")},
      {"exec: sh -c 'test -S /run/x.sock' ", probe(K::Exec, "", 0, -1, "sh -c 'test -S /run/x.sock'")},
      {"file:/run/app.ready", probe(K::File, "", 0, -1, "/run/app.ready")},
  };
  for (const auto& [in, want] : good) {
    Result<ProbeSpec> r = parse_ready_check(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error();
    EXPECT_EQ(*r, want) << in;
    expect_round_trip(parse_ready_check, format_probe, *r);
  }
  expect_refusals(parse_ready_check,
                  {{"startsecs", "unknown check 'startsecs' (use running, notify, fd:N, tcp:HOST:PORT, "
                                 "http://HOST:PORT/PATH, exec:COMMAND or file:PATH)"},
                   {"none", "unknown check 'none' (the default is running"},
                   {"notify:1", "unknown check 'notify:1'"},
                   {"udp:h:1", "unknown check 'udp:h:1'"},
                   {"fd:x", "fd:N needs a file descriptor number, not 'x'"},
                   {"fd:", "fd:N needs a file descriptor number, not ''"},
                   {"fd:2", "fd 2 is below 3 (0, 1 and 2 are the program's stdin, stdout and stderr)"},
                   {"fd:-1", "fd -1 is below 3"},
                   {"fd:1024", "fd 1024 is above 1023"},
                   {"tcp:5432", "tcp: no port number specified in '5432'"},
                   {"tcp::5432", "tcp: no host in ':5432'"},
                   {"tcp:h:", "tcp: not a valid port number: ''"},
                   {"tcp:h:0", "tcp: 0 is below lower bound (1)"},
                   {"tcp:h:65536", "tcp: 65536 is above upper bound (65535)"},
                   {"tcp:h:http", "tcp: not a valid port number: 'http'"},
                   {"tcp:h:+80", "tcp: not a valid port number: '+80'"},
                   {"tcp:::1:80", "tcp: '::1:80' has more than one ':' (write an IPv6 address in brackets"},
                   {"tcp:[::1:80", "tcp: not an IPv6 address in brackets: '[::1:80'"},
                   {"tcp:[host]:80", "tcp: not an IPv6 address in brackets"},
                   {"tcp:my host:80", "tcp: not a host name or IP address: 'my host'"},
                   {"http:localhost:80", "http: write http://HOST:PORT/PATH"},
                   {"http://", "http: no host in ''"},
                   {"http://:80/", "http: no host in ':80'"},
                   {"http://h:99999/", "http: 99999 is above upper bound (65535)"},
                   {"http://u:p@h/", "http: a user or password in the URL is not supported"},
                   {"http://h/a b", "http: the path '/a b' holds a space"},
                   {"https://h/", "https is not supported: tend's probes speak plain HTTP"},
                   {"exec:", "exec: needs a command"},
                   {"exec:   ", "exec: needs a command"},
                   {"exec:sh -c 'x", "exec: No closing quotation in \"sh -c 'x\""},
                   {"exec:''", "exec: no program to run in \"''\""},
                   {"file:", "file: needs an absolute path, not ''"},
                   {"file:run/x", "file: needs an absolute path, not 'run/x'"}});
}

TEST(ReadinessDatatypes, HealthChecks) {
  const std::pair<const char*, ProbeSpec> good[] = {
      {"", ProbeSpec{}},
      {"none", ProbeSpec{}},
      {"tcp:localhost:5432", probe(K::Tcp, "localhost", 5432)},
      {"http://localhost:8080/healthz", probe(K::Http, "localhost", 8080, -1, "/healthz")},
      {"exec:redis-cli ping", probe(K::Exec, "", 0, -1, "redis-cli ping")},
      {"file:/tmp/healthy", probe(K::File, "", 0, -1, "/tmp/healthy")},
  };
  for (const auto& [in, want] : good) {
    Result<ProbeSpec> r = parse_health_check(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error();
    EXPECT_EQ(*r, want) << in;
    expect_round_trip(parse_health_check, format_probe, *r);
  }
  expect_refusals(parse_health_check,
                  {{"running", "running is no health check (use tcp:HOST:PORT, http://HOST:PORT/PATH, "
                               "exec:COMMAND, file:PATH or none)"},
                   {"notify", "notify is a readiness check only (ready = notify); its WATCHDOG=1 keep-alives are "
                              "watched with watchdog_sec"},
                   {"fd:3", "fd:N is a readiness check only"},
                   {"ping", "unknown check 'ping' (use tcp:HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND, "
                            "file:PATH or none)"},
                   {"https://h/", "https is not supported"},
                   {"tcp:h:0", "tcp: 0 is below lower bound (1)"},
                   {"exec:", "exec: needs a command"},
                   {"file:x", "file: needs an absolute path"}});
}

TEST(ReadinessDatatypes, DependsOn) {
  using C = Dependency::Condition;
  using Deps = std::vector<Dependency>;
  const std::pair<const char*, Deps> good[] = {
      {"", Deps{}},
      {"  ", Deps{}},
      {"db", Deps{{"db", C::Ready}}},
      {"db, cache:started, migrate:completed, api:healthy, web:ready",
       Deps{{"db", C::Ready},
            {"cache", C::Started},
            {"migrate", C::Completed},
            {"api", C::Healthy},
            {"web", C::Ready}}},
      {"db : STARTED", Deps{{"db", C::Started}}},
      {"db,\ncache", Deps{{"db", C::Ready}, {"cache", C::Ready}}},
  };
  for (const auto& [in, want] : good) {
    Result<Deps> r = parse_depends_on(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error();
    EXPECT_EQ(*r, want) << in;
    expect_round_trip(parse_depends_on, format_depends_on, *r);
  }
  expect_refusals(parse_depends_on,
                  {{"db,", "an empty name in 'db,' (a stray comma?)"},
                   {",db", "an empty name in ',db'"},
                   {"db,,cache", "an empty name"},
                   {":ready", "no program name in ':ready'"},
                   {"db:up", "unknown condition 'up' in 'db:up' (use ready, started, healthy or completed)"},
                   {"db:", "unknown condition '' in 'db:'"},
                   {"db:ready:x", "unknown condition 'ready:x' in 'db:ready:x'"},
                   {"db cache", "'db cache' is not a program or group name (write NAME or NAME:CONDITION, separated "
                                "by commas)"},
                   {"db\ncache", "is not a program or group name"},
                   {"a/b", "'a/b' is not a program or group name"},
                   {"db, db:started", "'db' is named twice"}});
}

TEST(ReadinessDatatypes, HealthAction) {
  const std::pair<const char*, HealthAction> good[] = {{"restart", HealthAction::Restart},
                                                        {"Stop", HealthAction::Stop},
                                                        {" SHUTDOWN ", HealthAction::Shutdown},
                                                        {"none", HealthAction::None}};
  for (const auto& [in, want] : good) {
    Result<HealthAction> r = parse_health_action(in);
    ASSERT_TRUE(r.ok()) << in << ": " << r.error();
    EXPECT_EQ(*r, want) << in;
    expect_round_trip(parse_health_action, format_health_action, *r);
  }
  expect_refusals(parse_health_action, {{"kill", "expected restart, stop, shutdown or none, not 'kill'"},
                                        {"", "expected restart, stop, shutdown or none, not ''"}});
}

TEST(ReadinessDatatypes, CanonicalText) {
  EXPECT_EQ(format_probe(ProbeSpec{}), "");
  EXPECT_EQ(format_probe(running_probe()), "running");
  EXPECT_EQ(format_probe(probe(K::Notify)), "notify");
  EXPECT_EQ(format_probe(probe(K::Fd, "", 0, 3)), "fd:3");
  EXPECT_EQ(format_probe(probe(K::Tcp, "localhost", 5432)), "tcp:localhost:5432");
  EXPECT_EQ(format_probe(probe(K::Tcp, "::1", 6379)), "tcp:[::1]:6379");
  EXPECT_EQ(format_probe(probe(K::Http, "web", 80, -1, "/?full=1")), "http://web:80/?full=1");
  EXPECT_EQ(format_probe(probe(K::Http, "::1", 8080, -1, "")), "http://[::1]:8080/");
  EXPECT_EQ(format_probe(probe(K::Exec, "", 0, -1, "sh -c 'test -S /run/x.sock'")),
            "exec:sh -c 'test -S /run/x.sock'");
  EXPECT_EQ(format_probe(probe(K::File, "", 0, -1, "/run/app.ready")), "file:/run/app.ready");
  using C = Dependency::Condition;
  EXPECT_EQ(format_depends_on({}), "");
  EXPECT_EQ(format_depends_on({{"db", C::Ready}, {"cache", C::Started}, {"migrate", C::Completed}}),
            "db:ready, cache:started, migrate:completed");
  EXPECT_EQ(format_health_action(HealthAction::Shutdown), "shutdown");
}

}  // namespace
}  // namespace tend
