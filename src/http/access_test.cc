// Who a listener serves: the remote rule of an [inet_http_server] without
// credentials, and public routes, over real TCP sockets.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <optional>

#include "fakes/http_test_support.h"
#include "http/peer.h"
#include "http/server.h"

namespace tend::http {
namespace {

using testing::LoopThread;
using testing::ParsedResponse;
using testing::ResponseReader;
using testing::send_all;

sockaddr_in v4(const char* text, uint16_t port = 0) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, text, &a.sin_addr);
  return a;
}

sockaddr_in6 v6(const char* text) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  inet_pton(AF_INET6, text, &a.sin6_addr);
  return a;
}

template <typename A>
bool loopback(const A& a) {
  return is_loopback_peer(reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

TEST(PeerTest, LoopbackAddressesAndOnlyThose) {
  EXPECT_TRUE(loopback(v4("127.0.0.1")));
  EXPECT_TRUE(loopback(v4("127.255.3.4")));
  EXPECT_FALSE(loopback(v4("10.0.0.1")));
  EXPECT_FALSE(loopback(v4("0.0.0.0")));
  EXPECT_FALSE(loopback(v4("128.0.0.1")));
  EXPECT_TRUE(loopback(v6("::1")));
  EXPECT_TRUE(loopback(v6("::ffff:127.0.0.1")));
  EXPECT_FALSE(loopback(v6("::ffff:192.168.1.2")));
  EXPECT_FALSE(loopback(v6("fe80::1")));
  EXPECT_FALSE(loopback(v6("::")));
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  EXPECT_TRUE(loopback(un));
  sockaddr_in a = v4("127.0.0.1");
  EXPECT_FALSE(is_loopback_peer(reinterpret_cast<const sockaddr*>(&a), 4));  // truncated
  EXPECT_FALSE(is_loopback_peer(nullptr, 0));
}

TEST(PeerTest, LoopbackHostsInTheConfig) {
  for (const char* h : {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "ip6-localhost"}) {
    EXPECT_TRUE(is_loopback_host(h)) << h;
  }
  for (const char* h : {"", "0.0.0.0", "10.1.2.3", "example.com", "::", "[::]"}) {
    EXPECT_FALSE(is_loopback_host(h)) << h;
  }
}

HttpServerConfig inet(const std::string& host) {
  HttpServerConfig c;
  c.kind = HttpServerConfig::Kind::Inet;
  c.section = "inet_http_server";
  c.host = host;
  c.port = 9191;
  return c;
}

TEST(AccessPolicyTest, RemoteClientsAreRefusedOnlyWhereOtherHostsReachAnOpenServer) {
  EXPECT_TRUE(access_policy(inet("")).refuse_remote);
  EXPECT_TRUE(access_policy(inet("0.0.0.0")).refuse_remote);
  EXPECT_FALSE(access_policy(inet("127.0.0.1")).refuse_remote);
  HttpServerConfig with_auth = inet("");
  with_auth.username = "u";
  with_auth.password = "p";
  EXPECT_FALSE(access_policy(with_auth).refuse_remote);
  EXPECT_TRUE(access_policy(with_auth).credentials.required());
  HttpServerConfig allowed = inet("");
  allowed.allow_remote_without_auth = true;
  EXPECT_FALSE(access_policy(allowed).refuse_remote);
  HttpServerConfig unix_server;
  unix_server.file = "/tmp/x.sock";
  EXPECT_FALSE(access_policy(unix_server).refuse_remote);
  std::string text = access_policy(inet("")).remote_refusal;
  EXPECT_NE(text.find("[inet_http_server]"), std::string::npos) << text;
  EXPECT_NE(text.find("port 9191"), std::string::npos) << text;
  EXPECT_NE(text.find("username"), std::string::npos) << text;
  EXPECT_NE(text.find("allow_remote_without_auth = true"), std::string::npos) << text;
}

class RemoteAccessTest : public ::testing::Test {
 protected:
  void SetUp() override { lt.start(); }
  void TearDown() override {
    lt.run([this] {
      server.reset();
      return 0;
    });
  }
  // A server on `host`:0 with `policy`, /ok.html protected, /probe public.
  // `remote`: the classifier's answer for every client (nullopt: the real one).
  int start(const std::string& host, AccessPolicy policy, std::optional<bool> remote) {
    return lt.run([&] {
      server = std::make_unique<HttpServer>(lt.loop());
      server->route("/ok.html", [](const Request&, const Response& rs) { rs.send(200, "text/plain", "OK"); });
      server->route(
          "/probe", [](const Request&, const Response& rs) { rs.send(200, "text/plain", "up"); },
          HttpServer::Access::Public);
      if (remote) {
        bool is_remote = *remote;
        server->set_peer_classifier([is_remote](const sockaddr*, socklen_t) { return !is_remote; });
      }
      EXPECT_TRUE(server->listen_tcp(host, 0, std::move(policy)).ok());
      return server->last_tcp_port();
    });
  }
  // GET `path` from `from` (an IPv4 address of this host) to `to`:port.
  static ParsedResponse get(const char* from, const char* to, int port, const std::string& path,
                            const std::string& extra = "") {
    Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in src = v4(from);
    EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&src), sizeof src), 0);
    sockaddr_in dst = v4(to, static_cast<uint16_t>(port));
    EXPECT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), sizeof dst), 0);
    testing::set_timeout(fd.get(), 5);
    EXPECT_TRUE(send_all(fd.get(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n"));
    ResponseReader reader(fd.get());
    return reader.next();
  }
  static AccessPolicy refusing() {
    AccessPolicy p;
    p.refuse_remote = true;
    p.remote_refusal = "set username and password\n";
    return p;
  }

  LoopThread lt;
  std::unique_ptr<HttpServer> server;
};

TEST_F(RemoteAccessTest, ARemoteClientGetsTheExplanationALocalOneIsServed) {
  int port = start("127.0.0.1", refusing(), true);
  ParsedResponse r = get("127.0.0.1", "127.0.0.1", port, "/ok.html");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "set username and password\n");
  EXPECT_EQ(r.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"default\"");
  // Credentials do not help: there are none to match.
  EXPECT_EQ(get("127.0.0.1", "127.0.0.1", port, "/ok.html", "Authorization: Basic dTpw\r\n").status, 401);
  // Public routes answer anyone.
  r = get("127.0.0.1", "127.0.0.1", port, "/probe");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "up");
}

