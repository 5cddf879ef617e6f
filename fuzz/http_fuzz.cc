// Feeds: arbitrary bytes as what one client sends to tend's HTTP server
// (http/server.h): request lines, headers, Content-Length and chunked bodies,
// pipelined requests, Expect: 100-continue, Basic credentials. The real
// HttpServer runs on a real EventLoop with unix-socket listeners; the fuzzer
// is the client on a socket it connects, writes the input to, then shuts down
// for writing, and reads the answers while it turns the loop.
// Input: byte 0 picks the listener: 0 no authentication, 1 user "user" with
// plain password "123", 2 the same password as "{SHA}<hex sha1>"; the rest is
// sent. Routes, as the daemon's shape them: "/RPC2" decodes the body as an
// XML-RPC call and answers it, "/logtail/" streams (chunked on HTTP/1.1),
// "/later" keeps the Response and answers only after the connection is gone
// (which must be a harmless no-op), "/" answers with a summary of the request.
// Asserts, beyond no crash, leak or UB:
//  - the connection ends: once the client has shut down its side, the server
//    answers what it read and closes within a bounded number of loop turns
//    that wait for nothing (no timer needed), and keeps no connection;
//  - whatever the server sent begins with an HTTP/1.x status line.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fuzz_check.h"
#include "http/server.h"
#include "rpc/codec.h"
#include "sys/event_loop.h"

namespace {

constexpr int k_listeners = 3;
constexpr int k_max_turns = 2000;

std::unique_ptr<tend::EventLoop> g_loop;
std::unique_ptr<tend::http::HttpServer> g_server;
std::string g_paths[k_listeners];
std::optional<tend::http::Response> g_later;
std::string g_dir;

// Leaves /tmp as it was found (make test runs this fuzzer every time): the
// server removes its socket files as it goes, then the directory can go.
void remove_temp_dir() {
  g_server.reset();
  g_loop.reset();
  rmdir(g_dir.c_str());
}

void add_routes(tend::http::HttpServer& server) {
  server.route("/RPC2", [](const tend::http::Request& req, const tend::http::Response& res) {
    tend::Result<tend::rpc::Call> call = tend::rpc::parse_call(req.body);
    if (!call.ok()) {
      res.send_error(400);
      return;
    }
    res.send(200, "text/xml", tend::rpc::encode_response(tend::rpc::Value(call->params)));
  });
  server.route("/logtail/", [](const tend::http::Request& req, const tend::http::Response& res) {
    if (!res.begin_stream(200, "text/plain")) {
      return;
    }
    res.write(req.path);
    res.write(std::string(req.body.size() % 5000, 'x'));
    res.end_stream();
  });
  server.route("/later", [](const tend::http::Request&, const tend::http::Response& res) { g_later = res; });
  server.route("/", [](const tend::http::Request& req, const tend::http::Response& res) {
    res.send(200, "text/plain",
             fmt::format("{} {} {} {} {}\n", req.method, req.path, req.query, req.headers.size(), req.body.size()));
  });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // $TMPDIR when set: run.py points it into its scratch directory, since an
  // interrupted run (SIGINT) ends with _Exit and never reaches the atexit.
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = fmt::format("{}/tend-fuzz-http.XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
  FUZZ_CHECK(mkdtemp(dir.data()) != nullptr);
  g_dir = dir;
  std::atexit(remove_temp_dir);
  tend::Result<std::unique_ptr<tend::EventLoop>> loop = tend::EventLoop::create();
  FUZZ_CHECK(loop.ok());
  g_loop = std::move(*loop);
  tend::http::HttpLimits limits;
  limits.max_body_bytes = 64 * 1024;  // small enough that the fuzzer reaches 413
  g_server = std::make_unique<tend::http::HttpServer>(*g_loop, limits);
  add_routes(*g_server);
  const tend::http::Credentials creds[k_listeners] = {
      {},
      {"user", "123"},
      {"user", "{SHA}40bd001563085fc35165329ea1ff5c5ecbdbbeef"},  // sha1("123")
  };
  for (int i = 0; i < k_listeners; ++i) {
    g_paths[i] = fmt::format("{}/s{}.sock", dir, i);
    tend::http::UnixListenOptions opts;
    opts.path = g_paths[i];
    tend::Status st = g_server->listen_unix(opts, creds[i]);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.error().c_str());
      std::abort();
    }
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string& path = g_paths[data[0] % k_listeners];
  std::string_view request(reinterpret_cast<const char*>(data) + 1, size - 1);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  FUZZ_CHECK(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  FUZZ_CHECK(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

  size_t sent = 0;
  bool shut = false;
  bool eof = false;
  std::string answer;
  int turns = 0;
  for (; turns < k_max_turns && !eof; ++turns) {
    if (sent < request.size()) {
      ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && errno != EAGAIN) {
        sent = request.size();  // the server closed early (an error answer): stop sending
      }
    }
    if (sent == request.size() && !shut) {
      shutdown(fd, SHUT_WR);
      shut = true;
    }
    g_loop->run_once(0);
    char buf[16384];
    for (;;) {
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        answer.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        eof = true;  // orderly close, or a reset after the server closed
      }
      break;
    }
  }
  close(fd);
  if (!eof) {
    std::fprintf(stderr, "connection still open after %d loop turns; answer so far: %zu bytes\n", turns,
                 answer.size());
  }
  FUZZ_CHECK(eof);
  g_loop->run_once(0);
  FUZZ_CHECK(g_server->connection_count() == 0);
  if (!answer.empty()) {
    FUZZ_CHECK(answer.rfind("HTTP/1.", 0) == 0);
  }
  if (g_later) {
    g_later->send(200, "text/plain", "too late");  // the connection is gone: must be a no-op
    FUZZ_CHECK(!g_later->alive());
    g_later.reset();
  }
  return 0;
}
