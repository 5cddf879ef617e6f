#include "events/listener_pools.h"

#include <algorithm>

#include "log/logger.h"

namespace tend::events {

namespace {

constexpr EventMask k_always = mask_of(EventKind::ProcessState) | mask_of(EventKind::Removed) |
                               mask_of(EventKind::GroupAdded) | mask_of(EventKind::GroupRemoved);

// The bus kind that carries each listener event type's source.
EventKind source_kind(EventType t) {
  switch (t) {
    case EventType::ProcessLogStdout:
    case EventType::ProcessLogStderr:
      return EventKind::Output;
    case EventType::ProcessCommunicationStdout:
    case EventType::ProcessCommunicationStderr:
      return EventKind::Communication;
    case EventType::SupervisorStateChangeRunning:
    case EventType::SupervisorStateChangeStopping:
      return EventKind::SupervisorState;
    case EventType::Tick5:
    case EventType::Tick60:
    case EventType::Tick3600:
      return EventKind::Tick;
    case EventType::RemoteCommunication:
      return EventKind::RemoteComm;
    case EventType::ProcessGroupAdded:
      return EventKind::GroupAdded;
    case EventType::ProcessGroupRemoved:
      return EventKind::GroupRemoved;
    default:
      return EventKind::ProcessState;
  }
}

void log_main(Level level, const std::string& msg) { main_logger().log(level, msg); }

}  // namespace

ListenerPools::ListenerPools(Supervisor& sup, TextSink out) : m_sup(sup), m_out(std::move(out)) { resubscribe(); }

ListenerPools::~ListenerPools() { *m_alive = false; }

const Pool* ListenerPools::pool(std::string_view name) const {
  for (const Entry& e : m_pools) {
    if (e.group == name) {
      return e.pool.get();
    }
  }
  return nullptr;
}

ListenerPools::Entry* ListenerPools::entry_of_group(std::string_view group) {
  for (Entry& e : m_pools) {
    if (e.group == group) {
      return &e;
    }
  }
  return nullptr;
}

void ListenerPools::resubscribe() {
  EventMask mask = k_always;
  for (const EventTypeInfo& t : event_types()) {
    if (t.abstract) {
      continue;
    }
    for (const Entry& e : m_pools) {
      if (e.pool->takes(t.type) > 0) {
        mask |= mask_of(source_kind(t.type));
      }
    }
  }
  if (mask == m_mask && m_sub.active()) {
    return;
  }
  m_mask = mask;
  // Subscribed before the old one goes, so no kind loses its last subscriber
  // in between (the ticker would start counting again).
  EventBus::Subscription next = m_sup.bus().subscribe(mask, [this](const Event& e) { on_event(e); });
  m_sub = std::move(next);
}

void ListenerPools::on_event(const Event& e) {
  switch (kind_of(e)) {
    case EventKind::GroupAdded:
      // The new pool sees its own PROCESS_GROUP_ADDED (supervisord subscribes
      // it before announcing the group).
      group_added(std::get<GroupAdded>(e).group);
      fan_out(e);
      break;
    case EventKind::GroupRemoved:
      group_removed(std::get<GroupRemoved>(e).group);
      fan_out(e);
      break;
    case EventKind::ProcessState:
      // The state event is buffered before a dead listener's event comes
      // back to the head, as in supervisord.
      fan_out(e);
      process_state(std::get<ProcessStateChanged>(e));
      break;
    case EventKind::Removed:
      process_removed(std::get<ProcessRemoved>(e).process);
      break;
    default:
      fan_out(e);
      break;
  }
  schedule_dispatch();
}

ProcessFacts ListenerPools::facts(const Process* p) const {
  bool listener = std::any_of(m_pools.begin(), m_pools.end(), [p](const Entry& e) { return e.outputs.count(p) != 0; });
  const ProcessConfig& c = p->config();
  // A listener's stdout is its protocol channel: supervisord never makes
  // PROCESS_LOG events of it.
  return ProcessFacts{p->name(), p->group(), p->pid(), c.stdout_ch.events_enabled && !listener,
                      c.stderr_ch.events_enabled};
}

void ListenerPools::fan_out(const Event& e) {
  if (m_pools.empty()) {
    return;
  }
  std::optional<Rendered> r;
  std::optional<int64_t> serial;
  std::shared_ptr<const std::string> payload;
  for (Entry& entry : m_pools) {
    if (!r) {
      r = render(e, [this](const Process* p) { return facts(p); }, m_sup.config().supervisord.strip_ansi);
      if (!r) {
        return;
      }
    }
    if (entry.pool->takes(r->type) == 0) {
      continue;
    }
    if (!serial) {
      serial = next_serial(m_serial);
      payload = std::make_shared<const std::string>(std::move(r->payload));
    }
    QueuedEvent q{r->type, payload, *serial};
    if (const auto* out = std::get_if<ProcessOutput>(&e)) {
      q.source = out->process;
      q.source_pid = out->process->pid();
      q.data_offset = payload->find('\n') + 1;
    }
    entry.pool->offer(std::move(q));
  }
}

PoolSettings ListenerPools::settings_of(const Group& g, const ProcessConfig& pc) const {
  PoolSettings s;
  s.name = g.name();
  for (const std::string& name : pc.events) {
    if (std::optional<EventType> t = find_event_type(name)) {
      s.subscriptions.push_back(*t);
    }
  }
  s.buffer_size = static_cast<size_t>(std::max(1, pc.buffer_size));
  s.server = m_sup.config().supervisord.identifier;
  return s;
}

void ListenerPools::group_added(std::string_view name) {
  const Group* g = m_sup.table().find_group(name);
  if (g == nullptr || g->cfg.kind != GroupConfig::Kind::EventListener || g->processes.empty() ||
      entry_of_group(name) != nullptr) {
    return;
  }
  Pool::Io io;
  io.send = [this](Pool::ListenerId id, std::string_view bytes) {
    const auto* p = static_cast<const Process*>(id);
    return m_sup.table().contains(p) && m_sup.commands().send_stdin(*p, bytes).ok();
  };
  io.log = log_main;
  io.handler = make_result_handler(g->cfg.result_handler, m_out);
  Entry entry{std::string(name), std::make_unique<Pool>(settings_of(*g, g->processes.front()->config()), io), {}};
  m_pools.push_back(std::move(entry));
  for (const auto& p : g->processes) {
    attach(m_pools.back(), *p);
  }
  resubscribe();
}

void ListenerPools::group_removed(std::string_view name) {
  auto it = std::find_if(m_pools.begin(), m_pools.end(), [name](const Entry& e) { return e.group == name; });
  if (it == m_pools.end()) {
    return;
  }
  m_pools.erase(it);
  resubscribe();
}

void ListenerPools::attach(Entry& entry, const Process& p) {
  if (entry.outputs.count(&p) != 0) {
    return;
  }
  const Process* key = &p;
  entry.pool->add_listener(key, p.name(), p.config().process_num);
  // A replaced process (update) may bring new events= or buffer_size=.
  if (const Group* g = m_sup.table().find_group(entry.group)) {
    entry.pool->set_settings(settings_of(*g, p.config()));
    resubscribe();
  }
  std::string group = entry.group;
  entry.outputs.emplace(key, m_sup.bus().subscribe_process(key, mask_of(EventKind::Output), [this, group, key](
                                                                                               const Event& e) {
    const auto& out = std::get<ProcessOutput>(e);
    if (out.channel != Stream::Stdout) {
      return;
    }
    if (Entry* en = entry_of_group(group)) {
      en->pool->feed(key, out.data);
      schedule_dispatch();
    }
  }));
  if (p.state() == ProcessState::Running) {
    entry.pool->listener_running(key, true);
  }
}

void ListenerPools::process_state(const ProcessStateChanged& e) {
  const Process* p = e.process;
  Entry* entry = entry_of_group(p->group());
  if (entry == nullptr) {
    return;
  }
  attach(*entry, *p);  // a process added to the group later (update, numprocs)
  Pool& pool = *entry->pool;
  switch (e.to) {
    case ProcessState::Starting:
      pool.listener_spawned(p);
      pool.listener_running(p, false);
      break;
    case ProcessState::Running:
      pool.listener_running(p, true);
      break;
    case ProcessState::Stopping:
      pool.listener_running(p, false);
      break;
    default:  // STOPPED, EXITED, BACKOFF, FATAL, UNKNOWN: the pid is gone
      pool.listener_exited(p);
      break;
  }
}

void ListenerPools::process_removed(const Process* p) {
  for (Entry& entry : m_pools) {
    if (entry.outputs.erase(p) != 0) {
      entry.pool->remove_listener(p);
    }
  }
}

void ListenerPools::schedule_dispatch() {
  if (m_dispatch_scheduled) {
    return;
  }
  bool wanted = std::any_of(m_pools.begin(), m_pools.end(), [](const Entry& e) { return e.pool->can_dispatch(); });
  if (!wanted) {
    return;
  }
  m_dispatch_scheduled = true;
  m_sup.loop().defer([this, alive = std::weak_ptr<bool>(m_alive)] {
    if (auto a = alive.lock(); a && *a) {
      m_dispatch_scheduled = false;
      dispatch_all();
    }
  });
}

void ListenerPools::dispatch_all() {
  for (Entry& e : m_pools) {
    if (e.pool->can_dispatch()) {
      e.pool->dispatch();
    }
  }
}

}  // namespace tend::events
