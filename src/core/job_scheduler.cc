#include "core/job_scheduler.h"

#include <vector>

#include <fmt/format.h>

#include "core/dependency_scheduler.h"
#include "core/supervisor.h"
#include "log/logger.h"

namespace tend {

using sched::JobTiming;
using sched::Schedule;
using sched::SystemTimeZone;
using sched::TimeZone;

namespace {

const TimeZone& zone_of(const TimeZone* given, std::unique_ptr<SystemTimeZone>& own) {
  if (given != nullptr) {
    return *given;
  }
  own = std::make_unique<SystemTimeZone>();
  return *own;
}

}  // namespace

JobScheduler::JobScheduler(Supervisor& sup, const TimeZone* tz)
    : m_sup(sup), m_tz(zone_of(tz, m_own_tz)), m_sync(sup.loop(), [this] { sync(); }) {
  m_sub = sup.bus().subscribe(mask_of(EventKind::GroupAdded) | mask_of(EventKind::GroupRemoved) |
                                  mask_of(EventKind::Removed) | mask_of(EventKind::SupervisorState),
                              [this](const Event& e) { on_event(e); });
}

JobScheduler::~JobScheduler() { clear(); }

void JobScheduler::on_event(const Event& e) {
  if (const auto* s = std::get_if<SupervisorStateChanged>(&e); s != nullptr && s->to != SupervisorState::Running) {
    clear();  // nothing starts while tend stops or restarts
    return;
  }
  if (const auto* r = std::get_if<ProcessRemoved>(&e); r != nullptr) {
    // Before the process is freed: its timer must not fire for it.
    if (auto it = m_jobs.find(r->process); it != m_jobs.end()) {
      m_sup.loop().cancel_timer(it->second.timer);
      m_jobs.erase(it);
    }
  }
  m_sync.request();
}

void JobScheduler::clear() {
  for (auto& [p, j] : m_jobs) {
    m_sup.loop().cancel_timer(j.timer);
  }
  m_jobs.clear();
  m_step_watch.reset();
}

// Makes the jobs match the table: a job per scheduled process, kept while
// its schedule is unchanged, made anew (timed from now) when it changed.
void JobScheduler::sync() {
  if (m_sup.state() != SupervisorState::Running) {
    clear();
    return;
  }
  std::unordered_map<const Process*, Job> next;
  bool any_cron = false;
  m_sup.table().for_each([&](const Group&, const Process& p) {
    const std::string& text = p.config().schedule;
    if (text.empty()) {
      return;
    }
    if (auto it = m_jobs.find(&p); it != m_jobs.end() && it->second.timing.schedule().text == text) {
      any_cron = any_cron || it->second.timing.schedule().kind == Schedule::Kind::Cron;
      next.emplace(&p, std::move(it->second));
      m_jobs.erase(it);
      return;
    }
    Result<Schedule> s = sched::parse_schedule(text);
    if (!s) {  // the loader validated it; a guard, not a path
      main_logger().error("unable to schedule {}: {}", p.name(), s.error());
      return;
    }
    any_cron = any_cron || s->kind == Schedule::Kind::Cron;
    const Clock& clock = m_sup.loop().clock();
    auto [it, added] = next.emplace(&p, Job{&p, JobTiming(std::move(*s), m_tz, clock.now(), clock.wall_now())});
    arm(it->second);
  });
  clear();  // what is left in m_jobs: processes no longer scheduled
  m_jobs = std::move(next);
  if (any_cron && !m_step_watch) {
    Result<std::unique_ptr<ClockStepWatch>> w = ClockStepWatch::create(m_sup.loop(), [this] { clock_stepped(); });
    if (w) {
      m_step_watch = std::move(*w);
    } else {
      main_logger().warn("{}; scheduled programs will not follow steps of the wall clock", w.error());
    }
  }
}

void JobScheduler::arm(Job& j) {
  m_sup.loop().cancel_timer(j.timer);
  j.timer = 0;
  const Clock& clock = m_sup.loop().clock();
  if (std::optional<MonoTime> at = j.timing.wake_at(clock.now(), clock.wall_now())) {
    j.timer = m_sup.loop().add_timer(*at, [this, p = j.process] { due(p); });
  }
  show_next(j);
}

void JobScheduler::due(const Process* p) {
  auto it = m_jobs.find(p);
  if (it == m_jobs.end()) {
    return;
  }
  Job& j = it->second;
  j.timer = 0;
  const Clock& clock = m_sup.loop().clock();
  if (m_sup.state() == SupervisorState::Running && j.timing.take_due(clock.now(), clock.wall_now())) {
    run(j);
    // A start can end tend (a critical program that cannot be spawned),
    // which drops every job.
    it = m_jobs.find(p);
    if (it == m_jobs.end()) {
      return;
    }
  }
  arm(it->second);  // early (the wall clock went back) or after a run: the next due moment
}

void JobScheduler::run(Job& j) {
  const Process& p = *j.process;
  if (m_sup.dependencies().held(p) || !p.fsm().accepts_start()) {
    ++j.skipped;
    bool first = j.skipped_pid != p.pid() || p.pid() == 0;
    j.skipped_pid = p.pid();
    m_sup.commands().annotate(p, [&](ProcessNotes& n) { n.skipped_runs = j.skipped; });
    Level level = first ? Level::Info : Level::Debug;
    if (main_logger().enabled(level)) {
      main_logger().log(level, fmt::format("skipped scheduled run of {}: still {} ({} skipped so far)", p.name(),
                                           m_sup.dependencies().held(p) ? "waiting for its dependencies"
                                                                        : state_name(p.state()),
                                           j.skipped));
    }
    return;
  }
  main_logger().info("scheduled run of {} ({})", p.name(), j.timing.schedule().text);
  std::string name = p.name();
  m_sup.commands().start(p, false, Waiter{[name](const CommandResult& r) {
    if (!r.ok() && r.refusal != Refusal::AlreadyStarted) {
      main_logger().error("unable to start the scheduled run of {}: {}", name,
                          r.detail.empty() ? std::string(refusal_name(r.refusal)) : r.detail);
    }
  }});
}

void JobScheduler::show_next(Job& j) {
  const Clock& clock = m_sup.loop().clock();
  std::optional<double> next = j.timing.next_wall(clock.now(), clock.wall_now());
  std::string text = next ? sched::format_local(static_cast<int64_t>(*next), m_tz) : "";
  m_sup.commands().annotate(*j.process, [&](ProcessNotes& n) {
    n.next_run = next.value_or(0);
    n.next_run_text = std::move(text);
  });
}

void JobScheduler::clock_stepped() {
  const Clock& clock = m_sup.loop().clock();
  main_logger().info("the wall clock was set; scheduled programs follow it");
  std::vector<const Process*> jobs;
  for (auto& [p, j] : m_jobs) {
    j.timing.clock_stepped(clock.wall_now());
    jobs.push_back(p);
  }
  for (const Process* p : jobs) {
    due(p);  // runs what the step made due, re-arms the rest
  }
}

uint64_t JobScheduler::skipped_runs(const Process& p) const {
  auto it = m_jobs.find(&p);
  return it == m_jobs.end() ? 0 : it->second.skipped;
}

}  // namespace tend
