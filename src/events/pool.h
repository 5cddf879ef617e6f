// Pool: one [eventlistener:x] group as supervisord's EventListenerPool: the
// event types it subscribes to, a bounded buffer of events, and the protocol
// state of each listener process. Pure: it reaches its listeners only through
// Io, so tests drive it without processes.
//
// Contract (supervisord 4.2.5, process.py):
//  - offer(): an event joins the tail of the buffer and gets the pool's next
//    serial the first time this pool takes it; it keeps both serials when it
//    comes back (rejected, or its listener died). A full buffer
//    (buffer_size) first drops its oldest event, logged at ERRO as
//    "pool <name> event buffer overflowed, discarding event <serial>".
//    Deliberate difference: when the buffer is full and the newest buffered
//    event is a PROCESS_LOG chunk of the same process run and channel, the
//    new chunk's data is appended to it (up to k_max_merged_log bytes)
//    instead. A program that writes faster than its listener acknowledges
//    then loses nothing; supervisord, which reads one chunk per loop pass,
//    rarely overflows there, and tend, which reads as fast as the program
//    writes, would otherwise discard most of a burst.
//  - dispatch(): while events are buffered, the oldest goes to the first
//    listener (in process_num order) that is RUNNING and READY; it becomes
//    BUSY with it. Events wait while no listener is ready.
//  - An event comes back to the head of the buffer when its listener rejects
//    it, answers with a bad result line, makes the result handler fail, or
//    exits while BUSY. A listener starts every run ACKNOWLEDGED.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/event_types.h"
#include "events/listener_protocol.h"

namespace tend::events {

struct PoolSettings {
  std::string name;
  std::vector<EventType> subscriptions;  // as configured (events=), in order
  size_t buffer_size = 10;
  std::string server;  // [supervisord] identifier, for the envelope
};

struct QueuedEvent {
  EventType type;
  std::shared_ptr<const std::string> payload;  // shared by the pools that take it
  int64_t serial;                              // the supervisor-wide serial
  int64_t pool_serial = -1;                    // set when the pool first takes it
  // PROCESS_LOG_* only: the process (opaque) and pid whose output it is, and
  // where the data starts in the payload (after the header line).
  const void* source = nullptr;
  int64_t source_pid = 0;
  size_t data_offset = 0;
};

// The most data a merged PROCESS_LOG event carries (see Pool).
constexpr size_t k_max_merged_log = 256 * 1024;

class Pool {
 public:
  // A listener as the pool knows it: an opaque key (the Process) and a name.
  using ListenerId = const void*;
  struct Io {
    // Writes bytes to the listener's stdin; false when that failed (nothing sent).
    std::function<bool(ListenerId, std::string_view)> send;
    std::function<void(Level, const std::string&)> log;
    ListenerProtocol::Handler handler;  // the result handler of this pool
  };

  Pool(PoolSettings settings, Io io);

  const PoolSettings& settings() const { return m_settings; }
  // New settings from an updated configuration (events=, buffer_size=);
  // the buffer keeps its events.
  void set_settings(PoolSettings settings) { m_settings = std::move(settings); }

  // How many times the pool takes an event of type `t`: once per subscription
  // that covers it. supervisord subscribes once per name in events=, so a
  // pool subscribed to both PROCESS_STATE and PROCESS_STATE_RUNNING takes
  // (and sends) each RUNNING event twice.
  int takes(EventType t) const;
  // Buffers `ev` takes(ev.type) times (no time: false, nothing changes).
  bool offer(QueuedEvent ev);

  // --- listeners ---
  // `order`: the process_num, which orders dispatch.
  void add_listener(ListenerId id, std::string name, int order);
  void remove_listener(ListenerId id);
  bool has_listener(ListenerId id) const { return find(id) != nullptr; }
  // A new run began (STARTING): ACKNOWLEDGED, nothing buffered.
  void listener_spawned(ListenerId id);
  // The listener is (no longer) RUNNING.
  void listener_running(ListenerId id, bool running);
  // The listener's pid is gone: its event, if any, goes back to the head.
  void listener_exited(ListenerId id);
  // Bytes the listener wrote on stdout.
  void feed(ListenerId id, std::string_view data);

  // Whether dispatch() would send something now.
  bool can_dispatch() const;
  void dispatch();

  // --- for tests and status ---
  const std::deque<QueuedEvent>& buffer() const { return m_buffer; }
  ListenerState listener_state(ListenerId id) const;

 private:
  struct Listener {
    ListenerId id;
    std::string name;
    int order;
    bool running = false;
    std::unique_ptr<ListenerProtocol> protocol;
    std::optional<QueuedEvent> event;  // the event it is BUSY with
  };
  Listener* find(ListenerId id);
  const Listener* find(ListenerId id) const;
  // The event goes back to the head of the buffer (supervisord's rebuffering).
  void requeue(QueuedEvent ev);
  void push(QueuedEvent ev, bool head);
  // Appends a log chunk to the newest buffered chunk of the same source when
  // the buffer is full; true when it did.
  bool merge_into_tail(const QueuedEvent& ev);
  bool send_to_ready(const QueuedEvent& ev);

  PoolSettings m_settings;
  Io m_io;
  int64_t m_serial = -1;
  std::deque<QueuedEvent> m_buffer;
  std::vector<Listener> m_listeners;  // by `order`
};

// The next value of a serial that counts 0, 1, ... and wraps after INT64_MAX
// to 0 (supervisord wraps at sys.maxsize).
int64_t next_serial(int64_t& serial);

}  // namespace tend::events
