// tendctl's blocking HTTP client: XML-RPC POSTs over one persistent
// connection, and GET streams for /logtail and /mainlogtail. Servers are
// `unix:///path` (AF_UNIX, sent as Host: localhost) or `http://host[:port]`
// (port 80 by default). A CLI may block, so nothing here has a timeout.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "util/fd.h"
#include "ctl/http_response.h"
#include "util/result.h"

namespace tend::ctl {

struct ServerUrl {
  enum class Scheme { Unix, Http };
  Scheme scheme = Scheme::Http;
  std::string text;  // the URL as configured; used in messages
  std::string path;  // Unix: the socket path
  std::string host;  // Http: host name or address (IPv6 without brackets)
  int port = 80;     // Http
};

// Accepts "unix://<path>" and "http://host[:port][/...]"; anything else fails.
Result<ServerUrl> parse_server_url(std::string_view url);

// Why a request failed. Connect and Io keep the errno so callers can tell
// "refused" (ECONNREFUSED) from "no such file" (ENOENT).
struct TransportError {
  enum class Kind { Connect, Io, Protocol, Http };
  Kind kind = Kind::Io;
  int sys_errno = 0;    // Connect/Io
  int http_status = 0;  // Http: the non-200 status
  std::string reason;   // Http: the reason phrase
  std::string message;  // "unable to connect to unix:///x: No such file or directory"
};

struct Credentials {
  std::string username;
  std::string password;
};

// Opens a connected socket to the server.
std::variant<Fd, TransportError> connect_server(const ServerUrl& url);

class Transport {
 public:
  Transport(ServerUrl url, std::optional<Credentials> creds)
      : m_url(std::move(url)), m_creds(std::move(creds)) {}

  const ServerUrl& url() const { return m_url; }
  const std::optional<Credentials>& credentials() const { return m_creds; }
  void set_credentials(std::optional<Credentials> creds);

  // POSTs `body` (text/xml) to `path`; the reply body on a 200, else an error.
  // The connection stays open for the next call; a reused connection that
  // turns out to be closed by the server is reopened once.
  std::variant<std::string, TransportError> post(std::string_view path, std::string_view body);
  void close() { m_fd.close(); }

 private:
  std::optional<TransportError> send_all(std::string_view data);
  std::variant<std::string, TransportError> read_reply(bool* got_nothing);

  ServerUrl m_url;
  std::optional<Credentials> m_creds;
  Fd m_fd;
};

// One GET whose body is delivered as it arrives (tail -f). Open it, then
// call pump() whenever fd() is readable (or just in a loop: it blocks).
class HttpStream {
 public:
  using Sink = std::function<void(std::string_view)>;

  static std::variant<HttpStream, TransportError> open(const ServerUrl& url, std::string_view path,
                                                       const std::optional<Credentials>& creds,
                                                       Sink sink);

  int fd() const { return m_fd.get(); }
  // Reads what is available (blocking for one read) and feeds the sink.
  // Open: more may come; Ended: the server finished the body; Interrupted: a
  // signal arrived (EINTR). A non-200 status is a TransportError of kind Http.
  enum class State { Open, Ended, Interrupted };
  std::variant<State, TransportError> pump();

 private:
  HttpStream(Fd fd, std::string url_text, Sink sink);

  // On the heap so the parser's callback can point at it across moves.
  struct Decoder {
    explicit Decoder(Sink s);
    Sink sink;
    HttpResponseParser parser;
  };

  Fd m_fd;
  std::string m_url_text;
  std::unique_ptr<Decoder> m_decoder;
};

}  // namespace tend::ctl
