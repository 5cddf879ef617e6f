#include "ctl/transport.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "util/base64.h"
#include "util/version.h"

namespace tend::ctl {

namespace {

TransportError connect_error(const ServerUrl& url, int err) {
  return TransportError{TransportError::Kind::Connect, err, 0, {},
                        fmt::format("unable to connect to {}: {}", url.text, std::strerror(err))};
}

TransportError io_error(const std::string& what, const std::string& url, int err) {
  return TransportError{TransportError::Kind::Io, err, 0, {},
                        fmt::format("unable to {} {}: {}", what, url, std::strerror(err))};
}

TransportError protocol_error(const std::string& message) {
  return TransportError{TransportError::Kind::Protocol, 0, 0, {}, message};
}

TransportError http_error(const ServerUrl& url, std::string_view path, int status,
                          const std::string& reason) {
  return TransportError{TransportError::Kind::Http, 0, status, reason,
                        fmt::format("{}{}: HTTP {} {}", url.text, path, status, reason)};
}

std::variant<Fd, TransportError> connect_unix(const ServerUrl& url) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (url.path.size() >= sizeof(addr.sun_path)) {
    return connect_error(url, ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, url.path.data(), url.path.size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    return connect_error(url, errno);
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return connect_error(url, errno);
  }
  return fd;
}

std::variant<Fd, TransportError> connect_tcp(const ServerUrl& url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(url.port);
  int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    int err = rc == EAI_SYSTEM ? errno : 0;
    return TransportError{TransportError::Kind::Connect, err, 0, {},
                          fmt::format("unable to resolve {}: {}", url.host, ::gai_strerror(rc))};
  }
  int last_err = ECONNREFUSED;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd) {
      last_err = errno;
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
      ::freeaddrinfo(res);
      return fd;
    }
    last_err = errno;
  }
  ::freeaddrinfo(res);
  return connect_error(url, last_err);
}

std::string host_header(const ServerUrl& url) {
  if (url.scheme == ServerUrl::Scheme::Unix) {
    return "localhost";
  }
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return url.port == 80 ? host : fmt::format("{}:{}", host, url.port);
}

std::string auth_header(const std::optional<Credentials>& creds) {
  if (!creds) {
    return {};
  }
  return fmt::format("Authorization: Basic {}\r\n",
                     base64_encode(creds->username + ":" + creds->password));
}

}  // namespace

Result<ServerUrl> parse_server_url(std::string_view text) {
  ServerUrl url;
  url.text = std::string(text);
  if (text.substr(0, 7) == "unix://") {
    url.scheme = ServerUrl::Scheme::Unix;
    url.path = std::string(text.substr(7));
    return url;
  }
  if (text.substr(0, 7) != "http://") {
    return make_error(fmt::format("unknown protocol for serverurl {}", text));
  }
  url.scheme = ServerUrl::Scheme::Http;
  std::string_view rest = text.substr(7);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return make_error(fmt::format("invalid serverurl {}", text));
    }
    url.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return make_error(fmt::format("invalid serverurl {}", text));
      }
      port = after.substr(1);
    }
  } else {
    size_t colon = rest.find(':');
    url.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
    }
  }
  if (!port.empty()) {
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), url.port);
    if (ec != std::errc() || p != port.data() + port.size() || url.port < 0 ||
        url.port > 65535) {
      return make_error(fmt::format("invalid port in serverurl {}", text));
    }
  }
  if (url.host.empty()) {
    return make_error(fmt::format("no host in serverurl {}", text));
  }
  return url;
}

std::variant<Fd, TransportError> connect_server(const ServerUrl& url) {
  if (url.scheme == ServerUrl::Scheme::Unix) {
    return connect_unix(url);
  }
  return connect_tcp(url);
}

void Transport::set_credentials(std::optional<Credentials> creds) {
  m_creds = std::move(creds);
  m_fd.close();
}

