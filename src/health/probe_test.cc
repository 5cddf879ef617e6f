#include "health/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>

namespace tend::health {
namespace {

TEST(Probe, HttpStatusLine) {
  struct Case {
    const char* line;
    std::optional<int> status;
  };
  const Case cases[] = {
      {"HTTP/1.1 200 OK", 200},
      {"HTTP/1.0 204 No Content", 204},
      {"HTTP/1.1 301", 301},
      {"HTTP/1.1 503 Service Unavailable", 503},
      {"HTTP/1.1 200", 200},
      {"HTTP/2 200", std::nullopt},
      {"HTTP/1.1 20 OK", std::nullopt},
      {"HTTP/1.1 2000 OK", std::nullopt},
      {"HTTP/1.1 abc OK", std::nullopt},
      {"HTTP/1.1  200 OK", std::nullopt},
      {"http/1.1 200 OK", std::nullopt},
      {"SSH-2.0-OpenSSH_9.2", std::nullopt},
      {"", std::nullopt},
      {"HTTP/1.1 099 Low", std::nullopt},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(parse_http_status_line(c.line), c.status) << c.line;
  }
}

TEST(Probe, HttpVerdictPassesOn2xxAnd3xx) {
  struct Case {
    std::optional<int> status;
    bool passed;
    const char* error;
  };
  const Case cases[] = {
      {200, true, ""},
      {204, true, ""},
      {302, true, ""},
      {399, true, ""},
      {199, false, "HTTP status 199"},
      {404, false, "HTTP status 404"},
      {500, false, "HTTP status 500"},
      {std::nullopt, false, "not an HTTP response"},
  };
  for (const Case& c : cases) {
    ProbeResult r = http_verdict(c.status);
    EXPECT_EQ(r.passed, c.passed);
    EXPECT_EQ(r.error, c.error);
  }
}

TEST(Probe, HttpRequestIsAMinimalGet) {
  EXPECT_EQ(http_request("127.0.0.1", 8080, "/health?x=1"),
            "GET /health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: tend-probe\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(http_request("::1", 80, "").substr(0, 32), "GET / HTTP/1.1\r\nHost: [::1]:80\r\n");
}

std::string address_text(const SocketAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.addr.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a.addr);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a.addr);
  inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(v6->sin6_port));
}

TEST(Probe, AddressesResolveWithoutDns) {
  const std::string hosts =
      "127.0.0.1\tlocalhost\n"
      "::1 localhost ip6-localhost  # loopback\n"
      "# 10.9.9.9 commented\n"
      "10.1.2.3   db.internal db\n"
      "fd00::5 v6only\n";
  struct Case {
    const char* host;
    const char* want;  // nullptr: an error
  };
  const Case cases[] = {
      {"127.0.0.1", "127.0.0.1:5432"},
      {"0.0.0.0", "0.0.0.0:5432"},
      {"::1", "[::1]:5432"},
      {"[::1]", "[::1]:5432"},
      {"localhost", "127.0.0.1:5432"},  // the first line wins
      {"LocalHost", "127.0.0.1:5432"},
      {"db", "10.1.2.3:5432"},
      {"db.internal", "10.1.2.3:5432"},
      {"v6only", "[fd00::5]:5432"},
      {"commented", nullptr},
      {"example.com", nullptr},  // would need DNS
  };
  bool read = false;
  for (const Case& c : cases) {
    Result<SocketAddress> a = resolve_probe_address(c.host, 5432, [&] {
      read = true;
      return hosts;
    });
    if (c.want == nullptr) {
      ASSERT_FALSE(a.ok()) << c.host;
      EXPECT_NE(a.error().find("tend does not query DNS"), std::string::npos) << a.error();
    } else {
      ASSERT_TRUE(a.ok()) << c.host << ": " << a.error();
      EXPECT_EQ(address_text(*a), c.want) << c.host;
    }
  }
  EXPECT_TRUE(read);
}

TEST(Probe, LiteralsDoNotReadHostsAndLocalhostWorksWithoutIt) {
  bool read = false;
  auto reader = [&] {
    read = true;
    return std::string();
  };
  ASSERT_TRUE(resolve_probe_address("10.0.0.1", 80, reader).ok());
  EXPECT_FALSE(read);
  Result<SocketAddress> a = resolve_probe_address("localhost", 80, reader);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(address_text(*a), "127.0.0.1:80");
  EXPECT_FALSE(resolve_probe_address("127.0.0.1", 0, reader).ok());
  EXPECT_FALSE(resolve_probe_address("127.0.0.1", 65536, reader).ok());
}

TEST(Probe, DescribedAsConfigured) {
  auto spec = [](ProbeSpec::Kind k, std::string host, int port, int fd, std::string target) {
    ProbeSpec s;
    s.kind = k;
    s.host = std::move(host);
    s.port = port;
    s.fd = fd;
    s.target = std::move(target);
    return s;
  };
  using K = ProbeSpec::Kind;
  EXPECT_EQ(describe_probe(spec(K::Tcp, "127.0.0.1", 5432, -1, "")), "tcp:127.0.0.1:5432");
  EXPECT_EQ(describe_probe(spec(K::Tcp, "::1", 80, -1, "")), "tcp:[::1]:80");
  EXPECT_EQ(describe_probe(spec(K::Http, "localhost", 8080, -1, "/health")), "http://localhost:8080/health");
  EXPECT_EQ(describe_probe(spec(K::Http, "localhost", 8080, -1, "")), "http://localhost:8080/");
  EXPECT_EQ(describe_probe(spec(K::Exec, "", 0, -1, "pg_isready -q")), "exec:pg_isready -q");
  EXPECT_EQ(describe_probe(spec(K::File, "", 0, -1, "/run/app.pid")), "file:/run/app.pid");
  EXPECT_EQ(describe_probe(spec(K::Fd, "", 0, 3, "")), "fd:3");
  EXPECT_EQ(describe_probe(spec(K::Notify, "", 0, -1, "")), "notify");
  EXPECT_EQ(describe_probe(running_probe()), "running");
}

TEST(Probe, ErrnoTextIsLowerCase) {
  EXPECT_EQ(errno_text(ECONNREFUSED), "connection refused");
  EXPECT_EQ(errno_text(ENOENT), "no such file or directory");
}

}  // namespace
}  // namespace tend::health
