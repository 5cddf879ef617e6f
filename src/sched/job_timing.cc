#include "sched/job_timing.h"

#include <cmath>

namespace tend::sched {

namespace {

int64_t whole_seconds(double wall) { return static_cast<int64_t>(std::floor(wall)); }

}  // namespace

JobTiming::JobTiming(Schedule s, const TimeZone& tz, MonoTime mono_now, double wall_now)
    : m_schedule(std::move(s)), m_tz(tz) {
  if (m_schedule.kind == Schedule::Kind::Every) {
    m_next_mono = mono_now + std::chrono::seconds(m_schedule.every_seconds);
  } else {
    search_from(whole_seconds(wall_now));
  }
}

void JobTiming::search_from(int64_t after) {
  m_cursor = after;
  m_next_wall = next_run(m_schedule, after, m_tz);
}

std::optional<MonoTime> JobTiming::wake_at(MonoTime mono_now, double wall_now) const {
  if (m_schedule.kind == Schedule::Kind::Every) {
    return m_next_mono;
  }
  if (!m_next_wall) {
    return std::nullopt;
  }
  double wait = static_cast<double>(*m_next_wall) - wall_now;
  return wait <= 0 ? mono_now : mono_now + seconds_d(wait);
}

bool JobTiming::take_due(MonoTime mono_now, double wall_now) {
  if (m_schedule.kind == Schedule::Kind::Every) {
    if (mono_now < m_next_mono) {
      return false;
    }
    Duration period = std::chrono::seconds(m_schedule.every_seconds);
    int64_t missed = (mono_now - m_next_mono) / period;  // whole periods past the due one
    m_next_mono += period * (missed + 1);
    return true;
  }
  if (!m_next_wall || wall_now < static_cast<double>(*m_next_wall)) {
    return false;
  }
  // One run for every instant up to now (a forward step over several).
  search_from(whole_seconds(wall_now));
  return true;
}

void JobTiming::clock_stepped(double wall_now) {
  if (m_schedule.kind != Schedule::Kind::Cron) {
    return;
  }
  if (static_cast<double>(m_cursor) - wall_now > k_max_back_step) {
    search_from(whole_seconds(wall_now));
  }
}

std::optional<double> JobTiming::next_wall(MonoTime mono_now, double wall_now) const {
  if (m_schedule.kind == Schedule::Kind::Every) {
    return wall_now + std::chrono::duration<double>(m_next_mono - mono_now).count();
  }
  if (!m_next_wall) {
    return std::nullopt;
  }
  return static_cast<double>(*m_next_wall);
}

}  // namespace tend::sched
