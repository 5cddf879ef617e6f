#include "http/connection.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <iterator>

#include <fmt/format.h>

namespace tend::http {

namespace {

constexpr size_t k_read_chunk = 16 * 1024;
constexpr int k_reads_per_event = 4;                        // then let other clients run
constexpr size_t k_max_unparsed_input = 64 * 1024;          // stop reading beyond this
constexpr size_t k_pipeline_high_water = 256 * 1024;        // answer no more until the client reads
constexpr size_t k_linger_discard_limit = 1024 * 1024;      // leftovers we are willing to drain
constexpr Duration k_linger_timeout = std::chrono::seconds(2);
// A unix socket's send buffer is about 200 KB by default: a 1.1 MB answer
// then leaves in slices, each a wakeup for both sides, and Python clients copy
// everything received so far on each slice. For answers above the floor the
// buffer is raised to the answer's size (the kernel caps it at
// net.core.wmem_max and charges only bytes actually queued), up to the max.
constexpr size_t k_sndbuf_floor = 192 * 1024;
constexpr size_t k_sndbuf_max = 4 * 1024 * 1024;

Connection* self_of(llhttp_t* p) { return static_cast<Connection*>(p->data); }

std::string http_date() {
  time_t t = time(nullptr);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::string lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

}  // namespace

// ---- llhttp callbacks ------------------------------------------------------

const llhttp_settings_t& Connection::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t v;
    llhttp_settings_init(&v);
    v.on_message_begin = cb_message_begin;
    v.on_url = cb_url;
    v.on_header_field = cb_header_field;
    v.on_header_value = cb_header_value;
    v.on_header_value_complete = cb_header_value_complete;
    v.on_headers_complete = cb_headers_complete;
    v.on_body = cb_body;
    v.on_message_complete = cb_message_complete;
    return v;
  }();
  return s;
}

bool Connection::count_header_bytes(size_t n) {
  m_header_bytes += n;
  if (m_header_bytes > m_limits.max_header_bytes) {
    m_reject_status = 431;
    return false;
  }
  return charge(n);
}

bool Connection::charge(size_t n) {
  if (!m_memory.charge(n)) {
    m_reject_status = 503;
    return false;
  }
  m_charged += n;
  return true;
}

void Connection::release_request_memory() {
  m_memory.release(m_charged);
  m_charged = 0;
  m_body_charged = false;
  std::string().swap(m_req.body);
}

int Connection::cb_message_begin(llhttp_t* p) {
  Connection* c = self_of(p);
  c->release_request_memory();
  c->m_req = Request();
  c->m_field.clear();
  c->m_value.clear();
  c->m_header_bytes = 0;
  c->m_reject_status = 0;
  c->m_reject_text = nullptr;
  // The request deadline now applies: re-arm the timer for it (the caller of
  // parse_input updates timers afterwards).
  c->m_request_begun = c->m_loop.now();
  c->m_loop.cancel_timer(c->m_timer);
  c->m_timer = 0;
  return 0;
}

int Connection::cb_url(llhttp_t* p, const char* at, size_t len) {
  Connection* c = self_of(p);
  c->m_req.target.append(at, len);
  return c->count_header_bytes(len) ? 0 : -1;
}

int Connection::cb_header_field(llhttp_t* p, const char* at, size_t len) {
  Connection* c = self_of(p);
  c->m_field.append(at, len);
  return c->count_header_bytes(len) ? 0 : -1;
}

int Connection::cb_header_value(llhttp_t* p, const char* at, size_t len) {
  Connection* c = self_of(p);
  c->m_value.append(at, len);
  return c->count_header_bytes(len) ? 0 : -1;
}

int Connection::cb_header_value_complete(llhttp_t* p) {
  Connection* c = self_of(p);
  c->m_req.headers.emplace_back(lower(std::move(c->m_field)), std::move(c->m_value));
  c->m_field.clear();
  c->m_value.clear();
  return c->count_header_bytes(4) ? 0 : -1;  // ": " and CRLF
}

