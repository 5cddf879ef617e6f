#include "sched/time_zone.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <ctime>

namespace tend::sched {

namespace {

constexpr int64_t k_day = 86400;

constexpr bool is_leap(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

// Days from 0001-01-01 to January 1st of `year` (year >= 1).
constexpr int64_t days_before_year(int64_t year) {
  int64_t y = year - 1;
  return 365 * y + y / 4 - y / 100 + y / 400;
}

// Days from January 1st to the first of `month` (1-12).
int64_t days_before_month(int64_t year, int month) {
  static constexpr std::array<int, 12> k_before = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  return k_before[static_cast<size_t>(month - 1)] + (month > 2 && is_leap(year) ? 1 : 0);
}

// 1970-01-01 counted from 0001-01-01.
constexpr int64_t k_epoch_days = days_before_year(1970);
static_assert(k_epoch_days == 719162);

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

LocalTime utc_time(int64_t unix_seconds) {
  int64_t u = std::clamp(unix_seconds, k_first_instant, k_last_instant);
  int64_t days = floor_div(u, k_day);
  int64_t secs = u - days * k_day;
  int64_t since_year_one = days + k_epoch_days;  // >= 0 after the clamp
  // A first guess from the mean Gregorian year (146097 days per 400 years),
  // then corrected by whole years.
  int64_t year = 1 + since_year_one * 400 / 146097;
  while (year > 1 && days_before_year(year) > since_year_one) {
    --year;
  }
  while (days_before_year(year + 1) <= since_year_one) {
    ++year;
  }
  int64_t day_of_year = since_year_one - days_before_year(year);
  int month = 12;
  while (month > 1 && days_before_month(year, month) > day_of_year) {
    --month;
  }
  LocalTime t;
  t.year = static_cast<int>(year);
  t.month = month;
  t.day = static_cast<int>(day_of_year - days_before_month(year, month)) + 1;
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>(secs / 60 % 60);
  t.second = static_cast<int>(secs % 60);
  t.weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);
  t.utc_offset = 0;
  return t;
}

int64_t wall_seconds(const LocalTime& t) {
  int64_t year = t.year;
  int month = std::clamp(t.month, 1, 12);
  int64_t days = days_before_year(year) + days_before_month(year, month) + (t.day - 1) - k_epoch_days;
  return days * k_day + int64_t{t.hour} * 3600 + int64_t{t.minute} * 60 + t.second;
}

std::string format_local(int64_t unix_seconds, const TimeZone& tz) {
  LocalTime t = tz.to_local(unix_seconds);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", t.year, t.month, t.day, t.hour, t.minute, t.second);
}

LocalTime UtcTimeZone::to_local(int64_t unix_seconds) const { return utc_time(unix_seconds); }

SystemTimeZone::SystemTimeZone() {
  const char* tz = std::getenv("TZ");
  m_utc = tz == nullptr || *tz == '\0';
  m_name = m_utc ? "UTC" : tz;
  ::tzset();
}

LocalTime SystemTimeZone::to_local(int64_t unix_seconds) const {
  if (m_utc) {
    return utc_time(unix_seconds);
  }
  time_t when = static_cast<time_t>(std::clamp(unix_seconds, k_first_instant, k_last_instant));
  struct tm tm {};
  if (::localtime_r(&when, &tm) == nullptr) {
    return utc_time(unix_seconds);  // not representable in struct tm: cannot happen in years 1-9999
  }
  LocalTime t;
  t.year = tm.tm_year + 1900;
  t.month = tm.tm_mon + 1;
  t.day = tm.tm_mday;
  t.hour = tm.tm_hour;
  t.minute = tm.tm_min;
  t.second = tm.tm_sec;
  t.weekday = tm.tm_wday;
  t.utc_offset = tm.tm_gmtoff;
  return t;
}

}  // namespace tend::sched
