#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include <atomic>

#include "fakes/http_test_support.h"
#include "fakes/missing_tool.h"
#include "fakes/wait_until.h"
#include "daemon/xmlrpc_route.h"
#include "rpc/codec.h"
#include "rpc/faults.h"
#include "rpc/system_api.h"
#include "util/base64.h"
#include "util/sha1.h"

namespace tend::http {
namespace {

using test_support::wait_until;
using testing::connect_unix;
using testing::LoopThread;
using testing::ParsedResponse;
using testing::post_request;
using testing::ResponseReader;
using testing::send_all;
using testing::TempDir;

const std::string k_list_methods = rpc::encode_call("system.listMethods", {});

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpLimits limits = {}, Credentials creds = {}) {
    server = std::make_unique<HttpServer>(lt.loop(), limits);
    ASSERT_TRUE(rpc::install_system_api(dispatcher).ok());
    rpc::MethodSpec later;
    later.name = "t.later";
    later.max_params = 1;
    later.handler = [this](const rpc::Array&, const rpc::Reply& r) { deferred.push_back(r); };
    ASSERT_TRUE(dispatcher.add(std::move(later)).ok());
    install_xmlrpc_route(*server, dispatcher);
    install_ok_route(*server);
    server->route("/big", [this](const Request&, const Response& r) {
      ++big_served;
      r.send(200, "text/plain", std::string(k_big_size, 'b'));
    });
    server->route("/stream", [this](const Request&, const Response& r) { start_stream(r); });
    server->route("/huge", [this](const Request&, const Response& r) {
      std::string body = r.take_buffer();
      taken_capacity = body.capacity();
      for (size_t i = 0; i < k_huge_size; ++i) {
        body += static_cast<char>('a' + i % 26);
      }
      r.send(200, "text/plain", std::move(body));
    });
    sock = dir.file("http.sock");
    Status st = server->listen_unix(UnixListenOptions{sock, 0700, {}, {}}, std::move(creds));
    ASSERT_TRUE(st.ok()) << st.error();
    lt.start();
  }
  void TearDown() override {
    lt.stop();
    server.reset();
  }

  // Streams "tick" chunks on a timer until the client goes away or the
  // writer refuses; records how much was accepted.
  void start_stream(const Response& r) {
    r.begin_stream(200, "text/plain", {{"X-Accel-Buffering", "no"}});
    r.write("first\n");
    if (stream_forever) {
      pump(r);
    } else {
      r.write("second\n");
      r.end_stream();
    }
  }
  void pump(Response r) {
    std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 4; ++i) {
      if (!r.write(chunk)) {
        stream_refused = true;
        return;
      }
      stream_bytes += chunk.size();
      max_buffered = std::max(max_buffered.load(), r.buffered());
    }
    lt.loop().add_timer_after(std::chrono::milliseconds(1), [this, r] { pump(r); });
  }

  size_t connections() {
    return lt.run([this] { return server->connection_count(); });
  }

  ParsedResponse roundtrip(const std::string& request) {
    Fd fd = connect_unix(sock);
    EXPECT_TRUE(fd.valid());
    EXPECT_TRUE(send_all(fd.get(), request));
    ResponseReader reader(fd.get());
    return reader.next();
  }

  TempDir dir;
  std::string sock;
  LoopThread lt;
  rpc::Dispatcher dispatcher;
  std::unique_ptr<HttpServer> server;
  std::vector<rpc::Reply> deferred;  // loop thread only
  bool stream_forever = false;
  std::atomic<bool> stream_refused{false};
  std::atomic<size_t> stream_bytes{0};
  std::atomic<size_t> max_buffered{0};
  static constexpr size_t k_huge_size = 3 * 1000 * 1000;  // well above a unix socket's send buffer
  std::atomic<size_t> taken_capacity{0};                   // of the last /huge take_buffer()
  static constexpr size_t k_big_size = 100000;             // the /big body
  std::atomic<size_t> big_served{0};                       // /big requests answered
};

bool is_huge_body(const std::string& body) {
  if (body.size() != 3 * 1000 * 1000) {
    return false;
  }
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != static_cast<char>('a' + i % 26)) {
      return false;
    }
  }
  return true;
}

