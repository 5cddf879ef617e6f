// One accepted HTTP connection and the Response handle route handlers answer
// through. The connection parses requests with llhttp, runs one request at a
// time (pipelined requests wait, their bytes kept), writes without blocking
// and closes itself on errors, idle timeout or when the client goes away.
//
// Lifetime: the server owns connections through shared_ptr; a Response holds
// only a weak_ptr plus the request's sequence number, so answering after the
// client left, or answering an old request twice, is a harmless no-op.
#pragma once

#include <llhttp.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sys/event_loop.h"
#include "util/fd.h"
#include "http/auth.h"
#include "http/message.h"

namespace tend::http {

class Connection;

class Response {
 public:
  Response(std::weak_ptr<Connection> conn, uint64_t seq) : m_conn(std::move(conn)), m_seq(seq) {}

  // Sends a whole response with Content-Length. Ignored after the first
  // answer or once the connection is gone. The body is moved into the
  // connection and written from there (head and body in one sendmsg), never
  // copied.
  void send(int status, std::string_view content_type, std::string body, const Headers& extra = {}) const;
  // An empty string to build a body in. It may carry the capacity of an
  // earlier body sent on this connection, so a client repeating a large call
  // costs no fresh allocation (and no page faults) per answer. Returning it
  // through send() is what lets the memory be reused next time.
  std::string take_buffer() const;
  // An error status with our small HTML page.
  void send_error(int status) const;

  // Streaming: HTTP/1.1 gets Transfer-Encoding: chunked; HTTP/1.0 gets the raw
  // body ended by closing the connection. Returns false if the connection is
  // gone or already answered.
  bool begin_stream(int status, std::string_view content_type, const Headers& extra = {}) const;
  // Queues data (empty data is ignored). Returns false when the connection is
  // gone, or when the client let more than HttpLimits::max_stream_buffer
  // bytes pile up: the client is then dropped. Producers should stop then.
  bool write(std::string_view data) const;
  void end_stream() const;

  // The connection still exists and this request is not answered yet (or
  // its stream is still open).
  bool alive() const;
  // Bytes queued for the client and not yet written; lets a producer read
  // less while the client is slow.
  size_t buffered() const;
  // Runs `cb` once if the connection closes before this response completes
  // (client gone, timeout, dropped). Replaces an earlier callback.
  void on_abort(std::function<void()> cb) const;

 private:
  std::shared_ptr<Connection> lock() const;
  std::weak_ptr<Connection> m_conn;
  uint64_t m_seq;
};

// Routes a parsed request, authenticated unless its route is public.
using RequestHandler = std::function<void(const Request&, const Response&)>;
// Whether a request path is served without authentication (a public route).
using PublicPath = std::function<bool(const std::string& path)>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `limits`, `memory`, `spare`, `route`, `is_public` and `on_closed` must
  // stay valid until the connection is closed; the server guarantees it by
  // closing every connection before it goes away. `peer_loopback`: the client
  // is on this host (decides AccessPolicy::refuse_remote).
  Connection(EventLoop& loop, Fd fd, const HttpLimits& limits, RequestMemory& memory, SpareBuffer& spare,
             std::shared_ptr<const AccessPolicy> access, bool peer_loopback, const RequestHandler& route,
             const PublicPath& is_public, std::function<void(Connection*)> on_closed);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status start();
  // Closes now: aborts any pending response; calls on_closed.
  void close();
  bool closed() const { return !m_fd.valid(); }

 private:
  friend class Response;
  // Reading: parsing requests. Handling: a request awaits its answer.
  // Streaming: a streamed answer is open. Closing: a final answer is being
  // written. Lingering: written and shut down for writing; draining the
  // client's leftovers so our answer is not lost to a reset.
  enum class State { Reading, Handling, Streaming, Closing, Lingering, Closed };

