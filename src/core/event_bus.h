// EventBus: delivers each published Event to its subscribers, synchronously,
// in subscription order: first those subscribed by kind, then those
// subscribed to the process the event is about.
//
// Cost: publishing touches only the subscribers that want the event. Nothing
// is copied per delivery; a per-process subscription (an RPC wait) is not
// visited for other processes' events, so N waits over N processes cost O(N)
// in total, not O(N^2). wanted(kind) lets a publisher skip building an event
// nobody reads (output chunks).
//
// Re-entrancy: a handler may publish, subscribe and unsubscribe (itself
// included). A subscription made during a delivery sees only later events; an
// unsubscribed handler is never called again, even later in the same delivery.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/events.h"

namespace tend {

class EventBus {
 public:
  using Handler = std::function<void(const Event&)>;
  using InterestHook = std::function<void(bool wanted)>;

  // Unsubscribes when destroyed or reset(); safe after the bus is gone.
  class Subscription {
   public:
    Subscription() = default;
    ~Subscription() { reset(); }
    Subscription(Subscription&& o) noexcept;
    Subscription& operator=(Subscription&& o) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    void reset();
    bool active() const { return m_id != 0; }

   private:
    friend class EventBus;
    struct State;
    Subscription(std::weak_ptr<State> bus, uint64_t id, const Process* process)
        : m_bus(std::move(bus)), m_id(id), m_process(process) {}
    std::weak_ptr<State> m_bus;
    uint64_t m_id = 0;
    const Process* m_process = nullptr;
  };

  EventBus();
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Every event whose kind is in `kinds`.
  [[nodiscard]] Subscription subscribe(EventMask kinds, Handler h);
  // The events of `kinds` about `process` (process_of(e) == process).
  [[nodiscard]] Subscription subscribe_process(const Process* process, EventMask kinds, Handler h);

  void publish(const Event& e);
  bool wanted(EventKind k) const;
  // Called with true when `k` gets its first subscriber, false when it loses
  // its last (the ticker arms its timers only while someone listens).
  void set_interest_hook(EventKind k, InterestHook hook);

  size_t subscriber_count() const;

 private:
  std::shared_ptr<Subscription::State> m_state;
};

}  // namespace tend