TEST_F(HttpServerTest, XmlRpcOverUnixSocket) {
  start();
  ParsedResponse r = roundtrip(post_request("/RPC2", k_list_methods));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(r.header("Content-Type"), "text/xml");
  EXPECT_EQ(r.header("Server"), "tend");
  EXPECT_FALSE(r.header("Date").empty());
  auto v = rpc::parse_response(r.body);
  ASSERT_TRUE(v.ok()) << v.error();
  ASSERT_TRUE(std::holds_alternative<rpc::Value>(*v));
  EXPECT_EQ(std::get<rpc::Value>(*v).as_array().size(), 5u);
}

TEST_F(HttpServerTest, FaultIsHttp200) {
  start();
  ParsedResponse r = roundtrip(post_request("/RPC2/anything", rpc::encode_call("nope.nothing", {})));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  auto v = rpc::parse_response(r.body);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(std::get<rpc::Fault>(*v).code, rpc::faults::k_unknown_method);
}

TEST_F(HttpServerTest, StatusCodesForBadRequests) {
  start();
  EXPECT_EQ(roundtrip("GET /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n").status, 400);
  EXPECT_EQ(roundtrip(post_request("/RPC2", "<not xml")).status, 400);
  EXPECT_EQ(roundtrip("POST /RPC2 HTTP/1.1\r\nHost: x\r\n\r\n").status, 411);
  EXPECT_EQ(roundtrip("POST /RPC2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").status, 411);
  EXPECT_EQ(roundtrip("GET /nowhere HTTP/1.1\r\n\r\n").status, 404);
  ParsedResponse garbage = roundtrip("HELLO THERE\r\n\r\n");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(garbage.header("Connection"), "close");
  EXPECT_EQ(roundtrip("GET / HTTP/1.1\nHost: x\n\n").status, 400);  // bare LF
}

