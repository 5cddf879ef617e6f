// Who is at the other end of a control connection, as far as the remote
// access rule of [inet_http_server] cares: a client on this host (a loopback
// address or a unix socket) or one that may be anywhere.
#pragma once

#include <sys/socket.h>

#include <string>

namespace tend::http {

// True when `host` (as written in [inet_http_server] port=) is a loopback
// address or "localhost". Other names count as reachable from outside:
// resolving them would need NSS, which a static tend cannot load, and a name
// can change what it points to anyway.
bool is_loopback_host(const std::string& host);

// True for a peer address that can only be this host: AF_UNIX, IPv4
// 127.0.0.0/8, IPv6 ::1 and IPv4-mapped 127.x (::ffff:127.0.0.1). Anything
// else, an unknown family or a truncated address included, is remote.
bool is_loopback_peer(const sockaddr* addr, socklen_t len);

}  // namespace tend::http
