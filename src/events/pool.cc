#include "events/pool.h"

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "events/payload.h"

namespace tend::events {

int64_t next_serial(int64_t& serial) {
  serial = serial == INT64_MAX ? 0 : serial + 1;
  return serial;
}

Pool::Pool(PoolSettings settings, Io io) : m_settings(std::move(settings)), m_io(std::move(io)) {}

int Pool::takes(EventType t) const {
  int n = 0;
  for (EventType s : m_settings.subscriptions) {
    n += is_a(t, s) ? 1 : 0;
  }
  return n;
}

bool Pool::merge_into_tail(const QueuedEvent& ev) {
  if (ev.source == nullptr || m_buffer.size() < m_settings.buffer_size || m_buffer.empty()) {
    return false;
  }
  QueuedEvent& tail = m_buffer.back();
  if (tail.type != ev.type || tail.source != ev.source || tail.source_pid != ev.source_pid) {
    return false;
  }
  std::string_view data = std::string_view(*ev.payload).substr(ev.data_offset);
  if (tail.payload->size() - tail.data_offset + data.size() > k_max_merged_log) {
    return false;
  }
  auto merged = std::make_shared<std::string>(*tail.payload);
  merged->append(data);
  tail.payload = std::move(merged);
  return true;
}

bool Pool::offer(QueuedEvent ev) {
  int n = takes(ev.type);
  if (n == 0) {
    return false;
  }
  if (n == 1 && merge_into_tail(ev)) {
    return true;
  }
  ev.pool_serial = next_serial(m_serial);
  for (int i = 1; i < n; ++i) {
    // Taken once more for another subscription that covers it: supervisord
    // buffers it again with the serials it has.
    push(ev, false);
    m_io.log(Level::Debug, fmt::format("rebuffering event {} for pool {} (buf size={}, max={})", ev.serial,
                                       m_settings.name, m_buffer.size(), m_settings.buffer_size));
  }
  push(std::move(ev), false);
  return true;
}

void Pool::requeue(QueuedEvent ev) {
  m_io.log(Level::Debug, fmt::format("rebuffering event {} for pool {} (buf size={}, max={})", ev.serial,
                                     m_settings.name, m_buffer.size(), m_settings.buffer_size));
  push(std::move(ev), true);
}

void Pool::push(QueuedEvent ev, bool head) {
  if (m_buffer.size() >= m_settings.buffer_size && !m_buffer.empty()) {
    m_io.log(Level::Error, fmt::format("pool {} event buffer overflowed, discarding event {}", m_settings.name,
                                       m_buffer.front().serial));
    m_buffer.pop_front();
  }
  if (head) {
    m_buffer.push_front(std::move(ev));
  } else {
    m_buffer.push_back(std::move(ev));
  }
}

// --- listeners ---------------------------------------------------------------------

Pool::Listener* Pool::find(ListenerId id) {
  for (Listener& l : m_listeners) {
    if (l.id == id) {
      return &l;
    }
  }
  return nullptr;
}

const Pool::Listener* Pool::find(ListenerId id) const { return const_cast<Pool*>(this)->find(id); }

void Pool::add_listener(ListenerId id, std::string name, int order) {
  if (find(id) != nullptr) {
    return;
  }
  Listener l{id, name, order, false, nullptr, std::nullopt};
  l.protocol = std::make_unique<ListenerProtocol>(std::move(name), m_io.handler, m_io.log);
  auto pos = std::upper_bound(m_listeners.begin(), m_listeners.end(), order,
                              [](int o, const Listener& x) { return o < x.order; });
  m_listeners.insert(pos, std::move(l));
}

void Pool::remove_listener(ListenerId id) {
  auto it = std::find_if(m_listeners.begin(), m_listeners.end(), [id](const Listener& l) { return l.id == id; });
  if (it == m_listeners.end()) {
    return;
  }
  std::optional<QueuedEvent> ev = std::move(it->event);
  m_listeners.erase(it);
  if (ev) {
    requeue(std::move(*ev));
  }
}

void Pool::listener_spawned(ListenerId id) {
  if (Listener* l = find(id)) {
    l->protocol->reset();
    if (l->event) {  // not seen to exit: the event was never answered
      std::optional<QueuedEvent> ev = std::move(l->event);
      l->event.reset();
      requeue(std::move(*ev));
    }
  }
}

void Pool::listener_running(ListenerId id, bool running) {
  if (Listener* l = find(id)) {
    l->running = running;
  }
}

void Pool::listener_exited(ListenerId id) {
  Listener* l = find(id);
  if (l == nullptr) {
    return;
  }
  l->running = false;
  if (l->event) {
    std::optional<QueuedEvent> ev = std::move(l->event);
    l->event.reset();
    requeue(std::move(*ev));
  }
}

void Pool::feed(ListenerId id, std::string_view data) {
  Listener* l = find(id);
  if (l == nullptr) {
    return;
  }
  for (Outcome o : l->protocol->feed(data)) {
    // `l` stays valid: outcomes never add or remove listeners.
    switch (o) {
      case Outcome::Ready:
        break;
      case Outcome::Done:
        l->event.reset();
        break;
      case Outcome::Rejected:
        if (l->event) {
          std::optional<QueuedEvent> ev = std::move(l->event);
          l->event.reset();
          requeue(std::move(*ev));
        }
        break;
    }
  }
}

ListenerState Pool::listener_state(ListenerId id) const {
  const Listener* l = find(id);
  return l != nullptr ? l->protocol->state() : ListenerState::Unknown;
}

// --- dispatch ------------------------------------------------------------------------

bool Pool::can_dispatch() const {
  if (m_buffer.empty()) {
    return false;
  }
  return std::any_of(m_listeners.begin(), m_listeners.end(), [](const Listener& l) {
    return l.running && l.protocol->state() == ListenerState::Ready;
  });
}

void Pool::dispatch() {
  while (!m_buffer.empty()) {
    QueuedEvent ev = std::move(m_buffer.front());
    m_buffer.pop_front();
    if (!send_to_ready(ev)) {
      requeue(std::move(ev));
      return;
    }
  }
}

bool Pool::send_to_ready(const QueuedEvent& ev) {
  for (Listener& l : m_listeners) {
    if (!l.running || l.protocol->state() != ListenerState::Ready) {
      continue;
    }
    EnvelopeFields f{m_settings.server, ev.serial, m_settings.name, ev.pool_serial, ev.type};
    if (!m_io.send(l.id, envelope(f, *ev.payload))) {
      m_io.log(Level::Debug, fmt::format("epipe occurred while sending event {} to listener {}, listener state "
                                         "unchanged",
                                         ev.serial, l.name));
      continue;
    }
    l.protocol->sent();
    l.event = ev;
    m_io.log(Level::Debug, fmt::format("event {} sent to listener {}", ev.serial, l.name));
    return true;
  }
  return false;
}

}  // namespace tend::events