TEST_F(HttpServerTest, OkPage) {
  start();
  ParsedResponse r = roundtrip("GET /ok.html HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "OK");
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
}

TEST_F(HttpServerTest, KeepAliveTwoRequestsOneConnection) {
  start();
  Fd fd = connect_unix(sock);
  ResponseReader reader(fd.get());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(send_all(fd.get(), post_request("/RPC2", k_list_methods)));
    ParsedResponse r = reader.next();
    ASSERT_TRUE(r.ok) << i;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Connection"), "");
  }
  EXPECT_EQ(connections(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  start();
  Fd fd = connect_unix(sock);
  std::string reqs = post_request("/RPC2", k_list_methods) + "GET /ok.html HTTP/1.1\r\n\r\n" +
                     post_request("/RPC2", rpc::encode_call("x.y", {}));
  ASSERT_TRUE(send_all(fd.get(), reqs));
  ResponseReader reader(fd.get());
  ParsedResponse a = reader.next();
  ParsedResponse b = reader.next();
  ParsedResponse c = reader.next();
  ASSERT_TRUE(a.ok && b.ok && c.ok);
  EXPECT_NE(a.body.find("system.listMethods"), std::string::npos);
  EXPECT_EQ(b.body, "OK");
  EXPECT_NE(c.body.find("UNKNOWN_METHOD"), std::string::npos);
}

TEST_F(HttpServerTest, PipelinedLargeAnswersWaitForTheReader) {
  start();
  Fd fd = connect_unix(sock);
  std::string reqs;
  for (int i = 0; i < 30; ++i) {
    reqs += "GET /big HTTP/1.1\r\n\r\n";
  }
  ASSERT_TRUE(send_all(fd.get(), reqs));
  // Read only once the server has run into its pipeline bound (256 KiB of
  // answers not yet taken by the socket): what it answered, less what waits
  // in our receive queue, is what it holds (a little more, with the headers).
  auto holding_back = [&] {
    int queued = 0;
    ioctl(fd.get(), FIONREAD, &queued);
    return big_served.load() * k_big_size > static_cast<size_t>(queued) + 252 * 1024;
  };
  ASSERT_TRUE(wait_until(holding_back));
  EXPECT_LT(big_served.load(), 30u);
  ResponseReader reader(fd.get());
  for (int i = 0; i < 30; ++i) {
    ParsedResponse r = reader.next();
    ASSERT_TRUE(r.ok) << i;
    ASSERT_EQ(r.body.size(), k_big_size) << i;
  }
}

TEST_F(HttpServerTest, LargeBodyArrivesWholeAndItsBufferIsReused) {
  start();
  Fd fd = connect_unix(sock);
  ResponseReader reader(fd.get());
  ASSERT_TRUE(send_all(fd.get(), "GET /huge HTTP/1.1\r\n\r\n"));
  ParsedResponse first = reader.next();
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.header("Content-Length"), "3000000");
  EXPECT_TRUE(is_huge_body(first.body));
  EXPECT_LT(taken_capacity.load(), k_huge_size);  // a fresh connection has nothing to lend

  // Behind the big body, pipelined answers keep their order.
  ASSERT_TRUE(send_all(fd.get(), "GET /huge HTTP/1.1\r\n\r\nGET /ok.html HTTP/1.1\r\n\r\n"));
  ParsedResponse second = reader.next();
  ParsedResponse ok = reader.next();
  ASSERT_TRUE(second.ok && ok.ok);
  EXPECT_TRUE(is_huge_body(second.body));
  EXPECT_EQ(ok.body, "OK");
  EXPECT_GE(taken_capacity.load(), k_huge_size);  // the first body's memory came back
}

// The reused answer memory belongs to the server, not to a connection: the
// next client gets it, and idle keep-alive clients hold none (with one buffer
// each, 500 idle clients that once fetched a big answer held gigabytes).
TEST_F(HttpServerTest, AnswerBufferIsSharedByConnections) {
  start();
  std::vector<Fd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connect_unix(sock));
    ResponseReader reader(clients.back().get());
    ASSERT_TRUE(send_all(clients.back().get(), "GET /huge HTTP/1.1\r\n\r\n"));
    ParsedResponse r = reader.next();
    ASSERT_TRUE(r.ok) << i;
    EXPECT_TRUE(is_huge_body(r.body)) << i;
    if (i == 0) {
      EXPECT_LT(taken_capacity.load(), k_huge_size);  // a fresh server has nothing to lend
    } else {
      EXPECT_GE(taken_capacity.load(), k_huge_size) << i;  // a new connection reuses the last answer's memory
    }
  }
}

TEST_F(HttpServerTest, HeadAnswersLengthWithoutBody) {
  start();
  Fd fd = connect_unix(sock);
  ASSERT_TRUE(send_all(fd.get(), "HEAD /huge HTTP/1.1\r\n\r\n"));
  std::string head;
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    head.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(head.size(), head.find("\r\n\r\n") + 4);  // nothing after the head
  EXPECT_NE(head.find("Content-Length: 3000000\r\n"), std::string::npos) << head;
  ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.1\r\n\r\n"));
  ResponseReader reader(fd.get());
  ParsedResponse ok = reader.next();
  ASSERT_TRUE(ok.ok);
  EXPECT_EQ(ok.body, "OK");  // the next answer starts right after the head
}

TEST_F(HttpServerTest, PipelinedBehindADeferredReply) {
  start();
  Fd fd = connect_unix(sock);
  ASSERT_TRUE(send_all(fd.get(), post_request("/RPC2", rpc::encode_call("t.later", {})) +
                                     "GET /ok.html HTTP/1.1\r\n\r\n"));
  // Wait until the deferred handler ran, then answer it from the loop.
  ASSERT_TRUE(wait_until([this] { return lt.run([this] { return deferred.size(); }) != 0; }));
  lt.run([this] {
    ASSERT_EQ(deferred.size(), 1u);
    deferred[0].ok(rpc::Value("late"));
  });
  ResponseReader reader(fd.get());
  ParsedResponse a = reader.next();
  ParsedResponse b = reader.next();
  EXPECT_NE(a.body.find("<string>late</string>"), std::string::npos) << a.body;
  EXPECT_EQ(b.body, "OK");
}

