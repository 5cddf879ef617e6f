#include "core/commands.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/dependency_scheduler.h"
#include "core/spawn.h"
#include "core/supervisor.h"
#include "log/logger.h"

namespace tend {

namespace {
// supervisord repeats "waiting for x to stop" this often while a stop waits.
constexpr double k_stop_report_interval_s = 2.0;
}  // namespace

const char* refusal_name(Refusal r) {
  switch (r) {
    case Refusal::None:
      return "none";
    case Refusal::BadName:
      return "bad name";
    case Refusal::AlreadyStarted:
      return "already started";
    case Refusal::NotRunning:
      return "not running";
    case Refusal::SpawnError:
      return "spawn error";
    case Refusal::NoFile:
      return "no file";
    case Refusal::NotExecutable:
      return "not executable";
    case Refusal::UnknownState:
      return "unknown state";
    case Refusal::AbnormalTermination:
      return "abnormal termination";
    case Refusal::ShuttingDown:
      return "shutting down";
    case Refusal::StillRunning:
      return "still running";
    case Refusal::AlreadyAdded:
      return "already added";
    case Refusal::CantReread:
      return "can't reread";
    case Refusal::Failed:
      return "failed";
  }
  return "failed";
}

Commands::Commands(Supervisor& sup, EventLoop& loop) : m_sup(sup), m_loop(loop) {}

Commands::~Commands() {
  *m_alive = false;
  for (auto& [id, w] : m_waits) {
    m_loop.cancel_timer(w.report_timer);
  }
}

bool Commands::accepting() const { return m_sup.state() == SupervisorState::Running; }

// --- processes ----------------------------------------------------------------

void Commands::start(const Process& target, bool wait, Waiter w) {
  Process* p = m_sup.table_mut().mutable_process(&target);
  if (p == nullptr) {
    w.done(CommandResult::refused(Refusal::BadName));
    return;
  }
  // A command that cannot run fails now instead of after startretries spawns.
  const ProcessConfig& cfg = p->config();
  EnvList configured = m_sup.configured_environment(cfg);
  std::string search_path = env_get(configured, "PATH", env_get(m_sup.inherited_environment(cfg), "PATH"));
  Result<ResolvedCommand> cmd = resolve_command(cfg.command, search_path);
  if (!cmd) {
    bool missing = cmd.error().rfind("can't find command", 0) == 0;
    w.done(CommandResult::refused(missing ? Refusal::NoFile : Refusal::NotExecutable, cmd.error()));
    return;
  }
  if (p->fsm().accepts_start()) {
    DependencyScheduler::StartDecision d = m_sup.dependencies().request_start(*p);
    if (!d.refusal.empty()) {
      w.done(CommandResult::refused(Refusal::Failed, d.refusal));
      return;
    }
    if (d.held) {
      if (!wait) {
        w.done(CommandResult::success());
      } else {
        wait_for(*p, WaitFor::Running, std::move(w));
      }
      return;
    }
  }
  FsmReply r = p->start();
  switch (r.answer) {
    case FsmAnswer::AlreadyStarted:
      w.done(CommandResult::refused(Refusal::AlreadyStarted));
      return;
    case FsmAnswer::UnknownState:
      w.done(CommandResult::refused(Refusal::UnknownState));
      return;
    case FsmAnswer::StillStopping:
      // The old pid is still there; supervisord answers as if started and
      // a wait sees that it is not STARTING.
      w.done(wait ? CommandResult::refused(Refusal::AbnormalTermination) : CommandResult::success());
      return;
    default:
      break;
  }
  if (!p->fsm().spawnerr().empty()) {
    w.done(CommandResult::refused(Refusal::SpawnError, p->fsm().spawnerr()));
    return;
  }
  if (!wait || p->state() == ProcessState::Running) {
    w.done(CommandResult::success());
    return;
  }
  wait_for(*p, WaitFor::Running, std::move(w));
}

void Commands::start_together(std::vector<StartItem> items, bool wait) {
  std::vector<const Process*> set;
  set.reserve(items.size());
  for (const StartItem& item : items) {
    set.push_back(item.process);
  }
  for (size_t k : m_sup.dependencies().start_order(set)) {
    start(*items[k].process, wait, std::move(items[k].waiter));
  }
}

void Commands::stop(const Process& target, bool wait, Waiter w) {
  Process* p = m_sup.table_mut().mutable_process(&target);
  if (p == nullptr) {
    w.done(CommandResult::refused(Refusal::BadName));
    return;
  }
  if (m_sup.dependencies().cancel(*p)) {
    w.done(CommandResult::success());
    return;
  }
  FsmReply r = p->stop();
  if (r.answer == FsmAnswer::NotRunning) {
    w.done(CommandResult::refused(Refusal::NotRunning, r.error));
    return;
  }
  if (!wait || is_stopped_state(p->state())) {
    w.done(CommandResult::success());
    return;
  }
  stop_report(wait_for(*p, WaitFor::Stopped, std::move(w)));
}

void Commands::stop_together(std::vector<StopItem> items, bool wait) {
  std::vector<const Process*> set;
  for (const StopItem& item : items) {
    if (m_sup.table().contains(item.process)) {
      set.push_back(item.process);
    }
  }
  std::vector<const Process*> deferred = m_sup.dependencies().defer_stops(set);
  std::vector<StopItem> later;
  for (StopItem& item : items) {
    if (std::find(deferred.begin(), deferred.end(), item.process) == deferred.end()) {
      stop(*item.process, wait, std::move(item.waiter));
    } else {
      later.push_back(std::move(item));
    }
  }
  // The scheduler stops these in their turn; a wait answers once each is down.
  for (StopItem& item : later) {
    if (!wait) {
      item.waiter.done(CommandResult::success());
    } else {
      stop_report(wait_for(*item.process, WaitFor::Stopped, std::move(item.waiter)));
    }
  }
}

CommandResult Commands::signal(const Process& target, int sig) {
  Process* p = m_sup.table_mut().mutable_process(&target);
  if (p == nullptr) {
    return CommandResult::refused(Refusal::BadName);
  }
  FsmReply r = p->signal(sig);
  switch (r.answer) {
    case FsmAnswer::Done:
      return CommandResult::success();
    case FsmAnswer::NotRunning:
      return CommandResult::refused(Refusal::NotRunning, r.error);
    default:
      return CommandResult::refused(Refusal::Failed, r.error);
  }
}

CommandResult Commands::send_stdin(const Process& target, std::string_view data) {
  Process* p = m_sup.table_mut().mutable_process(&target);
  if (p == nullptr) {
    return CommandResult::refused(Refusal::BadName);
  }
  if (p->pid() == 0 || p->state() == ProcessState::Stopping) {
    return CommandResult::refused(Refusal::NotRunning);
  }
  if (Status st = p->write_stdin(data); !st) {
    // A closed stdin is NO_FILE, as in supervisord; a refusal (too much is
    // waiting for a slow reader) is tend's own and says why.
    return CommandResult::refused(p->stdin_open() ? Refusal::Failed : Refusal::NoFile, st.error());
  }
  return CommandResult::success();
}

CommandResult Commands::clear_logs(const Process& target) {
  Process* p = m_sup.table_mut().mutable_process(&target);
  if (p == nullptr) {
    return CommandResult::refused(Refusal::BadName);
  }
  for (Stream s : {Stream::Stdout, Stream::Stderr}) {
    OutputChannel* ch = p->sink(s);
    if (ch != nullptr && ch->file() != nullptr) {
      if (Status st = ch->clear(); !st) {
        main_logger().error("{}", st.error());
        return CommandResult::refused(Refusal::Failed, st.error());
      }
    }
  }
  m_sup.bus().publish(ProcessLogsCleared{p});
  return CommandResult::success();
}

void Commands::report_ready(const Process& target) {
  if (Process* p = m_sup.table_mut().mutable_process(&target)) {
    p->ready_reported();
  }
}

void Commands::extend_ready_timeout(const Process& target, double seconds) {
  if (Process* p = m_sup.table_mut().mutable_process(&target)) {
    p->extend_ready_deadline(seconds);
  }
}

void Commands::annotate(const Process& target, const std::function<void(ProcessNotes&)>& change) {
  Process* p = m_sup.table_mut().mutable_process(&target);
  if (p == nullptr) {
    return;
  }
  ProcessNotes before = p->m_notes;
  change(p->m_notes);
  if (p->m_notes.health != before.health) {
    m_sup.bus().publish(ProcessHealth{p, p->m_notes.health == ProcessNotes::Health::Healthy, p->m_notes.health_detail});
  }
}

void Commands::end_start_waits(const Process& p, const CommandResult& r) {
  std::vector<uint64_t> ids;
  for (const auto& [id, w] : m_waits) {
    if (w.process == &p && w.what == WaitFor::Running) {
      ids.push_back(id);
    }
  }
  for (uint64_t id : ids) {
    finish(id, r);
  }
}

// --- waits --------------------------------------------------------------------


std::optional<CommandResult> Commands::check(const Process& p, WaitFor what) {
  if (what == WaitFor::Stopped) {
    return is_stopped_state(p.state()) ? std::optional(CommandResult::success()) : std::nullopt;
  }
  if (!p.fsm().spawnerr().empty()) {
    return CommandResult::refused(Refusal::SpawnError, p.fsm().spawnerr());
  }
  if (p.state() == ProcessState::Running || p.fsm().completed()) {
    return CommandResult::success();  // a one-shot program's start succeeds when it completes
  }
  if (p.state() != ProcessState::Starting) {
    return CommandResult::refused(Refusal::AbnormalTermination);
  }
  return std::nullopt;
}

uint64_t Commands::wait_for(const Process& p, WaitFor what, Waiter w) {
  uint64_t id = m_next_wait++;
  EventBus::Subscription sub = m_sup.bus().subscribe_process(
      &p, mask_of(EventKind::ProcessState) | mask_of(EventKind::Removed),
      [this, id](const Event& e) { on_event(id, e); });
  m_waits.emplace(id, Wait{&p, what, std::move(w), std::move(sub), 0});
  return id;
}

void Commands::on_event(uint64_t id, const Event& e) {
  auto it = m_waits.find(id);
  if (it == m_waits.end()) {
    return;
  }
  Wait& w = it->second;
  if (!w.waiter.wanted()) {
    drop(id);
    return;
  }
  if (std::holds_alternative<ProcessRemoved>(e)) {
    finish(id, w.what == WaitFor::Stopped ? CommandResult::success()
                                          : CommandResult::refused(Refusal::AbnormalTermination));
    return;
  }
  if (std::optional<CommandResult> r = check(*w.process, w.what)) {
    finish(id, std::move(*r));
  }
}

void Commands::finish(uint64_t id, CommandResult r) {
  auto it = m_waits.find(id);
  std::function<void(CommandResult)> done = std::move(it->second.waiter.done);
  drop(id);
  // Never run the waiter's code inside the state change that decided it.
  m_loop.defer([alive = std::weak_ptr<bool>(m_alive), done = std::move(done), r = std::move(r)]() mutable {
    if (auto a = alive.lock(); a && *a) {
      done(std::move(r));
    }
  });
}

void Commands::drop(uint64_t id) {
  auto it = m_waits.find(id);
  if (it == m_waits.end()) {
    return;
  }
  m_loop.cancel_timer(it->second.report_timer);
  m_waits.erase(it);  // the subscription goes with it
}

void Commands::stop_report(uint64_t id) {
  auto it = m_waits.find(id);
  if (it == m_waits.end()) {
    return;
  }
  Wait& w = it->second;
  w.report_timer = 0;
  if (!w.waiter.wanted()) {
    drop(id);
    return;
  }
  if (w.process->state() == ProcessState::Stopping) {
    main_logger().info("waiting for {} to stop", w.process->name());
  }
  w.report_timer = m_loop.add_timer_after(seconds_d(k_stop_report_interval_s), [this, id] { stop_report(id); });
}

// --- configuration ---------------------------------------------------------------

Result<ConfigDiff> Commands::reload_config() {
  Result<Config> next = m_sup.load_new_config();
  if (!next) {
    return make_error(next.error());
  }
  ConfigDiff diff = m_sup.diff_against(*next);
  m_sup.set_config(std::move(*next));
  return diff;
}

CommandResult Commands::add(const std::string& name) {
  size_t colon = name.find(':');
  std::string group = name.substr(0, colon);
  if (std::optional<GroupConfig> found = m_sup.configured_group(group)) {
    const GroupConfig& g = *found;
    if (colon == std::string::npos) {
      if (m_sup.table().find_group(g.name) != nullptr) {
        return CommandResult::refused(Refusal::AlreadyAdded);
      }
      if (Status st = m_sup.add_group(g); !st) {
        // supervisord logs its failure (an fcgi socket that cannot be bound) at CRIT too.
        main_logger().critical("{}", st.error());
        return CommandResult::refused(Refusal::Failed, st.error());
      }
      return CommandResult::success();
    }
    std::string process = name.substr(colon + 1);
    for (const ProcessConfig& pc : g.processes) {
      if (pc.name != process) {
        continue;
      }
      if (m_sup.table().find_group(group) == nullptr) {
        break;  // a process joins a running group; a new group is added whole
      }
      if (m_sup.table().find(group, process) != nullptr) {
        return CommandResult::refused(Refusal::AlreadyAdded);
      }
      if (Status st = m_sup.add_process(pc); !st) {
        return CommandResult::refused(Refusal::Failed, st.error());
      }
      return CommandResult::success();
    }
  }
  return CommandResult::refused(Refusal::BadName);
}

CommandResult Commands::remove(const std::string& name) {
  size_t colon = name.find(':');
  if (colon != std::string::npos) {
    std::string group = name.substr(0, colon);
    std::string process = name.substr(colon + 1);
    if (m_sup.table().find(group, process) == nullptr) {
      return CommandResult::refused(Refusal::BadName);
    }
    if (Status st = m_sup.remove_process(group, process); !st) {
      return CommandResult::refused(Refusal::StillRunning, st.error());
    }
    return CommandResult::success();
  }
  if (m_sup.table().find_group(name) == nullptr) {
    return CommandResult::refused(Refusal::BadName);
  }
  if (Status st = m_sup.remove_group(name); !st) {
    return CommandResult::refused(Refusal::StillRunning, st.error());
  }
  return CommandResult::success();
}

// --- the supervisor ------------------------------------------------------------------

void Commands::shutdown(const std::string& reason) { m_sup.request_shutdown(reason); }

void Commands::restart(const std::string& reason) { m_sup.request_restart(reason); }

void Commands::reopen_logs() { m_sup.reopen_logs(); }

void Commands::remote_comm(std::string_view type, std::string_view data) {
  m_sup.bus().publish(RemoteComm{type, data});
}

}  // namespace tend
