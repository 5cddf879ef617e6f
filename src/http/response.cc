// Response: the handle a route handler answers through. It forwards to its
// Connection when that still exists (see connection.h for the contract).
#include "http/connection.h"

namespace tend::http {

std::shared_ptr<Connection> Response::lock() const { return m_conn.lock(); }

void Response::send(int status, std::string_view content_type, std::string body, const Headers& extra) const {
  if (std::shared_ptr<Connection> c = lock()) {
    c->respond(m_seq, status, content_type, std::move(body), extra);
  }
}

std::string Response::take_buffer() const {
  std::shared_ptr<Connection> c = lock();
  if (!c) {
    return {};
  }
  return c->m_spare.take();
}

void Response::send_error(int status) const { send(status, "text/html", error_body(status)); }

bool Response::begin_stream(int status, std::string_view content_type, const Headers& extra) const {
  std::shared_ptr<Connection> c = lock();
  return c && c->begin_stream(m_seq, status, content_type, extra);
}

bool Response::write(std::string_view data) const {
  std::shared_ptr<Connection> c = lock();
  return c && c->stream_write(m_seq, data);
}

void Response::end_stream() const {
  if (std::shared_ptr<Connection> c = lock()) {
    c->stream_end(m_seq);
  }
}

bool Response::alive() const {
  std::shared_ptr<Connection> c = lock();
  return c && c->current(m_seq);
}

size_t Response::buffered() const {
  std::shared_ptr<Connection> c = lock();
  return c ? c->out_pending() : 0;
}

void Response::on_abort(std::function<void()> cb) const {
  std::shared_ptr<Connection> c = lock();
  if (c && c->current(m_seq)) {
    c->m_on_abort = std::move(cb);
  }
}

}  // namespace tend::http