TEST_F(HttpServerTest, DeferredReplyAbandonedWhenClientLeaves) {
  start();
  {
    Fd fd = connect_unix(sock);
    ASSERT_TRUE(send_all(fd.get(), post_request("/RPC2", rpc::encode_call("t.later", {}))));
    ASSERT_TRUE(wait_until([this] { return lt.run([this] { return deferred.size(); }) != 0; }));
  }
  EXPECT_TRUE(wait_until([this] { return !lt.run([this] { return deferred.at(0).wanted(); }); }));
  lt.run([this] { deferred[0].ok(rpc::Value(1)); });  // harmless
  EXPECT_EQ(connections(), 0u);
}

TEST_F(HttpServerTest, HugeContentLengthRefusedWithoutReadingBody) {
  start();
  ParsedResponse r = roundtrip("POST /RPC2 HTTP/1.1\r\nContent-Length: 100000000\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.header("Connection"), "close");
}

TEST_F(HttpServerTest, OversizedHeadersGet431) {
  start();
  ParsedResponse r = roundtrip("GET /ok.html HTTP/1.1\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.status, 431);
  std::string many = "GET /ok.html HTTP/1.1\r\n";
  for (int i = 0; i < 5000; ++i) {
    many += "X-" + std::to_string(i) + ": y\r\n";
  }
  EXPECT_EQ(roundtrip(many + "\r\n").status, 431);
}

TEST_F(HttpServerTest, ExpectContinue) {
  start();
  Fd fd = connect_unix(sock);
  std::string req = post_request("/RPC2", k_list_methods, "Expect: 100-continue\r\n");
  size_t body_at = req.size() - k_list_methods.size();
  ASSERT_TRUE(send_all(fd.get(), req.substr(0, body_at)));
  ResponseReader reader(fd.get());
  ParsedResponse interim = reader.next();
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(send_all(fd.get(), req.substr(body_at)));
  EXPECT_EQ(reader.next().status, 200);
}

TEST_F(HttpServerTest, Http10ClosesAfterAnswer) {
  start();
  Fd fd = connect_unix(sock);
  ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.0\r\n\r\n"));
  ResponseReader reader(fd.get());
  ParsedResponse r = reader.next();
  EXPECT_EQ(r.status_line, "HTTP/1.0 200 OK");
  EXPECT_TRUE(reader.at_eof());
}

TEST_F(HttpServerTest, HalfClosedClientStillGetsItsAnswer) {
  start();
  Fd fd = connect_unix(sock);
  ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.1\r\n\r\n"));
  shutdown(fd.get(), SHUT_WR);
  ResponseReader reader(fd.get());
  EXPECT_EQ(reader.next().body, "OK");
  EXPECT_TRUE(reader.at_eof());
}

class AuthTest : public HttpServerTest {};

TEST_F(AuthTest, WrongAndRightPasswords) {
  start({}, Credentials{"user", "s3cret"});
  ParsedResponse none = roundtrip("GET /ok.html HTTP/1.1\r\n\r\n");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate"), "Basic realm=\"default\"");
  EXPECT_EQ(none.header("Connection"), "close");
  std::string wrong = "Authorization: Basic " + base64_encode("user:nope") + "\r\n";
  EXPECT_EQ(roundtrip(post_request("/RPC2", k_list_methods, wrong)).status, 401);
  std::string right = "Authorization: Basic " + base64_encode("user:s3cret") + "\r\n";
  EXPECT_EQ(roundtrip(post_request("/RPC2", k_list_methods, right)).status, 200);
}

// Credentials are checked when the headers are complete: a client without
// them is answered before it sends its body, which tend never holds.
TEST_F(AuthTest, UnauthenticatedBodyIsNeverRead) {
  start({}, Credentials{"user", "s3cret"});
  Fd fd = connect_unix(sock);
  ASSERT_TRUE(send_all(fd.get(), "POST /RPC2 HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n"));
  ResponseReader reader(fd.get());
  ParsedResponse r = reader.next();  // no body byte sent yet
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"default\"");
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_EQ(lt.run([this] { return server->request_bytes(); }), 0u);
  ParsedResponse head = roundtrip("HEAD /ok.html HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.status, 401);
  EXPECT_EQ(head.body, "");
}

TEST_F(AuthTest, EmptyHeaderBeforeCredentials) {
  start({}, Credentials{"user", "pw"});
  std::string req = "GET /ok.html HTTP/1.1\r\nX-Empty:\r\nAuthorization: Basic " + base64_encode("user:pw") +
                    "\r\nX-After: 1\r\n\r\n";
  EXPECT_EQ(roundtrip(req).status, 200);
}

TEST_F(AuthTest, ShaPassword) {
  start({}, Credentials{"user", "{SHA}" + sha1_hex("s3cret")});
  std::string right = "Authorization: Basic " + base64_encode("user:s3cret") + "\r\n";
  EXPECT_EQ(roundtrip("GET /ok.html HTTP/1.1\r\n" + right + "\r\n").status, 200);
  std::string hash_itself = "Authorization: Basic " + base64_encode("user:{SHA}" + sha1_hex("s3cret")) + "\r\n";
  EXPECT_EQ(roundtrip("GET /ok.html HTTP/1.1\r\n" + hash_itself + "\r\n").status, 401);
}

TEST_F(HttpServerTest, IdleConnectionTimesOut) {
  HttpLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(100);
  start(limits);
  Fd idle = connect_unix(sock);
  ResponseReader reader(idle.get());
  EXPECT_TRUE(reader.at_eof());  // EOF well before the 5 s receive timeout
  EXPECT_EQ(connections(), 0u);
}

TEST_F(HttpServerTest, IdleConnectionCausesNoWakeups) {
  start();
  Fd fd = connect_unix(sock);
  ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.1\r\n\r\n"));
  ResponseReader reader(fd.get());
  ASSERT_EQ(reader.next().body, "OK");
  uint64_t before = lt.run([this] { return lt.loop().wakeups(); });
  usleep(300 * 1000);  // the behaviour under test: nothing may wake the loop in this window
  uint64_t after = lt.run([this] { return lt.loop().wakeups(); });
  EXPECT_LE(after - before, 2u);  // only our own two posts
}

TEST_F(HttpServerTest, IdleTimerRestartsAfterActivity) {
  HttpLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(300);
  start(limits);
  Fd fd = connect_unix(sock);
  ResponseReader reader(fd.get());
  for (int i = 0; i < 3; ++i) {
    usleep(150 * 1000);  // the behaviour under test: activity every half idle timeout keeps it open
    ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.1\r\n\r\n"));
    ASSERT_EQ(reader.next().body, "OK") << i;  // still open after 450 ms in total
  }
  EXPECT_TRUE(reader.at_eof());
}

// A slowloris: each byte is progress, so the idle timeout alone would keep
// this connection open for as long as the client trickles; the request
// deadline closes it.
TEST_F(HttpServerTest, TricklingRequestIsClosedAtTheRequestDeadline) {
  HttpLimits limits;
  limits.idle_timeout = std::chrono::seconds(10);
  limits.request_timeout = std::chrono::milliseconds(300);
  start(limits);
  Fd fd = connect_unix(sock);
  auto begun = std::chrono::steady_clock::now();
  ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.1\r\n"));
  bool closed = false;
  int trickled = 0;
  while (!closed && std::chrono::steady_clock::now() - begun < std::chrono::seconds(5)) {
    struct pollfd p {fd.get(), POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {  // 50 ms: the trickle's pace, the behaviour under test
      char c;
      closed = recv(fd.get(), &c, 1, 0) <= 0;
    } else if (!send_all(fd.get(), "X")) {
      closed = true;
    } else {
      ++trickled;
    }
  }
  auto lived = std::chrono::steady_clock::now() - begun;
  EXPECT_TRUE(closed) << "still open after trickling " << trickled << " bytes";
  EXPECT_GE(lived, std::chrono::milliseconds(250));  // not before the deadline
  EXPECT_GE(trickled, 3);
  EXPECT_TRUE(wait_until([this] { return connections() == 0; }));
  EXPECT_EQ(roundtrip("GET /ok.html HTTP/1.1\r\n\r\n").body, "OK");
}

TEST_F(HttpServerTest, RequestDeadlineCountsFromEachRequest) {
  HttpLimits limits;
  limits.request_timeout = std::chrono::milliseconds(300);
  start(limits);
  Fd fd = connect_unix(sock);
  ResponseReader reader(fd.get());
  for (int i = 0; i < 4; ++i) {
    // The behaviour under test: each request arrives in two halves 100 ms
    // apart, 400 ms of keep-alive in all, longer than the deadline.
    ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.1\r\n"));
    usleep(100 * 1000);
    ASSERT_TRUE(send_all(fd.get(), "\r\n"));
    ASSERT_EQ(reader.next().body, "OK") << i;
  }
}

// Many clients each sending a large body, never finishing, would each make
// tend hold max_body_bytes; together they are held to
// max_request_bytes_total and a request beyond it gets 503.
TEST_F(HttpServerTest, RequestsBeingReceivedShareOneMemoryBound) {
  HttpLimits limits;
  limits.max_body_bytes = 128 * 1024;
  limits.max_request_bytes_total = 256 * 1024;
  start(limits);
  std::string head = "POST /RPC2 HTTP/1.1\r\nContent-Length: 100000\r\n\r\n";
  std::vector<Fd> holders;
  for (int i = 0; i < 2; ++i) {
    holders.push_back(connect_unix(sock));
    ASSERT_TRUE(send_all(holders.back().get(), head + std::string(50000, 'x')));
  }
  ASSERT_TRUE(wait_until([this] { return lt.run([this] { return server->request_bytes(); }) >= 200000; }));
  EXPECT_EQ(roundtrip(head + std::string(100000, 'x')).status, 503);  // a third does not fit
  EXPECT_EQ(roundtrip(post_request("/RPC2", k_list_methods)).status, 200);  // a small one does
  holders.clear();  // their memory is given back when they go
  EXPECT_TRUE(wait_until([this] { return connections() == 0; }));
  EXPECT_EQ(lt.run([this] { return server->request_bytes(); }), 0u);
  std::string call = rpc::encode_call("system.methodHelp", {rpc::Value(std::string(90000, 'm'))});
  EXPECT_EQ(roundtrip(post_request("/RPC2", call)).status, 200);
  // Answered requests, chunked ones and refused ones give back what they took.
  EXPECT_EQ(roundtrip("PUT /ok.html HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").status,
            200);
  EXPECT_EQ(roundtrip("POST /RPC2 HTTP/1.1\r\nContent-Length: 999999\r\n\r\n").status, 413);
  EXPECT_EQ(lt.run([this] { return server->request_bytes(); }), 0u);
}

TEST_F(HttpServerTest, HalfSentRequestDoesNotBlockOthers) {
  start();
  Fd slow = connect_unix(sock);
  ASSERT_TRUE(send_all(slow.get(), "POST /RPC2 HTTP/1.1\r\nContent-Length: 500\r\n\r\n<?xml"));
  ParsedResponse r = roundtrip("GET /ok.html HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.body, "OK");
  Fd slow_headers = connect_unix(sock);
  ASSERT_TRUE(send_all(slow_headers.get(), "GET /ok.html HTTP/1.1\r\nX-"));
  EXPECT_EQ(roundtrip("GET /ok.html HTTP/1.1\r\n\r\n").body, "OK");
}

TEST_F(HttpServerTest, ChunkedStream) {
  start();
  ParsedResponse r = roundtrip("GET /stream HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.header("X-Accel-Buffering"), "no");
  EXPECT_EQ(r.header("Content-Length"), "");
  EXPECT_EQ(r.body, "first\nsecond\n");
}

TEST_F(HttpServerTest, StreamOnHttp10IsCloseDelimited) {
  start();
  ParsedResponse r = roundtrip("GET /stream HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.header("Transfer-Encoding"), "");
  EXPECT_EQ(r.body, "first\nsecond\n");
}

TEST_F(HttpServerTest, SlowReaderIsDroppedAtTheBound) {
  HttpLimits limits;
  limits.max_stream_buffer = 256 * 1024;
  start(limits);
  stream_forever = true;
  Fd fd = connect_unix(sock);
  int small = 4096;
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_TRUE(send_all(fd.get(), "GET /stream HTTP/1.1\r\n\r\n"));
  // Never read. The producer must be refused, with bounded buffering.
  EXPECT_TRUE(wait_until([this] { return stream_refused.load(); }));
  EXPECT_LE(max_buffered.load(), limits.max_stream_buffer + 64 * 1024);
  EXPECT_LT(stream_bytes.load(), 16u * 1024 * 1024);
  EXPECT_EQ(roundtrip("GET /ok.html HTTP/1.1\r\n\r\n").body, "OK");  // others unaffected
}

TEST_F(HttpServerTest, ConnectionLimitClosesExtras) {
  HttpLimits limits;
  limits.max_connections = 4;
  start(limits);
  std::vector<Fd> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(connect_unix(sock));
    ASSERT_TRUE(send_all(held.back().get(), "GET /ok.html HTTP/1.1\r\n\r\n"));
    ResponseReader r(held.back().get());
    ASSERT_EQ(r.next().body, "OK");
  }
  Fd extra = connect_unix(sock);
  ResponseReader extra_reader(extra.get());
  EXPECT_TRUE(extra_reader.at_eof());
  held.clear();
  EXPECT_TRUE(wait_until([this] { return connections() == 0; }));
  EXPECT_EQ(roundtrip("GET /ok.html HTTP/1.1\r\n\r\n").body, "OK");
}

TEST_F(HttpServerTest, SurvivesTenThousandIdleConnectionAttempts) {
  start();
  std::vector<Fd> clients;
  int refused = 0;
  for (int i = 0; i < 10000; ++i) {
    Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
      break;  // this process ran out of fds; enough pressure either way
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, sock.c_str(), sizeof(addr.sun_path) - 1);
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ++refused;  // backlog full: EAGAIN
      continue;
    }
    clients.push_back(std::move(fd));
  }
  EXPECT_LE(connections(), server->limits().max_connections);
  RecordProperty("connected", static_cast<int>(clients.size()));
  RecordProperty("refused", refused);
  clients.clear();
  EXPECT_TRUE(wait_until([this] { return connections() == 0; }));
  EXPECT_EQ(roundtrip(post_request("/RPC2", k_list_methods)).status, 200);
}

int highest_open_fd() {
  int highest = 0;
  for (int fd = 0; fd < 65536; ++fd) {
    if (fcntl(fd, F_GETFD) != -1) {
      highest = fd;
    }
  }
  return highest;
}

TEST_F(HttpServerTest, OutOfFdsDoesNotSpin) {
#ifdef __SANITIZE_ADDRESS__
  // The sanitizer runtime needs fds of its own (it probes memory through a
  // pipe) and reports false errors when the process is out of them.
  GTEST_SKIP() << "not meaningful under the sanitizers";
#endif
  start();
  std::vector<Fd> clients;
  for (int i = 0; i < 60; ++i) {
    clients.emplace_back(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  }
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  // A margin over the 8 slots freed below: another thread (the loop's, or
  // the sanitizer's) may take an fd between the scan and the fill.
  low.rlim_cur = static_cast<rlim_t>(highest_open_fd() + 32);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  // Fill every free slot below the limit, then free exactly 8.
  std::vector<Fd> filler;
  for (;;) {
    Fd f(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!f) {
      break;
    }
    filler.push_back(std::move(f));
  }
  ASSERT_GE(filler.size(), 8u);
  filler.resize(filler.size() - 8);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, sock.c_str(), sizeof(addr.sun_path) - 1);
  for (Fd& c : clients) {
    (void)connect(c.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  // Wait until the server has dealt with every client: kept it, or (out of
  // fds) accepted and closed it at once, which the client sees as a hang-up.
  auto all_dealt_with = [&] {
    size_t hung_up = 0;
    for (Fd& c : clients) {
      pollfd p{c.get(), POLLIN | POLLRDHUP, 0};
      hung_up += poll(&p, 1, 0) == 1 ? 1 : 0;
    }
    return hung_up + connections() >= clients.size();
  };
  bool dealt_with = wait_until(all_dealt_with);
  uint64_t before = lt.run([this] { return lt.loop().wakeups(); });
  usleep(200 * 1000);  // the behaviour under test: out of fds, the loop stays quiet in this window
  uint64_t after = lt.run([this] { return lt.loop().wakeups(); });
  size_t during = connections();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_TRUE(dealt_with);
  EXPECT_LT(during, 20u);  // the limit really was hit
  EXPECT_LT(after - before, 50u);  // no busy loop on a readable listener
  clients.clear();
  EXPECT_TRUE(wait_until([this] { return connections() == 0; }));
  EXPECT_EQ(roundtrip("GET /ok.html HTTP/1.1\r\n\r\n").body, "OK");
}

TEST_F(HttpServerTest, TcpListenerAndUnlinkOnClose) {
  start();
  int port = lt.run([this] {
    Status st = server->listen_tcp("127.0.0.1", 0);
    EXPECT_TRUE(st.ok());
    return server->last_tcp_port();
  });
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  testing::set_timeout(fd.get(), 5);
  ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.1\r\n\r\n"));
  ResponseReader reader(fd.get());
  EXPECT_EQ(reader.next().body, "OK");
  lt.run([this] { server->close_listeners(); });
  EXPECT_NE(access(sock.c_str(), F_OK), 0);
  EXPECT_EQ(connections(), 1u);  // established connections outlive the listeners
}

// supervisorctl's own transport (supervisor.xmlrpc.SupervisorTransport) over
// the unix socket with Basic auth, when the system has it.
TEST_F(AuthTest, SupervisorTransportTalksToUs) {
  if (std::system("/usr/bin/python3 -c 'import supervisor.xmlrpc' 2>/dev/null") != 0) {
    TEND_SKIP_MISSING("the supervisor module for /usr/bin/python3");
  }
  start({}, Credentials{"user", "pw"});
  std::string script = dir.file("client.py");
  FILE* f = fopen(script.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs(
      "import sys, xmlrpc.client\n"
      "from supervisor.xmlrpc import SupervisorTransport\n"
      "t = SupervisorTransport('user', 'pw', 'unix://' + sys.argv[1])\n"
      "p = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=t)\n"
      "assert 'system.multicall' in p.system.listMethods()\n"
      "r = p.system.multicall([{'methodName': 'system.methodHelp', 'params': ['system.listMethods']},\n"
      "                        {'methodName': 'nope.x', 'params': []}])\n"
      "assert isinstance(r[0], str) and r[1]['faultCode'] == 1, r\n"
      "try:\n"
      "    p.system.methodHelp('x.y')\n"
      "    sys.exit(3)\n"
      "except xmlrpc.client.Fault as e:\n"
      "    assert e.faultCode == 4, e\n"
      "bad = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=SupervisorTransport('user', 'no', 'unix://' + sys.argv[1]))\n"
      "try:\n"
      "    bad.system.listMethods()\n"
      "    sys.exit(4)\n"
      "except xmlrpc.client.ProtocolError as e:\n"
      "    assert e.errcode == 401, e\n",
      f);
  fclose(f);
  EXPECT_EQ(std::system(("/usr/bin/python3 " + script + " " + sock).c_str()), 0);
}

TEST_F(HttpServerTest, ListenFromConfig) {
  start();
  HttpServerConfig cfg;
  cfg.kind = HttpServerConfig::Kind::Unix;
  cfg.file = dir.file("cfg.sock");
  cfg.chmod = 0770;
  cfg.username = "u";
  cfg.password = "p";
  Status st = lt.run([&] { return server->listen(cfg); });
  ASSERT_TRUE(st.ok()) << st.error();
  struct stat sb {};
  ASSERT_EQ(stat(cfg.file.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0770u);
  Fd fd = connect_unix(cfg.file);
  ASSERT_TRUE(send_all(fd.get(), "GET /ok.html HTTP/1.1\r\n\r\n"));
  ResponseReader reader(fd.get());
  EXPECT_EQ(reader.next().status, 401);  // this listener's credentials, not the first one's
}

}  // namespace
}  // namespace tend::http
