// ListenerPools: supervisord's event listener machinery on tend's event bus.
// One subscriber turns core events into listener events (events/payload.h)
// and hands each to the pools that subscribe to its type; a pool
// (events/pool.h) per [eventlistener:x] group comes and goes with the group
// (start-up, update, addProcessGroup/removeProcessGroup, restart).
//
// How an event reaches a listener:
//   bus --(one subscription)--> render once --> every pool that takes it:
//   serials, buffer --(deferred to the loop)--> Pool::dispatch -->
//   Commands::send_stdin (buffered by sys/pipe_writer) --> listener's stdin
// and back:
//   listener's stdout --> Process --> ProcessOutput on the bus
//   (subscribe_process, one per listener) --> Pool::feed --> the protocol
//   (events/listener_protocol.h) and the result handler.
// The listener's stdout also goes to its stdout_logfile as usual: the core
// logs it before the bus sees it.
//
// Contract: nothing is written to a listener while an event is delivered (a
// state change, an output chunk): dispatch runs from EventLoop::defer. The
// supervisor-wide serial lives as long as this object (run_daemon's), so it
// keeps counting across restarts, as supervisord's does.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/supervisor.h"
#include "events/payload.h"
#include "events/pool.h"
#include "events/result_handler.h"

namespace tend::events {

class ListenerPools {
 public:
  // `out`: where supervisor_stdout's handler prints (tend's stdout).
  explicit ListenerPools(Supervisor& sup, TextSink out = write_stdout);
  ~ListenerPools();
  ListenerPools(const ListenerPools&) = delete;
  ListenerPools& operator=(const ListenerPools&) = delete;

  // The pool of an [eventlistener:x] group, or nullptr.
  const Pool* pool(std::string_view name) const;
  size_t pool_count() const { return m_pools.size(); }
  // Calls fn(group name, pool) for every pool, in the order of their groups.
  template <typename Fn>
  void for_each_pool(Fn fn) const {
    for (const Entry& e : m_pools) {
      fn(std::string_view(e.group), *e.pool);
    }
  }

 private:
  struct Entry {
    std::string group;
    std::unique_ptr<Pool> pool;
    std::map<const Process*, EventBus::Subscription> outputs;  // each listener's stdout
  };

  void on_event(const Event& e);
  // Hands a rendered event to every pool that takes it.
  void fan_out(const Event& e);
  void group_added(std::string_view name);
  void group_removed(std::string_view name);
  void process_state(const ProcessStateChanged& e);
  void process_removed(const Process* p);
  void attach(Entry& entry, const Process& p);
  Entry* entry_of_group(std::string_view group);
  PoolSettings settings_of(const Group& g, const ProcessConfig& pc) const;
  ProcessFacts facts(const Process* p) const;
  // Subscribes to the kinds the pools need (PROCESS_LOG needs every output
  // chunk, TICK arms the ticker: neither is wanted without a pool for them).
  void resubscribe();
  void schedule_dispatch();
  void dispatch_all();

  Supervisor& m_sup;
  TextSink m_out;
  EventBus::Subscription m_sub;
  EventMask m_mask = 0;
  std::vector<Entry> m_pools;  // in the order the groups were added (supervisord's subscription order)
  int64_t m_serial = -1;       // the supervisor-wide event serial
  bool m_dispatch_scheduled = false;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace tend::events