std::optional<TransportError> Transport::send_all(std::string_view data) {
  while (!data.empty()) {
    // MSG_NOSIGNAL: a server that went away is an error to report, not a SIGPIPE.
    ssize_t n = ::send(m_fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("send to", m_url.text, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return std::nullopt;
}

std::variant<std::string, TransportError> Transport::read_reply(bool* got_nothing) {
  std::string body;
  HttpResponseParser parser([&body](std::string_view d) { body.append(d); });
  char buf[16384];
  *got_nothing = true;
  while (!parser.complete()) {
    ssize_t n = ::recv(m_fd.get(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      m_fd.close();
      return io_error("read from", m_url.text, err);
    }
    if (n == 0) {
      Status st = parser.finish();
      if (!st) {
        m_fd.close();
        return protocol_error(fmt::format("{}: {}", m_url.text, st.error()));
      }
      break;
    }
    *got_nothing = false;
    Status st = parser.feed(std::string_view(buf, static_cast<size_t>(n)));
    if (!st) {
      m_fd.close();
      return protocol_error(fmt::format("{}: {}", m_url.text, st.error()));
    }
  }
  if (parser.close_after()) {
    m_fd.close();
  }
  if (parser.status() != 200) {
    m_fd.close();
    return http_error(m_url, "/RPC2", parser.status(), parser.reason());
  }
  return body;
}

std::variant<std::string, TransportError> Transport::post(std::string_view path,
                                                          std::string_view body) {
  std::string request = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tendctl/{}\r\nContent-Type: text/xml\r\n"
      "Accept: text/xml\r\n{}Content-Length: {}\r\n\r\n",
      path, host_header(m_url), version(), auth_header(m_creds), body.size());
  request.append(body);
  for (int attempt = 0;; ++attempt) {
    bool reused = m_fd.valid();
    if (!reused) {
      std::variant<Fd, TransportError> fd = connect_server(m_url);
      if (auto* err = std::get_if<TransportError>(&fd)) {
        return *err;
      }
      m_fd = std::move(std::get<Fd>(fd));
    }
    std::optional<TransportError> err = send_all(request);
    bool got_nothing = true;
    std::variant<std::string, TransportError> reply = err ? std::variant<std::string, TransportError>(*err)
                                                          : read_reply(&got_nothing);
    // A kept-alive connection the server has since closed fails before any
    // reply byte arrives: reconnect once and resend.
    bool stale = reused && got_nothing && std::holds_alternative<TransportError>(reply) &&
                 std::get<TransportError>(reply).kind != TransportError::Kind::Http;
    if (stale && attempt == 0) {
      m_fd.close();
      continue;
    }
    return reply;
  }
}

HttpStream::Decoder::Decoder(Sink s)
    : sink(std::move(s)), parser([this](std::string_view d) {
        // An error page is not log text: pass on only the body of a 200.
        if (parser.status() == 200) {
          sink(d);
        }
      }) {}

HttpStream::HttpStream(Fd fd, std::string url_text, Sink sink)
    : m_fd(std::move(fd)),
      m_url_text(std::move(url_text)),
      m_decoder(std::make_unique<Decoder>(std::move(sink))) {}

std::variant<HttpStream, TransportError> HttpStream::open(const ServerUrl& url,
                                                          std::string_view path,
                                                          const std::optional<Credentials>& creds,
                                                          Sink sink) {
  std::variant<Fd, TransportError> fd = connect_server(url);
  if (auto* err = std::get_if<TransportError>(&fd)) {
    return *err;
  }
  HttpStream stream(std::move(std::get<Fd>(fd)), url.text + std::string(path), std::move(sink));
  std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tendctl/{}\r\nAccept: */*\r\n{}\r\n", path,
      host_header(url), version(), auth_header(creds));
  std::string_view data = request;
  while (!data.empty()) {
    ssize_t n = ::send(stream.m_fd.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return io_error("send to", stream.m_url_text, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return stream;
}

std::variant<HttpStream::State, TransportError> HttpStream::pump() {
  char buf[16384];
  ssize_t n = ::recv(m_fd.get(), buf, sizeof(buf), 0);
  if (n < 0) {
    if (errno == EINTR) {
      return State::Interrupted;
    }
    return io_error("read from", m_url_text, errno);
  }
  HttpResponseParser& parser = m_decoder->parser;
  Status st = n == 0 ? parser.finish() : parser.feed(std::string_view(buf, static_cast<size_t>(n)));
  if (parser.headers_done() && parser.status() != 200) {
    return TransportError{TransportError::Kind::Http, 0, parser.status(), parser.reason(),
                          fmt::format("{}: HTTP {} {}", m_url_text, parser.status(),
                                      parser.reason())};
  }
  if (!st) {
    return protocol_error(fmt::format("{}: {}", m_url_text, st.error()));
  }
  if (n == 0 || parser.complete()) {
    return State::Ended;
  }
  return State::Open;
}

}  // namespace tend::ctl
