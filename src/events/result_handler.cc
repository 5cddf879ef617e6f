#include "events/result_handler.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <map>

#include "config/unicode.h"

namespace tend::events {

Verdict default_handler(std::string_view body) { return body == "OK" ? Verdict::Accepted : Verdict::Rejected; }

namespace {

// str.split() without arguments: runs of Unicode whitespace separate fields.
std::vector<std::string_view> split_whitespace(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    size_t n = unicode::decode(s, i, &cp);
    n = n == 0 ? 1 : n;
    if (unicode::is_space(cp)) {
      if (start != std::string_view::npos) {
        out.push_back(s.substr(start, i - start));
        start = std::string_view::npos;
      }
    } else if (start == std::string_view::npos) {
      start = i;
    }
    i += n;
  }
  if (start != std::string_view::npos) {
    out.push_back(s.substr(start));
  }
  return out;
}

}  // namespace

std::optional<std::string> stdout_handler_text(std::string_view body) {
  if (unicode::invalid_offset(body) != std::string_view::npos) {
    return std::nullopt;  // the plugin's bytes.decode() fails
  }
  size_t eol = body.find('\n');
  if (eol == std::string_view::npos) {
    return std::nullopt;  // no header line and data to unpack
  }
  std::map<std::string_view, std::string_view> headers;
  for (std::string_view field : split_whitespace(body.substr(0, eol))) {
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || field.find(':', colon + 1) != std::string_view::npos) {
      return std::nullopt;  // a field that does not split into exactly a key and a value
    }
    headers[field.substr(0, colon)] = field.substr(colon + 1);
  }
  auto name = headers.find("processname");
  auto channel = headers.find("channel");
  if (name == headers.end() || channel == headers.end()) {
    return std::nullopt;
  }
  std::string prefix = std::string(name->second) + " " + std::string(channel->second) + " | ";
  std::string out;
  std::string_view data = body.substr(eol + 1);
  while (true) {
    size_t nl = data.find('\n');
    out += prefix;
    out.append(data.substr(0, nl));
    out.push_back('\n');
    if (nl == std::string_view::npos) {
      break;
    }
    data.remove_prefix(nl + 1);
  }
  return out;
}

ListenerProtocol::Handler make_result_handler(std::string_view name, TextSink out) {
  if (name == "supervisor_stdout:event_handler") {
    return [out = std::move(out)](std::string_view body) {
      std::optional<std::string> text = stdout_handler_text(body);
      if (!text) {
        return Verdict::Error;
      }
      out(*text);
      return Verdict::Accepted;
    };
  }
  return default_handler;
}

void write_stdout(std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(1, text.data(), text.size());
    if (n > 0) {
      text.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{1, POLLOUT, 0};
      (void)::poll(&p, 1, -1);
    } else {
      return;
    }
  }
}

}  // namespace tend::events
