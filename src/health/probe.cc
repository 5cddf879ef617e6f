#include "health/probe.h"

#include <arpa/inet.h>
#include <string.h>

#include <cctype>
#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "config/datatypes.h"

namespace tend::health {

std::string describe_probe(const ProbeSpec& spec) {
  return spec.kind == ProbeSpec::Kind::None ? "none" : format_probe(spec);
}

std::optional<int> parse_http_status_line(std::string_view line) {
  // HTTP/1.x SP 3DIGIT [SP reason]
  constexpr std::string_view k_prefix = "HTTP/1.";
  if (line.size() < 12 || line.substr(0, k_prefix.size()) != k_prefix ||
      !std::isdigit(static_cast<unsigned char>(line[7])) || line[8] != ' ') {
    return std::nullopt;
  }
  int code = 0;
  auto [ptr, ec] = std::from_chars(line.data() + 9, line.data() + 12, code);
  if (ec != std::errc() || ptr != line.data() + 12 || code < 100 || code > 999) {
    return std::nullopt;
  }
  if (line.size() > 12 && line[12] != ' ') {
    return std::nullopt;
  }
  return code;
}

ProbeResult http_verdict(std::optional<int> status) {
  if (!status) {
    return ProbeResult::fail("not an HTTP response");
  }
  if (*status >= 200 && *status < 400) {
    return ProbeResult::pass();
  }
  return ProbeResult::fail(fmt::format("HTTP status {}", *status));
}

std::string http_request(const std::string& host, int port, const std::string& target) {
  bool v6 = host.find(':') != std::string::npos;
  return fmt::format("GET {} HTTP/1.1\r\nHost: {}{}{}:{}\r\nUser-Agent: tend-probe\r\nAccept: */*\r\n"
                     "Connection: close\r\n\r\n",
                     target.empty() ? "/" : target, v6 ? "[" : "", host, v6 ? "]" : "", port);
}

namespace {

bool literal_address(std::string_view host, int port, SocketAddress* out) {
  std::string h(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out->addr);
  if (inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out->len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out->addr);
  if (inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out->len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The first address /etc/hosts gives `name` (lines: address name [aliases...] [# comment]).
std::optional<std::string> hosts_lookup(std::string_view name, std::string_view hosts) {
  while (!hosts.empty()) {
    size_t end = hosts.find('\n');
    std::string_view line = hosts.substr(0, end);
    hosts = end == std::string_view::npos ? std::string_view() : hosts.substr(end + 1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) {
        ++i;
      }
      size_t start = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) {
        ++i;
      }
      if (i > start) {
        words.push_back(line.substr(start, i - start));
      }
    }
    for (size_t w = 1; w < words.size(); ++w) {
      if (same_name(words[w], name)) {
        return std::string(words[0]);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Result<SocketAddress> resolve_probe_address(std::string_view host, int port,
                                            const std::function<std::string()>& read_hosts) {
  SocketAddress out;
  if (port <= 0 || port > 65535) {
    return make_error(fmt::format("unable to connect to port {}: not a port number", port));
  }
  if (literal_address(host, port, &out)) {
    return out;
  }
  std::optional<std::string> found = hosts_lookup(host, read_hosts());
  if (!found && same_name(host, "localhost")) {
    found = "127.0.0.1";
  }
  if (found && literal_address(*found, port, &out)) {
    return out;
  }
  return make_error(fmt::format("unable to resolve {}: not an address, localhost or a name in /etc/hosts "
                                "(tend does not query DNS)",
                                host));
}

std::string errno_text(int err) {
  std::string s = strerror(err);
  if (!s.empty() && s.size() > 1 && std::isupper(static_cast<unsigned char>(s[0])) &&
      std::islower(static_cast<unsigned char>(s[1]))) {
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  }
  return s;
}

}  // namespace tend::health
