// JobScheduler: `schedule =` at run time. Each scheduled process gets a
// JobTiming (sched/job_timing.h) and one timer of the loop for its next
// due moment; when it fires, the process is started as `supervisorctl start`
// would (its stopped dependencies first), unless it is still running from
// an earlier run (or starting, backing off, stopping, waiting for its
// dependencies): then this run is skipped and logged (the first skip of a
// run at info, later ones at debug), and counted. Nothing wakes the loop
// between due moments; cron patterns also follow steps of the wall clock
// (sys/clock_step_watch.h), watched only while one exists.
//
// The next run shows in the process's notes (description "next run
// 2026-12-03 12:05:00", tend.getProcessHealth). Timers run only while the
// supervisor runs; a restart or an update schedules again from its own time.
#pragma once

#include <memory>
#include <optional>
#include <unordered_map>

#include "core/event_bus.h"
#include "sched/job_timing.h"
#include "sys/clock_step_watch.h"
#include "sys/coalesced_call.h"
#include "sys/event_loop.h"

namespace tend {

class Supervisor;
class Process;


class JobScheduler {
 public:
  // `tz`: the zone cron patterns follow; nullptr: tend's (SystemTimeZone).
  explicit JobScheduler(Supervisor& sup, const sched::TimeZone* tz = nullptr);
  ~JobScheduler();
  JobScheduler(const JobScheduler&) = delete;
  JobScheduler& operator=(const JobScheduler&) = delete;

  // The wall clock was set: what the step watch calls (tests call it too).
  void clock_stepped();

  // For tests and reports.
  size_t job_count() const { return m_jobs.size(); }
  uint64_t skipped_runs(const Process& p) const;

 private:
  struct Job {
    const Process* process;
    sched::JobTiming timing;
    EventLoop::TimerId timer = 0;
    pid_t skipped_pid = 0;  // the run the last skip found (one info line per run)
    uint64_t skipped = 0;
  };

  void on_event(const Event& e);
  void sync();
  void clear();
  void arm(Job& j);
  void due(const Process* p);
  void run(Job& j);
  void show_next(Job& j);

  Supervisor& m_sup;
  std::unique_ptr<sched::SystemTimeZone> m_own_tz;
  const sched::TimeZone& m_tz;
  EventBus::Subscription m_sub;
  std::unordered_map<const Process*, Job> m_jobs;
  CoalescedCall m_sync;
  std::unique_ptr<ClockStepWatch> m_step_watch;
};

}  // namespace tend