int Connection::cb_headers_complete(llhttp_t* p) {
  Connection* c = self_of(p);
  Request& r = c->m_req;
  r.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  r.version_major = p->http_major;
  r.version_minor = p->http_minor;
  size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
  // Credentials are checked before any of the body is read, so a client
  // without them makes tend hold no more than its headers. Public routes
  // (probes) need none, from anywhere.
  if (!c->m_is_public(r.path)) {
    if (c->m_access->refuse_remote && !c->m_peer_loopback) {
      c->m_reject_status = 401;
      c->m_reject_text = &c->m_access->remote_refusal;
      return -1;
    }
    if (!check_basic_auth(c->m_access->credentials, r.header("authorization"))) {
      c->m_reject_status = 401;
      return -1;
    }
  }
  bool has_length = (p->flags & F_CONTENT_LENGTH) != 0;
  if (p->method == HTTP_POST && !has_length) {
    c->m_reject_status = 411;
    return -1;
  }
  if (has_length && p->content_length > c->m_limits.max_body_bytes) {
    c->m_reject_status = 413;  // refused before a single body byte is read
    return -1;
  }
  if (has_length) {
    if (!c->charge(p->content_length)) {
      return -1;
    }
    c->m_body_charged = true;
    r.body.reserve(p->content_length);
  }
  const std::string* expect = r.header("expect");
  if (expect != nullptr && strcasecmp(expect->c_str(), "100-continue") == 0 && r.version_minor >= 1) {
    c->out_queue() += "HTTP/1.1 100 Continue\r\n\r\n";
  }
  return 0;
}

int Connection::cb_body(llhttp_t* p, const char* at, size_t len) {
  Connection* c = self_of(p);
  if (c->m_req.body.size() + len > c->m_limits.max_body_bytes) {
    c->m_reject_status = 413;
    return -1;
  }
  if (!c->m_body_charged && !c->charge(len)) {
    return -1;
  }
  c->m_req.body.append(at, len);
  return 0;
}

int Connection::cb_message_complete(llhttp_t* p) {
  Connection* c = self_of(p);
  c->m_keep_alive = llhttp_should_keep_alive(p) != 0;
  return HPE_PAUSED;  // one request at a time; the rest waits in m_in
}

// ---- lifecycle -------------------------------------------------------------

Connection::Connection(EventLoop& loop, Fd fd, const HttpLimits& limits, RequestMemory& memory,
                       SpareBuffer& spare, std::shared_ptr<const AccessPolicy> access, bool peer_loopback,
                       const RequestHandler& route, const PublicPath& is_public,
                       std::function<void(Connection*)> on_closed)
    : m_loop(loop),
      m_fd(std::move(fd)),
      m_limits(limits),
      m_memory(memory),
      m_spare(spare),
      m_access(std::move(access)),
      m_peer_loopback(peer_loopback),
      m_route(route),
      m_is_public(is_public),
      m_on_closed(std::move(on_closed)) {
  llhttp_init(&m_parser, HTTP_REQUEST, &settings());
  m_parser.data = this;
}

Connection::~Connection() {
  if (m_fd.valid()) {
    m_loop.remove_fd(m_fd.get());
  }
  m_loop.cancel_timer(m_timer);
}

Status Connection::start() {
  m_last_activity = m_loop.now();
  m_interest = EPOLLIN | EPOLLRDHUP;
  std::weak_ptr<Connection> weak = weak_from_this();
  Status st = m_loop.add_fd(m_fd.get(), m_interest, [weak](uint32_t events) {
    if (std::shared_ptr<Connection> self = weak.lock()) {
      self->on_event(events);
    }
  });
  if (st.ok()) {
    update_timer();
  }
  return st;
}

void Connection::close() {
  if (!m_fd.valid()) {
    return;
  }
  std::shared_ptr<Connection> self = shared_from_this();
  m_loop.remove_fd(m_fd.get());
  m_loop.cancel_timer(m_timer);
  m_timer = 0;
  m_fd.close();
  release_request_memory();
  bool unanswered = m_state == State::Handling || m_state == State::Streaming;
  m_state = State::Closed;
  std::function<void()> abort = std::move(m_on_abort);
  m_on_abort = nullptr;
  if (unanswered && abort) {
    abort();
  }
  if (m_on_closed) {
    std::function<void(Connection*)> cb = std::move(m_on_closed);
    m_on_closed = nullptr;
    cb(this);
  }
}

// ---- I/O -------------------------------------------------------------------

