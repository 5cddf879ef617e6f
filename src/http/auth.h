// HTTP Basic authentication as supervisord applies it: when a server has a
// username, every request must carry matching credentials; the configured
// password is either plain text or "{SHA}" followed by the hex SHA-1 of it.
#pragma once

#include <string>
#include <string_view>

namespace tend::http {

struct Credentials {
  std::string username;  // empty: no authentication
  std::string password;  // plain, or "{SHA}<40 hex digits>"
  bool required() const { return !username.empty(); }
};

// Compares without an early exit, so the time taken does not reveal how long
// a matching prefix is.
bool constant_time_equal(std::string_view a, std::string_view b);

// True when no credentials are required, or `authorization` (the header
// value, nullptr when absent) is "Basic <base64 user:password>" matching them.
bool check_basic_auth(const Credentials& creds, const std::string* authorization);

}  // namespace tend::http
