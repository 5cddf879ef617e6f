#include "core/event_bus.h"

#include <deque>

namespace tend {

const char* supervisor_state_name(SupervisorState s) {
  switch (s) {
    case SupervisorState::Running:
      return "RUNNING";
    case SupervisorState::Restarting:
      return "RESTARTING";
    case SupervisorState::Stopping:
      return "SHUTDOWN";
    case SupervisorState::Sweeping:
      return "SWEEPING";
    case SupervisorState::Killing:
      return "KILLING";
    case SupervisorState::Done:
      return "DONE";
  }
  return "UNKNOWN";
}

const Process* process_of(const Event& e) {
  return std::visit(
      [](const auto& ev) -> const Process* {
        if constexpr (requires { ev.process; }) {
          return ev.process;
        } else {
          return nullptr;
        }
      },
      e);
}

// Slots live in deques: a handler may subscribe while it runs, and a deque's
// push_back never moves the element being called. Removal during a delivery
// only empties the slot; the slot is dropped once no delivery is running.
struct EventBus::Subscription::State {
  struct Slot {
    uint64_t id;
    EventMask mask;
    Handler handler;
  };
  std::deque<Slot> global;
  std::unordered_map<const Process*, std::deque<Slot>> by_process;
  std::array<int, k_event_kinds> counts{};
  std::array<InterestHook, k_event_kinds> hooks;
  uint64_t next_id = 1;
  int depth = 0;
  bool dirty = false;
  size_t live = 0;

  void count(EventMask mask, int delta) {
    for (int k = 0; k < k_event_kinds; ++k) {
      if ((mask & (EventMask{1} << k)) == 0) {
        continue;
      }
      int before = counts[k];
      counts[k] += delta;
      if ((before == 0) != (counts[k] == 0) && hooks[k]) {
        InterestHook hook = hooks[k];  // the hook may replace itself
        hook(counts[k] != 0);
      }
    }
  }

  uint64_t add(const Process* p, EventMask mask, Handler h) {
    uint64_t id = next_id++;
    std::deque<Slot>& list = p == nullptr ? global : by_process[p];
    list.push_back(Slot{id, mask, std::move(h)});
    ++live;
    count(mask, +1);
    return id;
  }

  void remove(uint64_t id, const Process* p) {
    std::deque<Slot>* list = &global;
    if (p != nullptr) {
      auto it = by_process.find(p);
      if (it == by_process.end()) {
        return;
      }
      list = &it->second;
    }
    for (Slot& s : *list) {
      if (s.id == id && s.handler) {
        EventMask mask = s.mask;
        if (depth > 0) {
          s.handler = nullptr;  // the slot may be running right now
          dirty = true;
        } else {
          std::erase_if(*list, [id](const Slot& x) { return x.id == id; });
          if (p != nullptr && list->empty()) {
            by_process.erase(p);
          }
        }
        --live;
        count(mask, -1);
        return;
      }
    }
  }

  void compact() {
    dirty = false;
    std::erase_if(global, [](const Slot& s) { return !s.handler; });
    for (auto it = by_process.begin(); it != by_process.end();) {
      std::erase_if(it->second, [](const Slot& s) { return !s.handler; });
      it = it->second.empty() ? by_process.erase(it) : std::next(it);
    }
  }

  static void deliver(std::deque<Slot>& list, EventMask bit, const Event& e) {
    size_t n = list.size();  // later subscribers wait for the next event
    for (size_t i = 0; i < n; ++i) {
      Slot& s = list[i];
      if (s.handler && (s.mask & bit) != 0) {
        s.handler(e);
      }
    }
  }
};

EventBus::Subscription::Subscription(Subscription&& o) noexcept
    : m_bus(std::move(o.m_bus)), m_id(o.m_id), m_process(o.m_process) {
  o.m_id = 0;
}

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    m_bus = std::move(o.m_bus);
    m_id = o.m_id;
    m_process = o.m_process;
    o.m_id = 0;
  }
  return *this;
}

void EventBus::Subscription::reset() {
  if (m_id == 0) {
    return;
  }
  if (std::shared_ptr<State> bus = m_bus.lock()) {
    bus->remove(m_id, m_process);
  }
  m_id = 0;
  m_bus.reset();
}

EventBus::EventBus() : m_state(std::make_shared<Subscription::State>()) {}
EventBus::~EventBus() = default;

EventBus::Subscription EventBus::subscribe(EventMask kinds, Handler h) {
  uint64_t id = m_state->add(nullptr, kinds, std::move(h));
  return Subscription(m_state, id, nullptr);
}

EventBus::Subscription EventBus::subscribe_process(const Process* process, EventMask kinds, Handler h) {
  uint64_t id = m_state->add(process, kinds & k_process_events, std::move(h));
  return Subscription(m_state, id, process);
}

void EventBus::publish(const Event& e) {
  // Held for the whole delivery: a handler may destroy the object owning the bus.
  std::shared_ptr<Subscription::State> st = m_state;
  EventMask bit = mask_of(kind_of(e));
  if (st->counts[static_cast<int>(kind_of(e))] == 0) {
    return;
  }
  ++st->depth;
  Subscription::State::deliver(st->global, bit, e);
  if (const Process* p = process_of(e)) {
    auto it = st->by_process.find(p);
    if (it != st->by_process.end()) {
      Subscription::State::deliver(it->second, bit, e);
    }
  }
  if (--st->depth == 0 && st->dirty) {
    st->compact();
  }
}

bool EventBus::wanted(EventKind k) const { return m_state->counts[static_cast<int>(k)] != 0; }

void EventBus::set_interest_hook(EventKind k, InterestHook hook) {
  m_state->hooks[static_cast<int>(k)] = std::move(hook);
}

size_t EventBus::subscriber_count() const { return m_state->live; }

}  // namespace tend
