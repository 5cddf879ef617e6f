#include "health/checks.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "health/loop_prober.h"
#include "health/notify_message.h"
#include "log/logger.h"

namespace tend::health {

namespace {

// A readiness probe attempt may take this long (or ready_interval, if longer)
// before it counts as failed; an exec probe is then killed. ready_timeout
// still bounds the whole wait.
constexpr double k_ready_attempt_timeout_s = 5;
// Strangers (health/sender.h) logged per run; more are dropped silently.
constexpr size_t k_strangers_logged = 16;

bool is_probe(ProbeSpec::Kind k) {
  return k == ProbeSpec::Kind::Tcp || k == ProbeSpec::Kind::Http || k == ProbeSpec::Kind::Exec ||
         k == ProbeSpec::Kind::File;
}

// The states in which the run's process is alive (there is a pid).
bool alive_state(ProcessState s) { return is_signallable_state(s) || s == ProcessState::Unknown; }

std::string seconds_text(double s) { return fmt::format("{}s", s); }

const char* action_words(HealthAction a) {
  switch (a) {
    case HealthAction::Restart:
      return "restarting it (healthcheck_action=restart)";
    case HealthAction::Stop:
      return "stopping it (healthcheck_action=stop)";
    case HealthAction::Shutdown:
      return "shutting tend down (healthcheck_action=shutdown)";
    case HealthAction::None:
      return "no action (healthcheck_action=none)";
  }
  return "no action";
}

}  // namespace

struct Checks::Run {
  const Process* process = nullptr;
  uint64_t id = 0;
  ProbeSpec ready;              // this run's readiness check
  bool spawned = false;         // the spawn hook ran and the spawn succeeded
  bool ready_reported = false;  // report_ready is on its way (or done)
  std::string last_ready_error;  // the readiness check's last failure, for the timeout's log line
  std::unique_ptr<NotifySocket> notify;
  std::unique_ptr<NotificationPipe> pipe;
  std::unique_ptr<ProbeLoop> ready_probe;
  double watchdog_s = 0;     // 0: none
  bool watching = false;     // ready and not stopping: the watchdog counts
  EventLoop::TimerId watchdog_timer = 0;
  std::unique_ptr<HealthTracker> tracker;
  std::unique_ptr<ProbeLoop> health_probe;
  MonoTime start_period_end{};  // failures before this do not count (until a pass)
  std::set<pid_t> strangers;  // already logged
};

Checks::Checks(Supervisor& sup, Options opts)
    : m_sup(sup), m_loop(sup.loop()), m_prober(opts.prober), m_parent_of(std::move(opts.parent_of)) {
  if (m_prober == nullptr) {
    m_own_prober = std::make_unique<LoopProber>(m_loop, [&sup](pid_t pid, std::function<void(int)> on_exit) {
      sup.watch_child(pid, std::move(on_exit));
    });
    m_prober = m_own_prober.get();
  }
  if (!m_parent_of) {
    m_parent_of = proc_parent_of();
  }
  m_sub = m_sup.bus().subscribe(
      mask_of(EventKind::ProcessState) | mask_of(EventKind::Readiness) | mask_of(EventKind::Removed),
      [this](const Event& e) { on_event(e); });
  m_hook = m_sup.add_spawn_hook([this](const Process& p, SpawnSpec& spec) { prepare_spawn(p, spec); });
}

Checks::~Checks() {
  *m_alive = false;
  m_sup.remove_spawn_hook(m_hook);
  for (auto& [p, run] : m_runs) {
    m_loop.cancel_timer(run->watchdog_timer);
  }
}

std::string Checks::notify_address(const Process& p) const {
  auto it = m_runs.find(&p);
  return it != m_runs.end() && it->second->notify ? it->second->notify->address() : std::string();
}

// --- the bus ----------------------------------------------------------------------

void Checks::on_event(const Event& e) {
  if (const auto* s = std::get_if<ProcessStateChanged>(&e)) {
    on_state(*s);
  } else if (const auto* r = std::get_if<ProcessReadiness>(&e)) {
    if (r->ready) {
      on_ready(r->process);
    }
  } else if (const auto* gone = std::get_if<ProcessRemoved>(&e)) {
    end_run(gone->process);
    m_s6.erase(gone->process);
  }
}

void Checks::on_state(const ProcessStateChanged& e) {
  const Process* p = e.process;
  if (e.to == ProcessState::Starting) {
    begin_run(p);
    return;
  }
  auto it = m_runs.find(p);
  if (it == m_runs.end()) {
    return;
  }
  Run& run = *it->second;
  if (e.to == ProcessState::Running) {
    return;  // ready comes as ProcessReadiness
  }
  if (alive_state(e.to)) {  // STOPPING, UNKNOWN
    if (e.from == ProcessState::Starting && p->fsm().fsm_state() == FsmState::FailedStart) {
      log_not_ready(run);
    }
    quiet(run);
    return;
  }
  bool spawned = run.spawned;
  end_run(p);
  if (spawned) {
    s6_announce(p, 'd');
  }
}

void Checks::begin_run(const Process* p) {
  end_run(p);
  const ProcessConfig& cfg = p->config();
  bool checked = cfg.ready.kind != ProbeSpec::Kind::Running && cfg.ready.kind != ProbeSpec::Kind::None;
  if (!checked && cfg.healthcheck.kind == ProbeSpec::Kind::None) {
    return;  // supervisord's rules only: nothing to do for this program
  }
  auto run = std::make_unique<Run>();
  run->process = p;
  run->id = m_next_run++;
  run->ready = cfg.ready;
  if (cfg.ready.kind == ProbeSpec::Kind::Notify) {
    run->watchdog_s = cfg.watchdog_sec;
  }
  Run& r = *run;
  m_runs[p] = std::move(run);
  // A new run: what the last one said about itself no longer holds.
  if (p->notes().status.size() != 0 || p->notes().health != ProcessNotes::Health::Unknown ||
      !p->notes().health_detail.empty()) {
    m_sup.commands().annotate(*p, [](ProcessNotes& n) {
      n.status.clear();
      n.health = ProcessNotes::Health::Unknown;
      n.health_detail.clear();
    });
  }
  if (is_probe(cfg.ready.kind)) {
    ProbeLoop::Timing t;
    t.first_delay = Duration::zero();  // runs after this batch, i.e. after the spawn
    t.interval = seconds_d(cfg.ready_interval);
    t.timeout = seconds_d(std::max(k_ready_attempt_timeout_s, cfg.ready_interval));
    uint64_t id = r.id;
    r.ready_probe = std::make_unique<ProbeLoop>(m_loop, *m_prober, cfg.ready, context_of(*p), t,
                                                [this, p, id](const ProbeResult& res) { ready_probe_result(p, id, res); });
  }
}

Checks::Run* Checks::current(const Process* p, uint64_t run_id) {
  auto it = m_runs.find(p);
  return it != m_runs.end() && it->second->id == run_id ? it->second.get() : nullptr;
}

void Checks::quiet(Run& run) {
  run.ready_probe.reset();
  run.pipe.reset();
  run.health_probe.reset();
  run.watching = false;
  m_loop.cancel_timer(run.watchdog_timer);
  run.watchdog_timer = 0;
}

void Checks::end_run(const Process* p) {
  auto it = m_runs.find(p);
  if (it == m_runs.end()) {
    return;
  }
  // Out of the map first: destroying a socket or probe must not find its run.
  std::unique_ptr<Run> run = std::move(it->second);
  m_runs.erase(it);
  quiet(*run);
}

// --- spawn ------------------------------------------------------------------------

void Checks::prepare_spawn(const Process& p, SpawnSpec& spec) {
  auto it = m_runs.find(&p);
  if (it == m_runs.end()) {
    return;  // STARTING comes first; nothing to add without a run
  }
  Run& run = *it->second;
  if (run.ready.kind == ProbeSpec::Kind::Notify) {
    open_notify(run, spec);
  } else if (run.ready.kind == ProbeSpec::Kind::Fd) {
    open_pipe(run, spec);
  }
  // The spawn happens right after this hook returns.
  uint64_t id = run.id;
  m_loop.defer([this, alive = std::weak_ptr<bool>(m_alive), ptr = &p, id] {
    if (!alive.expired()) {
      after_spawn(ptr, id);
    }
  });
}

void Checks::open_notify(Run& run, SpawnSpec& spec) {
  const Process* p = run.process;
  uint64_t id = run.id;
  Result<std::unique_ptr<NotifySocket>> s =
      NotifySocket::open(m_loop, p->name(), [this, p, id](const NotifySocket::Datagram& d) { on_datagram(p, id, d); });
  if (!s) {
    run.last_ready_error = s.error();
    main_logger().error("{}: {}", p->name(), s.error());
    return;
  }
  run.notify = std::move(*s);
  spec.extra_env.emplace_back("NOTIFY_SOCKET", run.notify->address());
  if (run.watchdog_s > 0) {
    // What sd_watchdog_enabled() reads: without it most programs never ping.
    spec.extra_env.emplace_back("WATCHDOG_USEC", std::to_string(std::llround(run.watchdog_s * 1e6)));
  }
}

void Checks::open_pipe(Run& run, SpawnSpec& spec) {
  const Process* p = run.process;
  const ProcessConfig& cfg = p->config();
  if (cfg.directory && m_s6.find(p) == m_s6.end()) {
    Result<std::unique_ptr<S6ServiceDir>> claimed = S6ServiceDir::claim(*cfg.directory);
    if (!claimed) {
      main_logger().warn("{}: {}", p->name(), claimed.error());
    } else {
      if (*claimed) {
        std::optional<int> n = read_notification_fd_file(*cfg.directory);
        if (n && *n != run.ready.fd) {
          main_logger().warn("{}: {}/notification-fd says {}, but ready = fd:{}", p->name(), *cfg.directory, *n,
                             run.ready.fd);
        }
      }
      m_s6[p] = std::move(*claimed);
    }
  }
  uint64_t id = run.id;
  Result<std::unique_ptr<NotificationPipe>> pipe =
      NotificationPipe::open(m_loop, [this, p, id](NotificationPipe::Outcome o) {
        Run* r = current(p, id);
        if (r == nullptr) {
          return;
        }
        if (o == NotificationPipe::Outcome::Ready) {
          mark_ready(*r);
        } else {
          r->last_ready_error = fmt::format("fd {} was closed without a newline", r->ready.fd);
        }
      });
  if (!pipe) {
    run.last_ready_error = pipe.error();
    main_logger().error("{}: {}", p->name(), pipe.error());
    return;
  }
  run.pipe = std::move(*pipe);
  spec.extra_fds.push_back({run.ready.fd, run.pipe->child_end()});
}

void Checks::after_spawn(const Process* p, uint64_t run_id) {
  Run* run = current(p, run_id);
  if (run == nullptr) {
    return;
  }
  if (run->pipe) {
    run->pipe->close_child_end();
  }
  if (p->pid() != 0 && alive_state(p->state())) {
    run->spawned = true;
    s6_announce(p, 'u');
  }
}

// --- readiness --------------------------------------------------------------------

void Checks::on_datagram(const Process* p, uint64_t run_id, const NotifySocket::Datagram& d) {
  Run* run = current(p, run_id);
  if (run == nullptr) {
    return;
  }
  Sender who = classify_sender(d.pid, p->pid(), m_parent_of);
  if (who == Sender::Stranger || who == Sender::Gone) {
    if (run->strangers.size() < k_strangers_logged && run->strangers.insert(d.pid).second) {
      main_logger().warn("{}: dropped a message on its notify socket from pid {}: {}", p->name(), d.pid,
                         sender_name(who));
    }
    return;
  }
  if (d.truncated) {
    main_logger().warn("{}: dropped a notify message longer than {} bytes", p->name(), NotifySocket::k_max_datagram);
    return;
  }
  NotifyMessage m = parse_notify_message(d.text);
  for (const std::string& problem : m.problems) {
    main_logger().debug("{}: notify message: skipped {}", p->name(), problem);
  }
  if (m.status) {
    std::string status = *m.status;
    m_sup.commands().annotate(*p, [&status](ProcessNotes& n) { n.status = status; });
  }
  if (m.stopping) {
    main_logger().info("{}: the program says it is stopping (STOPPING=1)", p->name());
  }
  if (m.reloading) {
    main_logger().info("{}: the program says it is reloading (RELOADING=1)", p->name());
  }
  // Everything below acts on the run; annotate may have reached subscribers.
  run = current(p, run_id);
  if (run == nullptr) {
    return;
  }
  if (m.extend_timeout_usec && p->state() == ProcessState::Starting && !run->ready_reported) {
    double seconds = static_cast<double>(*m.extend_timeout_usec) / 1e6;
    main_logger().info("{}: ready deadline extended to {} from now (EXTEND_TIMEOUT_USEC)", p->name(),
                       seconds_text(seconds));
    m_loop.defer([this, alive = std::weak_ptr<bool>(m_alive), p, run_id, seconds] {
      if (!alive.expired() && current(p, run_id) != nullptr) {
        m_sup.commands().extend_ready_timeout(*p, seconds);
      }
    });
  }
  if (m.watchdog_usec) {
    run->watchdog_s = static_cast<double>(*m.watchdog_usec) / 1e6;
    arm_watchdog(*run);
  }
  if (m.watchdog_ping) {
    arm_watchdog(*run);
  }
  if (m.watchdog_trigger && run->watching) {
    watchdog_expired(p, run_id, "the program asked for it (WATCHDOG=trigger)");
    return;
  }
  if (m.ready) {
    mark_ready(*run);
  }
}

void Checks::ready_probe_result(const Process* p, uint64_t run_id, const ProbeResult& r) {
  Run* run = current(p, run_id);
  if (run == nullptr) {
    return;
  }
  if (!r.passed) {
    run->last_ready_error = r.error;
    return;
  }
  mark_ready(*run);
}

void Checks::mark_ready(Run& run) {
  if (run.ready_reported) {
    return;
  }
  run.ready_reported = true;
  run.ready_probe.reset();  // may be the caller: ProbeLoop allows it
  run.pipe.reset();         // likewise NotificationPipe
  const Process* p = run.process;
  uint64_t id = run.id;
  m_loop.defer([this, alive = std::weak_ptr<bool>(m_alive), p, id] {
    if (!alive.expired() && current(p, id) != nullptr && p->state() == ProcessState::Starting) {
      m_sup.commands().report_ready(*p);
    }
  });
}

void Checks::log_not_ready(const Run& run) {
  const Process* p = run.process;
  std::string last = run.last_ready_error;
  if (last.empty()) {
    switch (run.ready.kind) {
      case ProbeSpec::Kind::Notify:
        last = "no READY=1 on NOTIFY_SOCKET";
        if (!p->notes().status.empty()) {
          last += fmt::format(" (last STATUS={})", p->notes().status);
        }
        break;
      case ProbeSpec::Kind::Fd:
        last = fmt::format("no newline on fd {}", run.ready.fd);
        break;
      default:
        last = "no attempt finished";
        break;
    }
  }
  main_logger().warn("{}: readiness check {} did not pass in time: {}", p->name(), describe_probe(run.ready), last);
}

void Checks::on_ready(const Process* p) {
  auto it = m_runs.find(p);
  if (it == m_runs.end()) {
    return;
  }
  Run& run = *it->second;
  run.ready_reported = true;
  run.ready_probe.reset();
  run.pipe.reset();
  run.watching = true;
  arm_watchdog(run);
  s6_announce(p, 'U');
  const ProcessConfig& cfg = p->config();
  if (cfg.healthcheck.kind == ProbeSpec::Kind::None) {
    return;
  }
  if (!is_probe(cfg.healthcheck.kind)) {
    main_logger().warn("{}: healthcheck {} is not a probe; not checking", p->name(), describe_probe(cfg.healthcheck));
    return;
  }
  run.tracker = std::make_unique<HealthTracker>(cfg.healthcheck_retries);
  run.start_period_end = m_loop.now() + seconds_d(cfg.healthcheck_start_period);
  ProbeLoop::Timing t;
  t.first_delay = Duration::zero();  // at once: a dependent waiting for `healthy` need not wait longer
  t.interval = seconds_d(cfg.healthcheck_interval);
  t.timeout = seconds_d(cfg.healthcheck_timeout);
  uint64_t id = run.id;
  run.health_probe = std::make_unique<ProbeLoop>(m_loop, *m_prober, cfg.healthcheck, context_of(*p), t,
                                                 [this, p, id](const ProbeResult& r) { health_result(p, id, r); });
}

// --- watchdog ---------------------------------------------------------------------

void Checks::arm_watchdog(Run& run) {
  m_loop.cancel_timer(run.watchdog_timer);
  run.watchdog_timer = 0;
  if (!run.watching || run.watchdog_s <= 0) {
    return;
  }
  const Process* p = run.process;
  uint64_t id = run.id;
  double s = run.watchdog_s;
  run.watchdog_timer = m_loop.add_timer_after(seconds_d(s), [this, p, id, s] {
    if (Run* r = current(p, id)) {
      r->watchdog_timer = 0;
      watchdog_expired(p, id, fmt::format("no WATCHDOG=1 for {}", seconds_text(s)));
    }
  });
}

void Checks::watchdog_expired(const Process* p, uint64_t run_id, const std::string& why) {
  Run* run = current(p, run_id);
  if (run == nullptr) {
    return;
  }
  run->watching = false;
  m_loop.cancel_timer(run->watchdog_timer);
  run->watchdog_timer = 0;
  main_logger().warn("{}: watchdog timeout: {}; restarting it", p->name(), why);
  act_later(p, run_id, Action::Restart, fmt::format("watchdog timeout of {}", p->name()));
}

// --- health -----------------------------------------------------------------------

void Checks::health_result(const Process* p, uint64_t run_id, const ProbeResult& r) {
  Run* run = current(p, run_id);
  if (run == nullptr || !run->tracker) {
    return;
  }
  bool changed = run->tracker->record(r, m_loop.now() < run->start_period_end);
  ProcessNotes::Health health = run->tracker->health();
  std::string detail = run->tracker->detail();
  // annotate publishes ProcessHealth when the verdict changed; from here on
  // only these copies are used (a subscriber may have stopped the process).
  if (health != p->notes().health || detail != p->notes().health_detail) {
    m_sup.commands().annotate(*p, [&](ProcessNotes& n) {
      n.health = health;
      n.health_detail = detail;
    });
  }
  if (!changed) {
    return;
  }
  std::string check = describe_probe(p->config().healthcheck);
  if (health == ProcessNotes::Health::Healthy) {
    main_logger().info("{}: healthy (health check {} passed)", p->name(), check);
    return;
  }
  HealthAction action = p->config().healthcheck_action;
  main_logger().warn("{}: unhealthy ({}; health check {}); {}", p->name(), detail, check, action_words(action));
  std::string reason = fmt::format("{} is unhealthy ({})", p->name(), detail);
  switch (action) {
    case HealthAction::Restart:
      act_later(p, run_id, Action::Restart, reason);
      break;
    case HealthAction::Stop:
      act_later(p, run_id, Action::Stop, reason);
      break;
    case HealthAction::Shutdown:
      act_later(p, run_id, Action::Shutdown, reason);
      break;
    case HealthAction::None:
      break;
  }
}

// --- actions ----------------------------------------------------------------------

void Checks::act_later(const Process* p, uint64_t run_id, Action action, std::string reason) {
  m_loop.defer([this, alive = std::weak_ptr<bool>(m_alive), p, run_id, action, reason = std::move(reason)] {
    if (alive.expired() || current(p, run_id) == nullptr || !m_sup.commands().accepting()) {
      return;  // that run is over (or tend is stopping): nothing left to act on
    }
    act(p, action, reason);
  });
}

void Checks::act(const Process* p, Action action, const std::string& reason) {
  Commands& commands = m_sup.commands();
  std::string name = p->name();
  auto report = [name](const char* what) {
    return [name, what](CommandResult r) {
      if (!r.ok()) {
        main_logger().warn("unable to {} {}: {}{}{}", what, name, refusal_name(r.refusal),
                           r.detail.empty() ? "" : ": ", r.detail);
      }
    };
  };
  switch (action) {
    case Action::Restart: {
      std::weak_ptr<bool> alive = m_alive;
      Waiter then_start;
      then_start.done = [this, alive, p, name, report](CommandResult r) {
        if (alive.expired()) {
          return;
        }
        if (!r.ok()) {
          report("stop")(r);
          return;
        }
        // Still that process (not another one since allocated at its address)?
        if (m_sup.table().contains(p) && p->name() == name && m_sup.commands().accepting()) {
          m_sup.commands().start(*p, false, Waiter{report("start")});
        }
      };
      then_start.wanted = [alive] { return !alive.expired(); };
      commands.stop(*p, true, std::move(then_start));
      break;
    }
    case Action::Stop:
      commands.stop(*p, false, Waiter{report("stop")});
      break;
    case Action::Shutdown:
      // tend's exit status says the container died of an unhealthy program.
      m_sup.set_exit_code(1);
      m_sup.request_shutdown(reason);
      break;
  }
}

// --- helpers ----------------------------------------------------------------------

ProbeContext Checks::context_of(const Process& p) {
  const ProcessConfig& cfg = p.config();
  ProbeContext ctx;
  ctx.name = p.name();
  ctx.directory = cfg.directory;
  ctx.exec.inherited = m_sup.inherited_environment(cfg);
  ctx.exec.configured = m_sup.configured_environment(cfg);
  ctx.exec.uid = cfg.uid;
  ctx.exec.directory = cfg.directory;
  ctx.exec.umask = cfg.umask;
  ctx.exec.search_path = env_get(ctx.exec.configured, "PATH", env_get(ctx.exec.inherited, "PATH"));
  return ctx;
}

void Checks::s6_announce(const Process* p, char event) const {
  if (auto it = m_s6.find(p); it != m_s6.end() && it->second) {
    it->second->announce(event);
  }
}

}  // namespace tend::health