void Connection::on_event(uint32_t events) {
  if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
    close();
    return;
  }
  if ((events & EPOLLOUT) != 0) {
    flush();
    if (!closed() && m_state == State::Reading && m_in_off < m_in.size()) {
      parse_input();  // pipelined requests held back until the client read our answers
    }
  }
  if (!closed() && (events & (EPOLLIN | EPOLLRDHUP)) != 0) {
    read_input();
  }
  if (!closed() && out_pending() > 0) {
    flush();
  }
  if (!closed()) {
    update_interest();
    update_timer();
  }
}

void Connection::read_input() {
  char buf[k_read_chunk];
  for (int i = 0; i < k_reads_per_event && !closed(); ++i) {
    if (m_state != State::Lingering && m_in.size() - m_in_off >= k_max_unparsed_input) {
      break;
    }
    ssize_t n = recv(m_fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        close();
      }
      break;
    }
    if (n == 0) {
      // A client that leaves mid-answer is gone; one that only shut down its
      // side after sending still gets what it asked for.
      m_peer_eof = true;
      if (m_state == State::Handling || m_state == State::Streaming || m_state == State::Lingering) {
        close();
        return;
      }
      break;
    }
    if (m_state == State::Lingering) {
      m_discarded += static_cast<size_t>(n);
      if (m_discarded > k_linger_discard_limit) {
        close();
        return;
      }
      continue;
    }
    m_last_activity = m_loop.now();
    m_in.append(buf, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < sizeof buf) {
      break;
    }
  }
  if (!closed()) {
    parse_input();
  }
}

void Connection::parse_input() {
  if (m_parsing) {
    return;
  }
  m_parsing = true;
  while (m_state == State::Reading && m_in_off < m_in.size() && out_pending() <= k_pipeline_high_water) {
    const char* base = m_in.data() + m_in_off;
    llhttp_errno_t err = llhttp_execute(&m_parser, base, m_in.size() - m_in_off);
    if (err == HPE_OK) {
      m_in_off = m_in.size();
      break;
    }
    if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
      m_in_off += static_cast<size_t>(llhttp_get_error_pos(&m_parser) - base);
      if (err == HPE_PAUSED_UPGRADE) {
        m_keep_alive = false;  // we speak no other protocol: answer, then close
      } else {
        llhttp_resume(&m_parser);
      }
      handle_request();
      continue;
    }
    reject(m_reject_status != 0 ? m_reject_status : 400);
    break;
  }
  if (m_in_off == m_in.size()) {
    m_in.clear();
    m_in_off = 0;
  } else if (m_in_off > k_max_unparsed_input) {
    m_in.erase(0, m_in_off);
    m_in_off = 0;
  }
  m_parsing = false;
  if (m_peer_eof && m_state == State::Reading && out_pending() == 0) {
    close();
  }
}

void Connection::handle_request() {
  m_request_begun.reset();
  m_state = State::Handling;
  ++m_seq;
  m_on_abort = nullptr;
  m_head_only = m_req.method == "HEAD";
  if (m_peer_eof) {
    m_keep_alive = false;
  }
  Response response(weak_from_this(), m_seq);
  try {
    m_route(m_req, response);
  } catch (const std::exception&) {
    response.send_error(500);  // handlers should not throw; the loop must not see it
  } catch (...) {
    response.send_error(500);
  }
  // Handlers read the body while they run, never later (a Response does not
  // reach the Request), so its memory can go back now.
  release_request_memory();
}

void Connection::reject(int status) {
  release_request_memory();
  m_request_begun.reset();
  m_state = State::Handling;
  ++m_seq;  // any Response for an earlier request is now stale
  m_keep_alive = false;
  m_head_only = m_req.method == "HEAD";  // set once the headers are complete
  Headers extra;
  if (status == 401) {
    extra.emplace_back("WWW-Authenticate", "Basic realm=\"default\"");
  }
  if (m_reject_text != nullptr) {
    queue_response(status, "text/plain; charset=utf-8", *m_reject_text, extra, false);
  } else {
    queue_response(status, "text/html", error_body(status), extra, false);
  }
  finish_response();
}

