#include "http/message.h"

#include <fmt/format.h>

namespace tend::http {

std::string_view status_reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

std::string error_body(int status) {
  std::string_view reason = status_reason(status);
  return fmt::format(
      "<html><head><title>{0} {1}</title></head>\n<body><h1>{0} {1}</h1>\n<p>tend could not serve this request.</p>"
      "</body></html>\n",
      status, reason);
}

}  // namespace tend::http
