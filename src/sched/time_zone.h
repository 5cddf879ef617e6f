// The wall clock of a time zone, as the schedule search (sched/cron.h) sees it.
// A TimeZone is the only way that search learns what a clock on the wall reads
// at an instant, so the search itself stays pure and a test can hand it any
// zone. The calendar arithmetic below (proleptic Gregorian, years 1-9999) is
// pure as well.
#pragma once

#include <cstdint>
#include <string>

namespace tend::sched {

// What the wall clock reads at an instant.
struct LocalTime {
  int year = 1970;
  int month = 1;    // 1-12
  int day = 1;      // 1-31
  int hour = 0;     // 0-23
  int minute = 0;   // 0-59
  int second = 0;   // 0-59 (60 only in a leap second of a "right/" zone)
  int weekday = 4;  // 0 = Sunday (1970-01-01 was a Thursday)
  long utc_offset = 0;  // seconds east of UTC (CEST: 7200)
};

class TimeZone {
 public:
  virtual ~TimeZone() = default;
  // Defined for every instant of years 1-9999.
  virtual LocalTime to_local(int64_t unix_seconds) const = 0;
};

class UtcTimeZone final : public TimeZone {
 public:
  LocalTime to_local(int64_t unix_seconds) const override;
};

// tend's zone: the TZ environment variable as the C library reads it (a POSIX
// rule such as "CET-1CEST,M3.5.0,M10.5.0/3" or a tzdata name), read when the
// object is made. TZ unset or empty is UTC, whatever /etc/localtime says: a
// supervisor in a container should not fire jobs by a file the image happened
// to ship. The conversion goes through the C library's global zone state
// (tzset, localtime_r), so a later change of TZ plus tzset() in this process
// changes what an existing object answers.
class SystemTimeZone final : public TimeZone {
 public:
  SystemTimeZone();
  LocalTime to_local(int64_t unix_seconds) const override;
  // The TZ value, or "UTC"; for messages.
  std::string name() const { return m_name; }

 private:
  bool m_utc = true;
  std::string m_name;
};

// The range of instants the calendar arithmetic handles: 0001-01-01 00:00:00
// to 9999-12-31 23:59:59 UTC. utc_time() clamps an instant outside it to the
// nearer end.
inline constexpr int64_t k_first_instant = -62135596800;
inline constexpr int64_t k_last_instant = 253402300799;

// The fields of an instant in UTC (utc_offset 0), weekday included.
LocalTime utc_time(int64_t unix_seconds);

// The reverse: the fields of `t` read as a UTC time, ignoring t.weekday and
// t.utc_offset. For a reading of a zone's clock this is "wall seconds", a
// number that orders wall-clock readings: wall_seconds(tz.to_local(u)) is
// u + offset. A month outside 1-12 is clamped into it.
int64_t wall_seconds(const LocalTime& t);

// "2026-12-03 12:05:00": the wall clock of `tz` at the instant.
std::string format_local(int64_t unix_seconds, const TimeZone& tz);

}  // namespace tend::sched
