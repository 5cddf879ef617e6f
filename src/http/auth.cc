#include "http/auth.h"

#include <strings.h>

#include <cctype>

#include "util/base64.h"
#include "util/sha1.h"

namespace tend::http {

bool constant_time_equal(std::string_view a, std::string_view b) {
  return detail::constant_time_equal_bytes(
      a.size(), b.size(), [a](size_t i) { return static_cast<unsigned char>(a[i]); },
      [b](size_t i) { return static_cast<unsigned char>(b[i]); });
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool password_matches(const std::string& configured, const std::string& given) {
  constexpr std::string_view k_sha_prefix = "{SHA}";
  if (configured.compare(0, k_sha_prefix.size(), k_sha_prefix) == 0) {
    return constant_time_equal(sha1_hex(given), lower(std::string_view(configured).substr(k_sha_prefix.size())));
  }
  return constant_time_equal(given, configured);
}

}  // namespace

bool check_basic_auth(const Credentials& creds, const std::string* authorization) {
  if (!creds.required()) {
    return true;
  }
  if (authorization == nullptr) {
    return false;
  }
  std::string_view h = *authorization;
  size_t sp = h.find(' ');
  if (sp == std::string_view::npos || strncasecmp(h.data(), "basic", sp) != 0 || sp != 5) {
    return false;
  }
  h.remove_prefix(sp);
  while (!h.empty() && h.front() == ' ') {
    h.remove_prefix(1);
  }
  Result<std::string> decoded = base64_decode(h);
  if (!decoded.ok()) {
    return false;
  }
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) {
    return false;
  }
  std::string user = decoded->substr(0, colon);
  std::string pass = decoded->substr(colon + 1);
  // Evaluate both so a wrong user costs the same as a wrong password.
  bool user_ok = constant_time_equal(user, creds.username);
  bool pass_ok = password_matches(creds.password, pass);
  return user_ok && pass_ok;
}

}  // namespace tend::http
