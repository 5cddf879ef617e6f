// The value of a program's `schedule = <when>` key: its syntax and the search
// for the next time it fires. Pure: nothing here reads a clock, and the only
// thing it asks of the system is a zone's wall clock (sched/time_zone.h).
//
// Syntax (parse_schedule):
//  - Five fields `minute hour day-of-month month day-of-week` (second 0), or
//    six with the second first, separated by runs of spaces and tabs.
//  - A field is a comma list of items. An item is `*` or `?` (every value),
//    `N`, `N-M`, `*/S`, `N-M/S` or `N/S` (N to the end of the field, every S).
//    Months may be written JAN-DEC and days of the week SUN-SAT, in any case,
//    ranges included; day-of-week 7 is Sunday as well as 0 (so 5-7 is Friday
//    to Sunday, and so is FRI-SUN: the name SUN ends a range as 7). A step
//    may not exceed the width of its field (`*/90` in the minute field would
//    fire hourly, not every 90 minutes).
//  - Macros: @yearly and @annually (0 0 1 1 *), @monthly (0 0 1 * *), @weekly
//    (0 0 * * 0), @daily and @midnight (0 0 * * *), @hourly (0 * * * *), in
//    any case.
//  - `@every <duration>`: whole numbers with the units s, m, h and d, e.g.
//    30s, 5m, 1h30m, 2d; at least 1s, at most 366 days. A period, counted by
//    the caller from its own start or last run, not a wall-clock pattern.
//  - @reboot is refused: a job that runs once at start is `oneshot = true`.
//  - Days (Vixie cron's rule): when both day-of-month and day-of-week are
//    restricted (written other than `*` or `?`), a day fires if either field
//    matches it; when one is `*`, the other alone decides. "Restricted" is
//    about the text: `*/2` and `1-31` are restricted.
//
// Errors are one line: "bad schedule '<text>': <what>".
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sched/time_zone.h"
#include "util/result.h"

namespace tend::sched {

struct Schedule {
  enum class Kind { Cron, Every };
  Kind kind = Kind::Cron;
  int64_t every_seconds = 0;  // Every: the period, 1s to 366 days
  // Cron: the values that match, one bit per value of each field.
  std::bitset<60> seconds;
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;      // 1-31 (bit 0 unused)
  std::bitset<13> months;    // 1-12 (bit 0 unused)
  std::bitset<7> weekdays;   // 0 = Sunday
  bool days_restricted = false;      // day-of-month was not `*` / `?` (the day rule)
  bool weekdays_restricted = false;  // day-of-week was not `*` / `?`
  bool hours_restricted = false;     // hour was not `*` / `?` (the DST rules of next_run)
  std::string text;  // the value as written, without surrounding blanks
};

// A Cron schedule or an Every one, or the error. Any input is safe (loops are
// bounded, numbers saturate instead of overflowing).
Result<Schedule> parse_schedule(std::string_view text);

// The first instant strictly after `after` (unix seconds) at which a Cron
// schedule fires on the wall clock of `tz`; nullopt for an Every schedule, for
// `after` outside years 1-9993, and when nothing fires within five years of
// 366 days ("0 0 30 2 *"; also "0 0 29 2 *" between 2096 and 2104, as 2100 is
// not a leap year).
//
// The fields are matched against the wall-clock reading. The search walks
// readings forward field by field (to the next matching month, then day, hour,
// minute, second), never second by second, and maps each matching reading D
// back to the instants whose reading is D. Those are found by trying the
// offsets in effect one day before, at and one day after D read as UTC, and
// keeping each candidate whose reading is D, so this assumes a zone changes
// its offset at most once in any 24 hours. There are:
//  - one instant: it fires then;
//  - two, when the clocks go back and an hour repeats: a schedule whose hour
//    field is restricted fires only at the first (a daily 02:30 job runs once
//    that night); one with hour `*` is an interval and fires at both (every
//    30 minutes goes on through the repeated hour);
//  - none, when the clocks go forward over D: a schedule whose hour field is
//    restricted fires once at the end of the gap, the instant the clocks jump
//    (02:30 becomes 03:00 of the new offset); several readings in one gap give
//    that one run. One with hour `*` skips the readings of the gap.
// When `after` falls in the first pass of a repeated hour, the readings of the
// second pass that come before its own reading are searched as well, so that
// an interval job started at 02:40 (first pass) next fires at 02:00 (second
// pass).
//
// A step of the system clock (someone setting the time) is for the caller: it
// asks again from the new time.
std::optional<int64_t> next_run(const Schedule& s, int64_t after, const TimeZone& tz);

}  // namespace tend::sched
