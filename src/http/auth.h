// HTTP Basic authentication as supervisord applies it: when a server has a
// username, every request must carry matching credentials; the configured
// password is either plain text or "{SHA}" followed by the hex SHA-1 of it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tend::http {

struct Credentials {
  std::string username;  // empty: no authentication
  std::string password;  // plain, or "{SHA}<40 hex digits>"
  bool required() const { return !username.empty(); }
};

// Who may use one listener: its credentials, and for an [inet_http_server]
// reachable from other hosts without credentials, whether such hosts are
// turned away (allow_remote_without_auth = false, the default).
struct AccessPolicy {
  Credentials credentials;
  // Clients whose address is not loopback (http/peer.h) get 401 with
  // `remote_refusal` as a text/plain body, whatever they send. Routes marked
  // public (HttpServer::Access::Public) are still answered.
  bool refuse_remote = false;
  std::string remote_refusal;
};

// Compares without an early exit, so the time taken does not reveal how long
// a matching prefix is.
bool constant_time_equal(std::string_view a, std::string_view b);

namespace detail {

// The loop behind constant_time_equal, over bytes read through
// `byte_a(i)` / `byte_b(i)` so that a test can count the reads: it reads
// every index below the longer length exactly once from each side that has
// it, whatever the bytes are, and only then decides. A length mismatch still
// fails.
template <typename ByteA, typename ByteB>
bool constant_time_equal_bytes(size_t a_len, size_t b_len, ByteA byte_a, ByteB byte_b) {
  size_t n = a_len > b_len ? a_len : b_len;
  unsigned diff = a_len == b_len ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a_len ? byte_a(i) : 0;
    unsigned char y = i < b_len ? byte_b(i) : 0;
    diff |= static_cast<unsigned>(x ^ y);
    // An empty asm that claims to change `diff`: the optimiser can then
    // neither stop the loop once `diff` is non-zero nor drop it.
    asm volatile("" : "+r"(diff));
  }
  return diff == 0;
}

}  // namespace detail

// True when no credentials are required, or `authorization` (the header
// value, nullptr when absent) is "Basic <base64 user:password>" matching them.
bool check_basic_auth(const Credentials& creds, const std::string* authorization);

}  // namespace tend::http
