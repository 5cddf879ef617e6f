#include "web/streams.h"

#include "log/logger.h"
#include "rpc/log_read.h"
#include "rpc/process_info.h"
#include "web/json.h"
#include "web/sse.h"
#include "web/text.h"

namespace tend::web {

namespace {

constexpr EventMask k_state_events = mask_of(EventKind::ProcessState) | mask_of(EventKind::Readiness) |
                                     mask_of(EventKind::Health) | mask_of(EventKind::Removed) |
                                     mask_of(EventKind::SupervisorState) | mask_of(EventKind::GroupAdded) |
                                     mask_of(EventKind::GroupRemoved);

http::Headers stream_headers(const http::Headers& base) {
  http::Headers h = base;
  h.emplace_back("Cache-Control", "no-cache");
  h.emplace_back("X-Accel-Buffering", "no");  // a proxy in front must not hold frames back
  return h;
}

std::string data_frame(std::string_view bytes) { return sse_event("data", json_string(bytes)); }

// The last k_log_head_bytes of `path`, starting at a character boundary.
std::string log_head(const std::string& path) {
  if (path.empty()) {
    return {};
  }
  rpc::ReadResult r = rpc::read_log_range(path, -static_cast<int64_t>(k_log_head_bytes), 0);
  if (!r.ok) {
    return {};
  }
  size_t skip = 0;
  while (skip < 3 && skip < r.data.size() && (static_cast<unsigned char>(r.data[skip]) & 0xC0) == 0x80) {
    ++skip;
  }
  return r.data.substr(skip);
}

}  // namespace

// ---- StateStreams ----------------------------------------------------------------------------

StateStreams::StateStreams(EventBus& bus, StatusJson status, ProcessJson process, SupervisorJson supervisor)
    : m_bus(bus), m_status(std::move(status)), m_process(std::move(process)), m_supervisor(std::move(supervisor)) {}

StateStreams::~StateStreams() {
  *m_alive = false;
  m_sub.reset();
  std::unordered_map<uint64_t, http::Response> clients;
  clients.swap(m_clients);
  for (auto& [id, r] : clients) {
    r.on_abort(nullptr);
    r.end_stream();
  }
}

void StateStreams::serve(const http::Response& response, const http::Headers& headers) {
  if (!response.begin_stream(200, "text/event-stream", stream_headers(headers))) {
    return;
  }
  if (!response.write(sse_event("snapshot", m_status()))) {
    return;
  }
  uint64_t id = m_next_id++;
  m_clients.emplace(id, response);
  std::weak_ptr<bool> alive = m_alive;
  response.on_abort([this, alive, id] {
    if (!alive.expired()) {
      drop(id);
    }
  });
  if (!m_sub.active()) {
    m_sub = m_bus.subscribe(k_state_events, [this](const Event& e) { on_event(e); });
  }
}

void StateStreams::drop(uint64_t id) {
  m_clients.erase(id);
  if (m_clients.empty()) {
    m_sub.reset();  // nobody listens: the bus no longer calls us
  }
}

void StateStreams::on_event(const Event& e) {
  switch (kind_of(e)) {
    case EventKind::ProcessState:
    case EventKind::Readiness:
    case EventKind::Health:
      broadcast(sse_event("process", m_process(*process_of(e))));
      break;
    case EventKind::Removed: {
      const Process* p = process_of(e);
      broadcast(sse_event("removed", JsonObject().str("namespec", rpc::make_namespec(p->group(), p->name())).take()));
      break;
    }
    case EventKind::GroupAdded:
    case EventKind::GroupRemoved:
      broadcast(sse_event("snapshot", m_status()));
      break;
    case EventKind::SupervisorState:
      broadcast(sse_event("supervisor", m_supervisor()));
      break;
    default:
      break;
  }
}

void StateStreams::broadcast(const std::string& frame) {
  // Writing may close a connection, whose abort callback drops its client:
  // walk a copy of the ids.
  std::vector<uint64_t> ids;
  ids.reserve(m_clients.size());
  for (const auto& [id, r] : m_clients) {
    ids.push_back(id);
  }
  for (uint64_t id : ids) {
    auto it = m_clients.find(id);
    if (it == m_clients.end()) {
      continue;
    }
    http::Response r = it->second;
    if (r.buffered() > k_max_backlog) {
      // Too far behind: end it (EventSource reconnects to a fresh snapshot).
      r.on_abort(nullptr);
      r.end_stream();
      drop(id);
    } else if (!r.write(frame)) {
      drop(id);
    }
  }
}

// ---- LogStreams ------------------------------------------------------------------------------

LogStreams::LogStreams(EventBus& bus) : m_bus(bus) {}

LogStreams::~LogStreams() {
  *m_alive = false;
  if (m_main_clients > 0 || m_observer_set) {
    main_logger().set_line_observer(nullptr);
  }
  std::unordered_map<uint64_t, Client> clients;
  clients.swap(m_clients);
  for (auto& [id, c] : clients) {
    c.sub.reset();
    c.response.on_abort(nullptr);
    c.response.end_stream();
  }
}

bool LogStreams::begin(const http::Response& response, const http::Headers& headers, const std::string& path) {
  if (!response.begin_stream(200, "text/event-stream", stream_headers(headers))) {
    return false;
  }
  std::string head = log_head(path);
  if (!head.empty()) {
    size_t keep = incomplete_utf8_tail(head);
    return response.write(data_frame(std::string_view(head).substr(0, head.size() - keep)));
  }
  return true;
}

uint64_t LogStreams::add(Client c) {
  uint64_t id = m_next_id++;
  std::weak_ptr<bool> alive = m_alive;
  c.response.on_abort([this, alive, id] {
    if (!alive.expired()) {
      drop(id);
    }
  });
  m_clients.emplace(id, std::move(c));
  return id;
}

void LogStreams::serve_process(const http::Response& response, const http::Headers& headers, const Process& p,
                               Stream channel, const std::string& path) {
  if (!begin(response, headers, path)) {
    return;
  }
  uint64_t id = add(Client{response, &p, channel, {}, {}});
  m_clients.at(id).sub = m_bus.subscribe_process(
      &p, mask_of(EventKind::Output) | mask_of(EventKind::LogsCleared) | mask_of(EventKind::Removed),
      [this, id](const Event& e) {
        auto it = m_clients.find(id);
        if (it == m_clients.end()) {
          return;
        }
        if (const auto* out = std::get_if<ProcessOutput>(&e)) {
          if (out->channel == it->second.channel) {
            send_bytes(id, out->data);
          }
          return;
        }
        if (std::holds_alternative<ProcessLogsCleared>(e)) {
          // Whoever cleared them (supervisorctl, XML-RPC, the page, a console): the pane starts over.
          it->second.pending.clear();
          send(id, sse_event("reset", "{}"));
          return;
        }
        // The process goes away (removed from the configuration): so does its stream.
        http::Response r = it->second.response;
        r.on_abort(nullptr);
        drop(id);
        r.end_stream();
      });
}

void LogStreams::serve_main(const http::Response& response, const http::Headers& headers, const std::string& path) {
  if (!begin(response, headers, path)) {
    return;
  }
  add(Client{response, nullptr, Stream::Stdout, {}, {}});
  ++m_main_clients;
  if (!m_observer_set) {
    // Installed once and kept: removing it from inside a call of it (a
    // client dropped while a line is sent) would destroy the running
    // function. With no main-log client it does nothing.
    m_observer_set = true;
    main_logger().set_line_observer([this](std::string_view line) {
      if (m_main_clients == 0) {
        return;
      }
      std::vector<uint64_t> ids;
      for (const auto& [id, c] : m_clients) {
        if (c.process == nullptr) {
          ids.push_back(id);
        }
      }
      std::string frame = data_frame(line);
      for (uint64_t id : ids) {
        send(id, frame);
      }
    });
  }
}

void LogStreams::send_bytes(uint64_t id, std::string_view data) {
  Client& c = m_clients.at(id);
  std::string joined;
  if (!c.pending.empty()) {
    joined = c.pending;
    joined.append(data);
    data = joined;
  }
  size_t keep = incomplete_utf8_tail(data);
  std::string frame = data_frame(data.substr(0, data.size() - keep));
  c.pending = std::string(data.substr(data.size() - keep));
  if (data.size() > keep) {
    send(id, frame);
  }
}

void LogStreams::send(uint64_t id, const std::string& frame) {
  auto it = m_clients.find(id);
  if (it == m_clients.end()) {
    return;
  }
  http::Response r = it->second.response;
  if (r.buffered() > k_max_backlog) {
    // Too far behind: end it (EventSource reconnects and starts from the
    // log's end again).
    r.on_abort(nullptr);
    drop(id);
    r.end_stream();
  } else if (!r.write(frame)) {
    drop(id);
  }
}

void LogStreams::drop(uint64_t id) {
  auto it = m_clients.find(id);
  if (it == m_clients.end()) {
    return;
  }
  if (it->second.process == nullptr) {
    --m_main_clients;
  }
  // The subscription may be the one being delivered: the bus allows
  // unsubscribing from inside a handler.
  m_clients.erase(it);
}

}  // namespace tend::web
