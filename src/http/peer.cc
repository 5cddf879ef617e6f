#include "http/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace tend::http {

namespace {

bool is_loopback_v4(uint32_t host_order) { return (host_order >> 24) == 127; }

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "ip6-localhost") {
    return true;
  }
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return is_loopback_v4(ntohl(v4.s_addr));
  }
  std::string bare = host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
  in6_addr v6{};
  return inet_pton(AF_INET6, bare.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

bool is_loopback_peer(const sockaddr* addr, socklen_t len) {
  if (addr == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) {
    return false;
  }
  switch (addr->sa_family) {
    case AF_UNIX:
      return true;
    case AF_INET: {
      if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) {
        return false;
      }
      const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
      return is_loopback_v4(ntohl(in->sin_addr.s_addr));
    }
    case AF_INET6: {
      if (len < static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        return false;
      }
      const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
      if (IN6_IS_ADDR_LOOPBACK(&a)) {
        return true;
      }
      if (IN6_IS_ADDR_V4MAPPED(&a)) {
        uint32_t v4 = (uint32_t{a.s6_addr[12]} << 24) | (uint32_t{a.s6_addr[13]} << 16) |
                      (uint32_t{a.s6_addr[14]} << 8) | uint32_t{a.s6_addr[15]};
        return is_loopback_v4(v4);
      }
      return false;
    }
    default:
      return false;
  }
}

}  // namespace tend::http
