// Incremental parser for one HTTP/1.x response, as tendctl receives them:
// a status line, headers, then a body delimited by Content-Length, chunked
// transfer coding, or the end of the connection. Bytes go in through feed();
// body bytes come out through the sink as they are decoded, so the same
// parser serves XML-RPC replies (collected) and log streams (tail -f).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace tend::ctl {

class HttpResponseParser {
 public:
  using BodySink = std::function<void(std::string_view)>;

  explicit HttpResponseParser(BodySink sink) : m_sink(std::move(sink)) {}

  // Consumes `data`. Fails on a malformed status line, header or chunk size.
  // Bytes after the end of the message are ignored.
  Status feed(std::string_view data);
  // The peer closed the connection: completes a body that runs to EOF,
  // otherwise fails when the message is unfinished.
  Status finish();

  bool headers_done() const { return m_phase > Phase::Headers; }
  bool complete() const { return m_phase == Phase::Done; }
  int status() const { return m_status; }
  const std::string& reason() const { return m_reason; }
  // The server asked to close the connection after this response.
  bool close_after() const { return m_close; }

 private:
  enum class Phase { StatusLine, Headers, Body, ChunkSize, ChunkData, ChunkCrlf, Trailer, Done };

  Status on_line(std::string_view line);
  Status on_header(std::string_view line);
  void start_body();
  void emit(std::string_view data);

  BodySink m_sink;
  Phase m_phase = Phase::StatusLine;
  std::string m_line;  // a partial line (status, header, chunk size, trailer)
  int m_status = 0;
  std::string m_reason;
  bool m_http10 = false;
  bool m_chunked = false;
  bool m_close = false;
  bool m_has_length = false;
  uint64_t m_remaining = 0;  // body or chunk bytes still expected
};

}  // namespace tend::ctl
