// HTTP request and response pieces shared by the connection, the server and
// route handlers. The HTTP subset we accept: HTTP/1.0 and 1.1 requests with
// strict CRLF framing (llhttp), keep-alive and pipelining, bodies framed by
// Content-Length (required for POST; 411 otherwise) or chunked for other
// methods, bounded header and body sizes (431 / 413).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/clock.h"

namespace tend::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path plus optional "?query"
  std::string path;    // target before '?', not percent-decoded
  std::string query;   // after '?', without it; "" when absent
  int version_major = 1;
  int version_minor = 1;
  Headers headers;  // names lower-cased, in arrival order
  std::string body;

  // First header with this (lower-case) name, or nullptr.
  const std::string* header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) {
        return &v;
      }
    }
    return nullptr;
  }
};

// Per-server limits. Every one bounds memory or time spent on one client.
struct HttpLimits {
  size_t max_header_bytes = 32 * 1024;        // request line + headers; more -> 431
  size_t max_body_bytes = 2 * 1024 * 1024;    // announced or received; more -> 413, before reading it
  // Request lines, headers and bodies being received, all connections
  // together: a request that would take more gets 503 (a body announced by
  // Content-Length counts in full from its headers on). Without it, each of
  // max_connections clients could make tend hold max_body_bytes.
  size_t max_request_bytes_total = 32 * 1024 * 1024;
  size_t max_stream_buffer = 1024 * 1024;     // unsent streamed bytes; more -> the client is dropped
  Duration idle_timeout = std::chrono::seconds(60);  // no progress while we wait on the client -> close
  // A request's line, headers and body must all arrive within this of its
  // first byte, or the connection is closed. The idle timeout alone lets a
  // client that sends a byte a minute hold a connection for hours (a
  // slowloris); this bounds what one such client costs.
  Duration request_timeout = std::chrono::seconds(30);
  // Open connections per server. Beyond it a new connection is accepted and
  // closed at once (the client sees EOF), so the kernel backlog never fills
  // with clients that would wait for nothing.
  size_t max_connections = 1024;
  // Descriptors a new connection must leave free under RLIMIT_NOFILE (for
  // spawning: pipes, log files). Where it would not, it is accepted and
  // closed at once, like one over max_connections, unless it is the only
  // connection (so one client can always get in). 0: no such check.
  size_t fd_reserve = 0;
};

// Bytes of requests being received, summed over one server's connections,
// bounded by HttpLimits::max_request_bytes_total.
class RequestMemory {
 public:
  explicit RequestMemory(size_t limit) : m_limit(limit) {}
  // Takes `n` bytes of the budget; false (and nothing taken) when they do not fit.
  bool charge(size_t n) {
    if (n > m_limit - m_used) {
      return false;
    }
    m_used += n;
    return true;
  }
  void release(size_t n) { m_used -= n; }
  size_t used() const { return m_used; }

 private:
  size_t m_limit;
  size_t m_used = 0;
};

// The memory of one answer body, kept by the server for the next answer
// (building a 1 MB getAllProcessInfo into reused memory saves its page
// faults). One per server, whichever connection answered: idle keep-alive
// connections hold nothing, so many clients cost one buffer, not one each.
class SpareBuffer {
 public:
  explicit SpareBuffer(size_t max_capacity) : m_max(max_capacity) {}
  // An empty string with the kept capacity (none when another answer has it).
  std::string take() {
    std::string buf = std::move(m_buf);
    m_buf = std::string();
    buf.clear();
    return buf;
  }
  // Keeps `buf`'s memory when it is larger than what is kept and not above the cap.
  void give(std::string buf) {
    if (buf.capacity() > m_buf.capacity() && buf.capacity() <= m_max) {
      m_buf = std::move(buf);
      m_buf.clear();
    }
  }
  size_t capacity() const { return m_buf.capacity(); }

 private:
  size_t m_max;
  std::string m_buf;  // empty
};

// "OK", "Not Found", ... ("Unknown" for codes we never send).
std::string_view status_reason(int status);

// A small HTML page for an error status, in our own words.
std::string error_body(int status);

}  // namespace tend::http
