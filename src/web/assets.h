// The console's static files: every file of web/ at build time, compiled in
// gzip -9n'ed (cmake/embed_web_assets.cmake). A client that does not accept
// gzip gets the bytes decompressed on request (web/gunzip.h).
#pragma once

#include <span>
#include <string_view>

namespace tend::web {

struct Asset {
  std::string_view name;          // file name in web/ ("console.js")
  std::string_view content_type;  // from the extension
  std::string_view etag;          // quoted: "\"<20 hex of the SHA-256>\""
  std::string_view gzip;          // gzip -9n of the file
};

// Sorted by name.
std::span<const Asset> embedded_assets();
// The asset called `name`, or nullptr.
const Asset* find_asset(std::string_view name);

// Whether an Accept-Encoding header value allows gzip (a "gzip" or "*"
// coding whose q is not 0).
bool accepts_gzip(const std::string* accept_encoding);

// Whether an If-None-Match header value matches `etag` ("*", or the tag in a
// comma-separated list, weak "W/" forms included).
bool etag_matches(const std::string* if_none_match, std::string_view etag);

}  // namespace tend::web