void Connection::queue_response(int status, std::string_view content_type, std::string body, const Headers& extra,
                                bool streaming) {
  m_last_activity = m_loop.now();  // from here on we wait for the client to read
  bool http11 = m_req.version_major == 1 && m_req.version_minor >= 1;
  std::string& out = out_queue();
  auto it = std::back_inserter(out);
  fmt::format_to(it, "HTTP/1.{} {} {}\r\nServer: tend\r\nDate: {}\r\n", http11 ? 1 : 0, status,
                 status_reason(status), http_date());
  if (!content_type.empty()) {
    fmt::format_to(it, "Content-Type: {}\r\n", content_type);
  }
  m_chunked = streaming && http11;
  if (streaming && !http11) {
    m_keep_alive = false;  // the end of the body is the end of the connection
  }
  if (m_chunked) {
    out += "Transfer-Encoding: chunked\r\n";
  } else if (!streaming) {
    fmt::format_to(it, "Content-Length: {}\r\n", body.size());
  }
  if (!m_keep_alive) {
    out += "Connection: close\r\n";
  } else if (!http11) {
    out += "Connection: Keep-Alive\r\n";
  }
  for (const auto& [k, v] : extra) {
    fmt::format_to(it, "{}: {}\r\n", k, v);
  }
  out += "\r\n";
  if (m_head_only || body.empty()) {
    keep_spare(std::move(body));
    return;
  }
  // out_queue() left m_body empty: the body simply becomes the tail.
  m_body = std::move(body);
  m_body_off = 0;
  fit_send_buffer();
}

void Connection::fit_send_buffer() {
  size_t pending = out_pending();
  if (pending <= k_sndbuf_floor || pending <= m_sndbuf || m_sndbuf >= k_sndbuf_max) {
    return;
  }
  if (m_sndbuf == 0) {
    int domain = 0;
    socklen_t len = sizeof domain;
    if (getsockopt(m_fd.get(), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX) {
      m_sndbuf = k_sndbuf_max;  // TCP sizes its own buffer; setting one would stop that
      return;
    }
  }
  int want = static_cast<int>(std::min(pending, k_sndbuf_max));
  if (setsockopt(m_fd.get(), SOL_SOCKET, SO_SNDBUF, &want, sizeof want) == 0) {
    m_sndbuf = static_cast<size_t>(want);
  } else {
    m_sndbuf = k_sndbuf_max;  // do not retry on every answer
  }
}

std::string& Connection::out_queue() {
  if (m_body_off < m_body.size()) {
    m_out.append(m_body, m_body_off, std::string::npos);
  }
  recycle_body();
  return m_out;
}

void Connection::recycle_body() {
  keep_spare(std::move(m_body));
  m_body = std::string();
  m_body_off = 0;
}

void Connection::keep_spare(std::string buf) { m_spare.give(std::move(buf)); }

void Connection::finish_response() {
  m_on_abort = nullptr;
  m_state = m_keep_alive ? State::Reading : State::Closing;
  flush();
  if (closed()) {
    return;
  }
  parse_input();  // pipelined requests already received (no-op when nested)
  if (!closed()) {
    update_interest();
    update_timer();
  }
}

void Connection::flush() {
  while (out_pending() > 0) {
    // Head and body leave in one sendmsg (MSG_NOSIGNAL; writev cannot take it).
    struct iovec iov[2];
    int n_iov = 0;
    if (m_out_off < m_out.size()) {
      iov[n_iov++] = {m_out.data() + m_out_off, m_out.size() - m_out_off};
    }
    if (m_body_off < m_body.size()) {
      iov[n_iov++] = {m_body.data() + m_body_off, m_body.size() - m_body_off};
    }
    struct msghdr msg {};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n_iov);
    ssize_t n = ::sendmsg(m_fd.get(), &msg, MSG_NOSIGNAL);
    if (n > 0) {
      size_t sent = static_cast<size_t>(n);
      size_t from_out = std::min(sent, m_out.size() - m_out_off);
      m_out_off += from_out;
      m_body_off += sent - from_out;
      m_last_activity = m_loop.now();
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;
    }
    close();
    return;
  }
  if (m_out_off == m_out.size()) {
    m_out.clear();
    m_out_off = 0;
  } else if (m_out_off > 64 * 1024) {
    m_out.erase(0, m_out_off);
    m_out_off = 0;
  }
  if (!m_body.empty() && m_body_off == m_body.size()) {
    recycle_body();
  }
  if (out_pending() == 0 && m_state == State::Closing) {
    start_linger();
  }
}

