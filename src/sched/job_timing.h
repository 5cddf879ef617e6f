// JobTiming: when one scheduled program is due, as a pure function of the
// times it is told (a monotonic reading and the wall clock). The scheduler
// (sched/scheduler.h) asks it when to wake up, and on waking whether a run is
// due; tests drive it with a fake clock, wall-clock steps included.
//
// `@every D` counts monotonic time from when the program was scheduled: steps
// of the wall clock do not move it. A wake-up that finds several periods
// passed (tend was stopped with SIGSTOP, the machine slept) runs once and
// keeps the original phase.
//
// A cron pattern fires by the wall clock of the zone (sched/cron.h decides
// the instants, DST included). Each instant runs at most once:
//  - the clock stepped forwards over one or more instants: one run at the
//    next wake-up, then the first instant after the new time;
//  - the clock stepped backwards: instants already run are not run again;
//    the next one stays the one after the last run. A step back of more than
//    k_max_back_step is taken as a reset of a wrong clock rather than a
//    correction, and the search starts again from the new time (otherwise a
//    clock corrected from a wrong date years ahead would stop every job).
#pragma once

#include <cstdint>
#include <optional>

#include "sched/cron.h"
#include "util/clock.h"

namespace tend::sched {

inline constexpr double k_max_back_step = 3 * 3600;

class JobTiming {
 public:
  JobTiming(Schedule s, const TimeZone& tz, MonoTime mono_now, double wall_now);

  // When the owner should wake next; nullopt when the schedule never fires
  // again (a cron pattern with no instant within the search horizon).
  std::optional<MonoTime> wake_at(MonoTime mono_now, double wall_now) const;
  // Whether a run is due now; if so, the timing moves past it. A wake-up
  // that finds nothing due (early, or the clock stepped back) returns false.
  bool take_due(MonoTime mono_now, double wall_now);
  // The wall clock was set (not slewed): see the file comment.
  void clock_stepped(double wall_now);
  // The next run on the wall clock (unix seconds), for descriptions.
  std::optional<double> next_wall(MonoTime mono_now, double wall_now) const;

  const Schedule& schedule() const { return m_schedule; }

 private:
  void search_from(int64_t after);

  Schedule m_schedule;
  const TimeZone& m_tz;
  // Every: the next due moment.
  MonoTime m_next_mono{};
  // Cron: the next instant (nullopt: none) and the instant it was searched
  // after (the last run, or when the search started).
  std::optional<int64_t> m_next_wall;
  int64_t m_cursor = 0;
};

}  // namespace tend::sched
