// Feeds: a `schedule =` value to parse_schedule() and, when it parses, the
// search for its next run (sched/cron.h) in UTC and in a zone with DST rules.
// Input: the first 8 bytes are the instant to search from (unix seconds, any
// int64, so out-of-range instants are fed too); the rest is the schedule text.
// Asserts, beyond no crash, leak or UB:
//  - the text a schedule keeps parses to the same schedule;
//  - an @every period is within 1 s .. 366 days and has no next_run;
//  - in UTC, a next run is strictly after the start, its reading matches every
//    field (the day rule included), and searching again from one second
//    before it finds it again (nothing fires in between);
//  - in Central European time (POSIX rule "CET-1CEST,M3.5.0,M10.5.0/3", no
//    tzdata needed), a next run is strictly after the start.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "fuzz_check.h"
#include "sched/cron.h"
#include "sched/time_zone.h"

namespace {

using tend::sched::Schedule;

std::unique_ptr<tend::sched::SystemTimeZone> g_cet;

bool same(const Schedule& a, const Schedule& b) {
  return a.kind == b.kind && a.every_seconds == b.every_seconds && a.seconds == b.seconds &&
         a.minutes == b.minutes && a.hours == b.hours && a.days == b.days && a.months == b.months &&
         a.weekdays == b.weekdays && a.days_restricted == b.days_restricted &&
         a.weekdays_restricted == b.weekdays_restricted && a.hours_restricted == b.hours_restricted &&
         a.text == b.text;
}

bool day_matches(const Schedule& s, const tend::sched::LocalTime& t) {
  bool dom = s.days.test(static_cast<size_t>(t.day));
  bool dow = s.weekdays.test(static_cast<size_t>(t.weekday));
  if (s.days_restricted && s.weekdays_restricted) {
    return dom || dow;
  }
  return dom && dow;  // an unrestricted field has every bit set
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
  g_cet = std::make_unique<tend::sched::SystemTimeZone>();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < sizeof(int64_t)) {
    return 0;
  }
  int64_t after = 0;
  std::memcpy(&after, data, sizeof after);
  std::string_view text(reinterpret_cast<const char*>(data) + sizeof after, size - sizeof after);

  tend::Result<Schedule> s = tend::sched::parse_schedule(text);
  if (!s.ok()) {
    return 0;
  }
  tend::Result<Schedule> again = tend::sched::parse_schedule(s->text);
  FUZZ_CHECK(again.ok() && same(*s, *again));

  tend::sched::UtcTimeZone utc;
  if (s->kind == Schedule::Kind::Every) {
    FUZZ_CHECK(s->every_seconds >= 1 && s->every_seconds <= 366 * 86400);
    FUZZ_CHECK(!tend::sched::next_run(*s, after, utc).has_value());
    return 0;
  }
  if (std::optional<int64_t> next = tend::sched::next_run(*s, after, utc)) {
    FUZZ_CHECK(*next > after);
    tend::sched::LocalTime t = tend::sched::utc_time(*next);
    FUZZ_CHECK(s->seconds.test(static_cast<size_t>(t.second)));
    FUZZ_CHECK(s->minutes.test(static_cast<size_t>(t.minute)));
    FUZZ_CHECK(s->hours.test(static_cast<size_t>(t.hour)));
    FUZZ_CHECK(s->months.test(static_cast<size_t>(t.month)));
    FUZZ_CHECK(day_matches(*s, t));
    FUZZ_CHECK(tend::sched::next_run(*s, *next - 1, utc) == next);
  }
  if (std::optional<int64_t> next = tend::sched::next_run(*s, after, *g_cet)) {
    FUZZ_CHECK(*next > after);
  }
  return 0;
}