void Connection::start_linger() {
  if (m_peer_eof) {
    close();
    return;
  }
  shutdown(m_fd.get(), SHUT_WR);
  m_state = State::Lingering;
  m_last_activity = m_loop.now();
  m_loop.cancel_timer(m_timer);  // the linger deadline is shorter than the idle one
  m_timer = 0;
  update_interest();
  update_timer();
}

void Connection::update_interest() {
  bool can_read = !m_peer_eof && m_state != State::Closing && m_state != State::Closed &&
                  (m_state == State::Lingering || m_in.size() - m_in_off < k_max_unparsed_input);
  uint32_t want = (can_read ? (EPOLLIN | EPOLLRDHUP) : 0u) | (out_pending() > 0 ? EPOLLOUT : 0u);
  if (want != m_interest && m_fd.valid()) {
    if (m_loop.modify_fd(m_fd.get(), want).ok()) {
      m_interest = want;
    }
  }
}

// ---- timers ----------------------------------------------------------------

bool Connection::waiting_on_client() const {
  return m_state == State::Reading || m_state == State::Closing || m_state == State::Lingering || out_pending() > 0;
}

MonoTime Connection::deadline() const {
  if (m_state == State::Lingering) {
    return m_last_activity + k_linger_timeout;
  }
  MonoTime idle = m_last_activity + m_limits.idle_timeout;
  if (m_state == State::Reading && m_request_begun) {
    return std::min(idle, *m_request_begun + m_limits.request_timeout);
  }
  return idle;
}

void Connection::update_timer() {
  if (closed()) {
    return;
  }
  if (!waiting_on_client()) {
    m_loop.cancel_timer(m_timer);
    m_timer = 0;
    return;
  }
  if (m_timer == 0) {
    std::weak_ptr<Connection> weak = weak_from_this();
    m_timer = m_loop.add_timer(deadline(), [weak] {
      if (std::shared_ptr<Connection> self = weak.lock()) {
        self->on_timer();
      }
    });
  }
}

void Connection::on_timer() {
  m_timer = 0;
  if (closed() || !waiting_on_client()) {
    return;
  }
  if (m_loop.now() >= deadline()) {
    close();
    return;
  }
  update_timer();  // there was activity since arming: wait for the rest
}

// ---- Response entry points ---------------------------------------------------

bool Connection::current(uint64_t seq) const {
  return seq == m_seq && (m_state == State::Handling || m_state == State::Streaming);
}

void Connection::respond(uint64_t seq, int status, std::string_view content_type, std::string body,
                         const Headers& extra) {
  if (!current(seq) || m_state != State::Handling) {
    return;
  }
  queue_response(status, content_type, std::move(body), extra, false);
  finish_response();
}

bool Connection::begin_stream(uint64_t seq, int status, std::string_view content_type, const Headers& extra) {
  if (!current(seq) || m_state != State::Handling) {
    return false;
  }
  queue_response(status, content_type, std::string(), extra, true);
  m_state = State::Streaming;
  flush();
  if (closed()) {
    return false;
  }
  update_interest();
  update_timer();
  return true;
}

bool Connection::stream_write(uint64_t seq, std::string_view data) {
  if (!current(seq) || m_state != State::Streaming) {
    return false;
  }
  if (data.empty() || m_head_only) {
    return true;
  }
  std::string& out = out_queue();
  if (m_chunked) {
    fmt::format_to(std::back_inserter(out), "{:x}\r\n", data.size());
  }
  out.append(data);
  if (m_chunked) {
    out += "\r\n";
  }
  flush();
  if (closed()) {
    return false;
  }
  if (out_pending() > m_limits.max_stream_buffer) {
    close();  // the client does not keep up: drop it rather than grow
    return false;
  }
  update_interest();
  update_timer();
  return true;
}

void Connection::stream_end(uint64_t seq) {
  if (!current(seq) || m_state != State::Streaming) {
    return;
  }
  if (m_chunked && !m_head_only) {
    out_queue() += "0\r\n\r\n";
  }
  finish_response();
}

}  // namespace tend::http
