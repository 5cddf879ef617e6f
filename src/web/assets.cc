#include "web/assets.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace tend::web {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Calls fn(item) for each comma-separated, trimmed item of `list`.
template <typename Fn>
bool any_item(std::string_view list, Fn fn) {
  while (true) {
    size_t comma = list.find(',');
    if (fn(trim(list.substr(0, comma)))) {
      return true;
    }
    if (comma == std::string_view::npos) {
      return false;
    }
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

const Asset* find_asset(std::string_view name) {
  for (const Asset& a : embedded_assets()) {
    if (a.name == name) {
      return &a;
    }
  }
  return nullptr;
}

bool accepts_gzip(const std::string* accept_encoding) {
  if (accept_encoding == nullptr) {
    return false;
  }
  return any_item(*accept_encoding, [](std::string_view item) {
    size_t semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    if (!iequals(coding, "gzip") && coding != "*") {
      return false;
    }
    if (semi == std::string_view::npos) {
      return true;
    }
    std::string_view param = trim(item.substr(semi + 1));
    if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') {
      return true;
    }
    std::string_view q = trim(param.substr(2));
    // q=0, q=0.0, q=0.000: refused; anything else accepts.
    return !(q.size() >= 1 && q[0] == '0' && q.find_first_not_of("0.", 0) == std::string_view::npos);
  });
}

bool etag_matches(const std::string* if_none_match, std::string_view etag) {
  if (if_none_match == nullptr) {
    return false;
  }
  return any_item(*if_none_match, [etag](std::string_view tag) {
    if (tag == "*") {
      return true;
    }
    if (tag.size() > 2 && (tag[0] == 'W' || tag[0] == 'w') && tag[1] == '/') {
      tag.remove_prefix(2);
    }
    return tag == etag;
  });
}

}  // namespace tend::web
