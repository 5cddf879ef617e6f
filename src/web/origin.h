// Cross-site request refusal. A browser names the page a request comes from
// in Origin (and, without it, in Referer); a request whose origin is another
// site than the one it is sent to is a forged action (a link or form on a
// hostile page aimed at the console) and is refused. Scripts and command-line
// clients send neither header and are not affected.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"

namespace tend::web {

// "host:port" of an absolute URL ("http://Example.com/x" -> "example.com:80"),
// lower-cased, with the scheme's default port made explicit; "" when `url`
// is not an http(s) URL with an authority (Origin "null" included).
std::string url_authority(std::string_view url);
// The Host header the same way (default port 80 when absent); "" for none.
std::string host_authority(std::string_view host, std::string_view default_port = "80");

// Whether the request may act: false when a browser's Sec-Fetch-Site says
// anything but "same-origin" or "none"; else true when it has neither Origin
// nor Referer,
// or when the one that decides (Origin first) names the same host and port
// as the Host header. An Origin of "null" (sandboxed frames, file: pages) or
// a Referer of another scheme is cross-site.
bool same_site(const http::Request& request);

}  // namespace tend::web