  // llhttp callbacks (static trampolines call these).
  static int cb_message_begin(llhttp_t* p);
  static int cb_url(llhttp_t* p, const char* at, size_t len);
  static int cb_header_field(llhttp_t* p, const char* at, size_t len);
  static int cb_header_value(llhttp_t* p, const char* at, size_t len);
  static int cb_header_value_complete(llhttp_t* p);
  static int cb_headers_complete(llhttp_t* p);
  static int cb_body(llhttp_t* p, const char* at, size_t len);
  static int cb_message_complete(llhttp_t* p);
  static const llhttp_settings_t& settings();
  bool count_header_bytes(size_t n);
  // Takes `n` bytes of the server's RequestMemory for the request being
  // received; when they do not fit, sets 503 as the answer and returns false.
  bool charge(size_t n);
  // Gives back what the request charged and frees its body.
  void release_request_memory();

  void on_event(uint32_t events);
  void on_timer();
  void read_input();
  void parse_input();
  void handle_request();
  void reject(int status);
  void queue_response(int status, std::string_view content_type, std::string body, const Headers& extra,
                      bool streaming);
  void finish_response();
  // m_out, after moving any unsent body bytes into it so that new output
  // queues behind them. Every append to the output goes through here.
  std::string& out_queue();
  // Empties m_body, keeping its memory for take_buffer().
  void recycle_body();
  // Gives `buf`'s memory to the server's spare buffer.
  void keep_spare(std::string buf);
  // Unix sockets only: raises SO_SNDBUF so that a large queued answer can be
  // handed to the kernel in one sendmsg (see k_sndbuf_floor).
  void fit_send_buffer();
  void flush();
  void start_linger();
  void update_interest();
  void update_timer();
  bool waiting_on_client() const;
  // When the connection is closed unless the client makes progress: the idle
  // (or linger) timeout after the last activity, and no later than the
  // request deadline while a request is partly received.
  MonoTime deadline() const;
  size_t out_pending() const { return m_out.size() - m_out_off + m_body.size() - m_body_off; }

  // Response entry points, all checking `seq`.
  bool current(uint64_t seq) const;
  void respond(uint64_t seq, int status, std::string_view content_type, std::string body, const Headers& extra);
  bool begin_stream(uint64_t seq, int status, std::string_view content_type, const Headers& extra);
  bool stream_write(uint64_t seq, std::string_view data);
  void stream_end(uint64_t seq);

  EventLoop& m_loop;
  Fd m_fd;
  const HttpLimits& m_limits;
  RequestMemory& m_memory;
  SpareBuffer& m_spare;  // the server's, lent by take_buffer()
  size_t m_charged = 0;       // of m_memory, by the request being received
  bool m_body_charged = false;  // its Content-Length was charged in full
  std::shared_ptr<const AccessPolicy> m_access;
  bool m_peer_loopback;
  const RequestHandler& m_route;
  const PublicPath& m_is_public;
  std::function<void(Connection*)> m_on_closed;

  llhttp_t m_parser{};
  State m_state = State::Reading;
  Request m_req;
  std::string m_field;        // header name being received
  std::string m_value;        // header value being received
  bool m_in_value = false;    // the last header data was a value
  size_t m_header_bytes = 0;  // this request's line + headers so far
  int m_reject_status = 0;    // set by a callback that refuses the request
  const std::string* m_reject_text = nullptr;  // its text/plain body; nullptr: error_body()
  bool m_keep_alive = true;   // of the request being handled
  bool m_parsing = false;     // parse_input() is on the stack
  bool m_peer_eof = false;    // the client shut down its side
  bool m_head_only = false;   // the request being answered is HEAD
  bool m_chunked = false;     // the open stream uses chunked encoding
  uint64_t m_seq = 0;         // number of the request being handled
  std::function<void()> m_on_abort;

  std::string m_in;  // received bytes not yet parsed
  size_t m_in_off = 0;
  // Output not yet written: m_out from m_out_off, then m_body from
  // m_body_off. m_body holds one response body as the handler gave it.
  std::string m_out;
  size_t m_out_off = 0;
  std::string m_body;
  size_t m_body_off = 0;
  size_t m_sndbuf = 0;  // SO_SNDBUF we asked for; 0: the default; k_sndbuf_max: leave it
  size_t m_discarded = 0;  // lingering: bytes thrown away

  uint32_t m_interest = 0;
  EventLoop::TimerId m_timer = 0;
  MonoTime m_last_activity{};
  // When the first byte of the request being received arrived; unset
  // between requests.
  std::optional<MonoTime> m_request_begun;
};

}  // namespace tend::http