TEST_F(RemoteAccessTest, LocalClientsOfARefusingServerAreServed) {
  int port = start("127.0.0.1", refusing(), false);
  EXPECT_EQ(get("127.0.0.1", "127.0.0.1", port, "/ok.html").body, "OK");
}

TEST_F(RemoteAccessTest, WithoutTheRuleEveryoneIsServed) {
  int port = start("127.0.0.1", AccessPolicy{}, true);
  EXPECT_EQ(get("127.0.0.1", "127.0.0.1", port, "/ok.html").body, "OK");
}

TEST_F(RemoteAccessTest, PublicRoutesNeedNoCredentialsProtectedOnesDo) {
  AccessPolicy p;
  p.credentials = Credentials{"u", "p"};
  int port = start("127.0.0.1", p, std::nullopt);
  EXPECT_EQ(get("127.0.0.1", "127.0.0.1", port, "/ok.html").status, 401);
  EXPECT_EQ(get("127.0.0.1", "127.0.0.1", port, "/ok.html", "Authorization: Basic dTpw\r\n").body, "OK");
  EXPECT_EQ(get("127.0.0.1", "127.0.0.1", port, "/probe").body, "up");
}

// An IPv4 address of this host that is not loopback, if it has one.
std::optional<std::string> non_loopback_local_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return std::nullopt;
  }
  std::optional<std::string> found;
  for (ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET ||
        is_loopback_peer(i->ifa_addr, sizeof(sockaddr_in))) {
      continue;
    }
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
  }
  freeifaddrs(list);
  return found;
}

// The real classifier on a real address: a client from this host's own
// non-loopback address is "remote" as far as the kernel tells us.
TEST_F(RemoteAccessTest, TheRealClassifierTellsALocalNonLoopbackAddressFromLoopback) {
  std::optional<std::string> other = non_loopback_local_address();
  if (!other) {
    GTEST_SKIP() << "skip_by_design: this host has no IPv4 address but loopback";
  }
  int port = start("0.0.0.0", refusing(), std::nullopt);
  EXPECT_EQ(get("127.0.0.1", "127.0.0.1", port, "/ok.html").body, "OK");
  ParsedResponse r = get(other->c_str(), other->c_str(), port, "/ok.html");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "set username and password\n");
  EXPECT_EQ(get(other->c_str(), other->c_str(), port, "/probe").body, "up");
}

}  // namespace
}  // namespace tend::http
