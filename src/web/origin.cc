#include "web/origin.h"

#include <algorithm>
#include <cctype>

namespace tend::web {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "host" or "host:port" or "[v6]:port" -> with the port made explicit.
std::string with_port(std::string_view authority, std::string_view default_port) {
  if (authority.empty()) {
    return "";
  }
  size_t colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  bool has_port = colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (has_port) {
    if (colon + 1 == authority.size()) {
      return lower(authority) + std::string(default_port);
    }
    return lower(authority);
  }
  return lower(authority) + ":" + std::string(default_port);
}

}  // namespace

std::string url_authority(std::string_view url) {
  std::string_view rest;
  std::string_view port;
  std::string scheme_part = lower(url.substr(0, 8));
  if (scheme_part.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    port = "80";
  } else if (scheme_part.rfind("https://", 0) == 0) {
    rest = url.substr(8);
    port = "443";
  } else {
    return "";
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);  // user:password@ is not part of the site
  }
  return with_port(authority, port);
}

std::string host_authority(std::string_view host, std::string_view default_port) {
  while (!host.empty() && (host.front() == ' ' || host.front() == '\t')) {
    host.remove_prefix(1);
  }
  while (!host.empty() && (host.back() == ' ' || host.back() == '\t')) {
    host.remove_suffix(1);
  }
  return with_port(host, default_port);
}

bool same_site(const http::Request& request) {
  // Browsers send Sec-Fetch-Site with every request and no page can set it.
  // It closes what Origin and Referer leave open: a cross-site link or GET
  // form from a page with `referrerpolicy="no-referrer"` carries neither.
  // "none" is the user's own navigation (a bookmark, a typed URL).
  if (const std::string* site = request.header("sec-fetch-site")) {
    std::string v = lower(*site);
    if (v != "same-origin" && v != "none") {
      return false;
    }
  }
  const std::string* origin = request.header("origin");
  const std::string* source = origin != nullptr ? origin : request.header("referer");
  if (source == nullptr) {
    return true;
  }
  std::string from = url_authority(*source);
  if (from.empty()) {
    return false;
  }
  const std::string* host = request.header("host");
  if (host == nullptr) {
    return false;
  }
  // Default port from the origin's scheme: "https://x" and Host "x" (behind
  // a TLS proxy) are the same site.
  std::string_view scheme_port = lower(std::string_view(*source).substr(0, 8)).rfind("https://", 0) == 0 ? "443" : "80";
  return host_authority(*host, scheme_port) == from;
}

}  // namespace tend::web
