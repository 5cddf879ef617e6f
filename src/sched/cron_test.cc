// schedule =: every form of the syntax and its errors, the next run in UTC
// (checked against a walk of every minute or second), and around the DST
// changes of two POSIX TZ rules (no tzdata needed), checked case by case and
// against a minute-by-minute walk that applies the rules of cron.h directly.
#include "sched/cron.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

#include "fakes/scoped_tz.h"

namespace tend::sched {
namespace {

// tend's zone under a given TZ.
struct PosixZone {
  explicit PosixZone(const char* tz) : env(tz) {}
  ScopedTz env;
  SystemTimeZone zone;  // made after TZ is set
};

constexpr const char* k_cet = "CET-1CEST,M3.5.0,M10.5.0/3";
constexpr const char* k_eastern = "EST5EDT,M3.2.0,M11.1.0";

const UtcTimeZone k_utc;

// "2026-03-10 12:00:30" as a wall reading in seconds (for UTC: the instant).
int64_t wall(std::string_view text) {
  LocalTime t;
  std::string s(text);
  int n = std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%d", &t.year, &t.month, &t.day, &t.hour, &t.minute, &t.second);
  EXPECT_EQ(n, 6) << text;
  return wall_seconds(t);
}

// The instant whose reading in `tz` is `text` (the first if it repeats).
int64_t instant_in(const TimeZone& tz, std::string_view text) {
  int64_t w = wall(text);
  for (int64_t u = w - 86400; u <= w + 86400; u += 60) {
    if (wall_seconds(tz.to_local(u)) == w) {
      return u;
    }
  }
  ADD_FAILURE() << "no instant reads " << text;
  return 0;
}

Schedule ok(std::string_view text) {
  Result<Schedule> r = parse_schedule(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : Schedule{};
}

std::string error(std::string_view text) {
  Result<Schedule> r = parse_schedule(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.error();
}

// The set bits as "0,15,30".
template <size_t N>
std::string set(const std::bitset<N>& bits) {
  std::string out;
  for (size_t i = 0; i < N; ++i) {
    if (bits.test(i)) {
      out += (out.empty() ? "" : ",") + std::to_string(i);
    }
  }
  return out;
}

std::string range(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) {
    out += (i == from ? "" : ",") + std::to_string(i);
  }
  return out;
}

// The reading of an instant with its offset in hours: "2026-10-25 02:30:00 +2".
std::string shown(int64_t u, const TimeZone& tz) {
  return fmt::format("{} {:+}", format_local(u, tz), tz.to_local(u).utc_offset / 3600);
}

// Every run in (from, to], by asking next_run from each run.
std::vector<int64_t> runs(const Schedule& s, const TimeZone& tz, int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (std::optional<int64_t> u = next_run(s, from, tz); u && *u <= to; u = next_run(s, *u, tz)) {
    out.push_back(*u);
    if (out.size() > 10000) {
      ADD_FAILURE() << "runaway";
      break;
    }
  }
  return out;
}

std::vector<std::string> shown_runs(std::string_view schedule, const TimeZone& tz, int64_t from, int64_t to) {
  std::vector<std::string> out;
  for (int64_t u : runs(ok(schedule), tz, from, to)) {
    out.push_back(shown(u, tz));
  }
  return out;
}

// The fields of a schedule against a reading, Vixie's day rule included.
bool fields_match(const Schedule& s, const LocalTime& t) {
  bool by_day = s.days.test(static_cast<size_t>(t.day));
  bool by_weekday = s.weekdays.test(static_cast<size_t>(t.weekday));
  bool day = s.days_restricted && s.weekdays_restricted ? (by_day || by_weekday) : (by_day && by_weekday);
  return day && s.months.test(static_cast<size_t>(t.month)) && s.hours.test(static_cast<size_t>(t.hour)) &&
         s.minutes.test(static_cast<size_t>(t.minute)) && s.seconds.test(static_cast<size_t>(t.second));
}

// --- parsing -------------------------------------------------------------------------------------

TEST(ScheduleParse, FiveFieldsFireAtSecondZero) {
  Schedule s = ok("*/15 9-17 * * MON-FRI");
  EXPECT_EQ(s.kind, Schedule::Kind::Cron);
  EXPECT_EQ(set(s.seconds), "0");
  EXPECT_EQ(set(s.minutes), "0,15,30,45");
  EXPECT_EQ(set(s.hours), range(9, 17));
  EXPECT_EQ(set(s.days), range(1, 31));
  EXPECT_EQ(set(s.months), range(1, 12));
  EXPECT_EQ(set(s.weekdays), range(1, 5));
  EXPECT_EQ(s.text, "*/15 9-17 * * MON-FRI");
}

TEST(ScheduleParse, SixFieldsPutTheSecondFirst) {
  Schedule s = ok("*/20 0 12 * * *");
  EXPECT_EQ(set(s.seconds), "0,20,40");
  EXPECT_EQ(set(s.minutes), "0");
  EXPECT_EQ(set(s.hours), "12");
  EXPECT_EQ(set(ok("* * * * * *").seconds), range(0, 59));
}

TEST(ScheduleParse, EveryItemForm) {
  auto minutes = [](std::string_view field) { return set(ok(fmt::format("{} * * * *", field)).minutes); };
  EXPECT_EQ(minutes("*"), range(0, 59));
  EXPECT_EQ(minutes("?"), range(0, 59));
  EXPECT_EQ(minutes("7"), "7");
  EXPECT_EQ(minutes("07"), "7");
  EXPECT_EQ(minutes("5-8"), "5,6,7,8");
  EXPECT_EQ(minutes("3-3"), "3");
  EXPECT_EQ(minutes("*/20"), "0,20,40");
  EXPECT_EQ(minutes("?/30"), "0,30");
  EXPECT_EQ(minutes("10-30/10"), "10,20,30");
  EXPECT_EQ(minutes("10-35/10"), "10,20,30");
  EXPECT_EQ(minutes("50/3"), "50,53,56,59");
  EXPECT_EQ(minutes("*/60"), "0");
  EXPECT_EQ(minutes("1,2,40-42,*/30"), "0,1,2,30,40,41,42");
  EXPECT_EQ(minutes("5,5,5"), "5");
  EXPECT_EQ(set(ok("0 */7 * * *").hours), "0,7,14,21");
  EXPECT_EQ(set(ok("0 0 */10 * *").days), "1,11,21,31");
  EXPECT_EQ(set(ok("0 0 15/5 * *").days), "15,20,25,30");
  EXPECT_EQ(set(ok("0 0 1 */5 *").months), "1,6,11");
}

TEST(ScheduleParse, MonthAndDayNamesInAnyCase) {
  auto months = [](std::string_view field) { return set(ok(fmt::format("0 0 1 {} *", field)).months); };
  auto weekdays = [](std::string_view field) { return set(ok(fmt::format("0 0 * * {}", field)).weekdays); };
  EXPECT_EQ(months("jan,Mar,DEC"), "1,3,12");
  EXPECT_EQ(months("JUN-aug"), "6,7,8");
  EXPECT_EQ(months("FEB-4"), "2,3,4");
  EXPECT_EQ(months("jan/4"), "1,5,9");
  EXPECT_EQ(months("Jan-Dec/6"), "1,7");
  EXPECT_EQ(weekdays("mon-FRI"), "1,2,3,4,5");
  EXPECT_EQ(weekdays("sat,Sun"), "0,6");
  EXPECT_EQ(weekdays("MON/2"), "1,3,5");
  EXPECT_EQ(weekdays("FRI-SUN"), "0,5,6");  // SUN ends a range as 7
  EXPECT_EQ(weekdays("SUN-TUE"), "0,1,2");
  EXPECT_EQ(weekdays("SUN-SUN"), "0");
}

TEST(ScheduleParse, SevenIsSunday) {
  auto weekdays = [](std::string_view field) { return set(ok(fmt::format("0 0 * * {}", field)).weekdays); };
  EXPECT_EQ(weekdays("7"), "0");
  EXPECT_EQ(weekdays("0,7"), "0");
  EXPECT_EQ(weekdays("5-7"), "0,5,6");
  EXPECT_EQ(weekdays("1-7/2"), "0,1,3,5");
  EXPECT_EQ(weekdays("*"), range(0, 6));
  EXPECT_EQ(weekdays("*/2"), "0,2,4,6");  // '*' ends at 6: Sunday is not counted twice
  EXPECT_EQ(weekdays("1/2"), "1,3,5");
  EXPECT_EQ(weekdays("7/3"), "0");
}

TEST(ScheduleParse, MacrosAreTheirFields) {
  auto same = [](std::string_view macro, std::string_view fields) {
    Schedule a = ok(macro);
    Schedule b = ok(fields);
    EXPECT_EQ(a.kind, Schedule::Kind::Cron) << macro;
    EXPECT_EQ(a.text, macro);
    EXPECT_EQ(set(a.seconds), set(b.seconds)) << macro;
    EXPECT_EQ(set(a.minutes), set(b.minutes)) << macro;
    EXPECT_EQ(set(a.hours), set(b.hours)) << macro;
    EXPECT_EQ(set(a.days), set(b.days)) << macro;
    EXPECT_EQ(set(a.months), set(b.months)) << macro;
    EXPECT_EQ(set(a.weekdays), set(b.weekdays)) << macro;
    EXPECT_EQ(a.days_restricted, b.days_restricted) << macro;
    EXPECT_EQ(a.weekdays_restricted, b.weekdays_restricted) << macro;
    EXPECT_EQ(a.hours_restricted, b.hours_restricted) << macro;
  };
  same("@yearly", "0 0 1 1 *");
  same("@annually", "0 0 1 1 *");
  same("@monthly", "0 0 1 * *");
  same("@weekly", "0 0 * * 0");
  same("@daily", "0 0 * * *");
  same("@midnight", "0 0 * * *");
  same("@hourly", "0 * * * *");
  same("@DAILY", "0 0 * * *");
  EXPECT_EQ(set(ok("@hourly").minutes), "0");
  EXPECT_FALSE(ok("@hourly").hours_restricted);
}

TEST(ScheduleParse, EveryTakesADuration) {
  auto every = [](std::string_view text) {
    Schedule s = ok(text);
    EXPECT_EQ(s.kind, Schedule::Kind::Every) << text;
    return s.every_seconds;
  };
  EXPECT_EQ(every("@every 30s"), 30);
  EXPECT_EQ(every("@every 5m"), 300);
  EXPECT_EQ(every("@every 1h30m"), 5400);
  EXPECT_EQ(every("@every 2d"), 172800);
  EXPECT_EQ(every("@every 1d2h3m4s"), 93784);
  EXPECT_EQ(every("@every 90m"), 5400);
  EXPECT_EQ(every("@every 1m1m"), 120);
  EXPECT_EQ(every("@every 0h1s"), 1);
  EXPECT_EQ(every("@every 366d"), 366 * 86400);
  EXPECT_EQ(every("@every\t 10m "), 600);
  EXPECT_EQ(every("@EVERY 1h"), 3600);
  EXPECT_EQ(ok("@every 1h30m").text, "@every 1h30m");
}

TEST(ScheduleParse, RestrictedMeansWrittenOtherThanStar) {
  Schedule all = ok("* * * * *");
  EXPECT_FALSE(all.days_restricted || all.weekdays_restricted || all.hours_restricted);
  Schedule q = ok("0 ? ? * ?");
  EXPECT_FALSE(q.days_restricted || q.weekdays_restricted || q.hours_restricted);
  EXPECT_TRUE(ok("0 3 * * *").hours_restricted);
  EXPECT_TRUE(ok("0 */2 * * *").hours_restricted);
  Schedule both = ok("0 0 1 * MON");
  EXPECT_TRUE(both.days_restricted && both.weekdays_restricted);
  EXPECT_TRUE(ok("0 0 */2 * *").days_restricted);
  EXPECT_TRUE(ok("0 0 * * 0-7").weekdays_restricted);
}

TEST(ScheduleParse, BlanksAroundAndBetween) {
  Schedule s = ok("  0\t 3   *  * *\t\n");
  EXPECT_EQ(s.text, "0\t 3   *  * *");
  EXPECT_EQ(set(s.hours), "3");
  EXPECT_EQ(set(s.minutes), "0");
}

TEST(ScheduleParse, Errors) {
  struct Case {
    std::string_view text;
    std::string_view what;
  };
  const Case cases[] = {
      {"61 * * * *", "minute 61 out of range 0-59"},
      {"* 24 * * *", "hour 24 out of range 0-23"},
      {"* * 0 * *", "day-of-month 0 out of range 1-31"},
      {"* * 32 * *", "day-of-month 32 out of range 1-31"},
      {"* * * 13 *", "month 13 out of range 1-12"},
      {"* * * * 8", "day-of-week 8 out of range 0-7"},
      {"60 * * * * *", "second 60 out of range 0-59"},
      {"* * * *", "expected 5 or 6 fields, got 4"},
      {"* * * * * * *", "expected 5 or 6 fields, got 7"},
      {"*", "expected 5 or 6 fields, got 1"},
      {"*/0 * * * *", "step 0 in '*/0'"},
      {"1-5/00 * * * *", "step 00 in '1-5/00'"},
      {"*/61 * * * *", "step 61 in '*/61' is larger than the minute range 0-59"},
      {"0 0 * * */8", "step 8 in '*/8' is larger than the day-of-week range 0-6"},
      {"*/ * * * *", "missing step after '/' in '*/'"},
      {"/5 * * * *", "missing start before '/' in '/5'"},
      {"*/x * * * *", "step 'x' in '*/x' is not a number"},
      {"1/2/3 * * * *", "step '2/3' in '1/2/3' is not a number"},
      {"5-2 * * * *", "range 5-2 is backwards"},
      {"0 0 * DEC-JAN *", "range DEC-JAN is backwards"},
      {"0 0 * * SAT-MON", "range SAT-MON is backwards"},
      {"5- * * * *", "incomplete range '5-' in the minute field"},
      {"-5 * * * *", "incomplete range '-5' in the minute field"},
      {"1,,2 * * * *", "empty item in the minute field '1,,2'"},
      {"1, * * * *", "empty item in the minute field '1,'"},
      {"* * ,1 * *", "empty item in the day-of-month field ',1'"},
      {"5x * * * *", "minute value '5x' is not a number"},
      {"*-5 * * * *", "minute value '*' is not a number"},
      {"1-2-3 * * * *", "minute value '2-3' is not a number"},
      {"+5 * * * *", "minute value '+5' is not a number"},
      {"0 0 * JANUARY *", "month value 'JANUARY' is neither a number nor a month name (JAN-DEC)"},
      {"0 0 * * MONDAY", "day-of-week value 'MONDAY' is neither a number nor a day name (SUN-SAT)"},
      {"0 MON * * *", "hour value 'MON' is not a number"},
      {"@reboot", "unknown macro '@reboot' (for a job that runs once at start use oneshot = true)"},
      {"@fortnightly",
       "unknown macro '@fortnightly' (known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, "
       "@every <duration>)"},
      {"@daily 5", "unexpected '5' after @daily"},
      {"@every", "@every needs a duration (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every 5", "missing unit after 5 in duration '5' (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every 5x", "bad duration unit 'x' in '5x' (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every 5ms", "bad duration unit 'ms' in '5ms' (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every 5M", "bad duration unit 'M' in '5M' (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every 1.5h", "bad duration unit '.' in '1.5h' (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every 1h 30m", "bad duration unit 'h ' in '1h 30m' (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every h", "duration 'h' must start with a number (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every -5m", "duration '-5m' must start with a number (use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)"},
      {"@every 0s", "duration '0s' is shorter than 1s"},
      {"@every 367d", "duration '367d' is longer than 366 days"},
      {"@every 366d1s", "duration '366d1s' is longer than 366 days"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(error(c.text), fmt::format("bad schedule '{}': {}", c.text, c.what));
  }
  EXPECT_EQ(error(""), "bad schedule '': empty (expected 5 or 6 fields or a macro such as @daily or @every 5m)");
  EXPECT_EQ(error(" \t "), "bad schedule '': empty (expected 5 or 6 fields or a macro such as @daily or @every 5m)");
  EXPECT_EQ(error(" 61 * * * * "), "bad schedule '61 * * * *': minute 61 out of range 0-59");  // trimmed
  // Control bytes are shown escaped: the message stays one line.
  EXPECT_EQ(error("5\n6 * * * *"), "bad schedule '5\\x0a6 * * * *': minute value '5\\x0a6' is not a number");
}

TEST(ScheduleParse, HugeNumbersAreOutOfRangeNotOverflows) {
  EXPECT_EQ(error("99999999999999999999 * * * *"),
            "bad schedule '99999999999999999999 * * * *': minute 99999999999999999999 out of range 0-59");
  EXPECT_EQ(error("*/99999999999999999999 * * * *"),
            "bad schedule '*/99999999999999999999 * * * *': step 99999999999999999999 in '*/99999999999999999999' is "
            "larger than the minute range 0-59");
  EXPECT_EQ(error("0 0 1-99999999999999999999 * *"),
            "bad schedule '0 0 1-99999999999999999999 * *': day-of-month 99999999999999999999 out of range 1-31");
  EXPECT_EQ(error("@every 99999999999999999999d"),
            "bad schedule '@every 99999999999999999999d': duration '99999999999999999999d' is longer than 366 days");
  EXPECT_EQ(error("@every 99999999999999999999s99999999999999999999d"),
            "bad schedule '@every 99999999999999999999s99999999999999999999d': duration "
            "'99999999999999999999s99999999999999999999d' is longer than 366 days");
}

TEST(ScheduleParse, GarbageNeverCrashes) {
  std::mt19937 rng(20261203);
  const std::string alphabet = "0123456789*/-,?@ \t*/-,JANMONSUNFRIDECevryhdmsx";
  int parsed = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string text;
    size_t length = rng() % 40;
    bool bytes = i % 4 == 0;
    for (size_t j = 0; j < length; ++j) {
      text += bytes ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    if (i % 4 == 1) {  // fields of cron characters: more of these parse
      text.clear();
      const char* pieces[] = {"*", "?", "1", "5", "12", "1-5", "*/2", "3/4", "*", "1", "MON", "jan", "7", "-", "/"};
      size_t fields = 5 + rng() % 2;
      for (size_t field = 0; field < fields; ++field) {
        text += ' ';
        size_t count = rng() % 4 == 0 ? 2 : 1;
        for (size_t j = 0; j < count; ++j) {
          text += std::string(j == 0 ? "" : ",") + pieces[rng() % std::size(pieces)];
        }
      }
    }
    if (i % 3 == 0) {
      text = (i % 2 ? "@every " : "") + text;
    }
    Result<Schedule> r = parse_schedule(text);
    if (!r) {
      EXPECT_EQ(r.error().rfind("bad schedule '", 0), 0U) << r.error();
      EXPECT_EQ(r.error().find('\n'), std::string::npos) << r.error();
      continue;
    }
    ++parsed;
    if (r->kind == Schedule::Kind::Every) {
      EXPECT_GE(r->every_seconds, 1);
      EXPECT_LE(r->every_seconds, 366 * 86400);
      continue;
    }
    std::optional<int64_t> next = next_run(*r, 1796299500, k_utc);
    if (next) {
      EXPECT_GT(*next, 1796299500);
      EXPECT_TRUE(fields_match(*r, k_utc.to_local(*next))) << text;
    }
  }
  // Mostly errors, as it should be; but the generator also reaches valid schedules.
  EXPECT_GT(parsed, 50);
}

// --- next_run in UTC -----------------------------------------------------------------------------

TEST(CronNextRun, UtcTable) {
  struct Case {
    std::string_view schedule;
    std::string_view after;
    std::string_view next;  // "" for none
  };
  const Case cases[] = {
      {"* * * * *", "2026-03-10 12:00:00", "2026-03-10 12:01:00"},
      {"* * * * *", "2026-03-10 12:00:30", "2026-03-10 12:01:00"},
      {"* * * * *", "2026-03-10 12:00:59", "2026-03-10 12:01:00"},
      {"*/5 * * * *", "2026-03-10 12:03:00", "2026-03-10 12:05:00"},
      {"*/5 * * * *", "2026-03-10 12:05:00", "2026-03-10 12:10:00"},  // strictly after
      {"*/5 * * * *", "2026-03-10 23:58:00", "2026-03-11 00:00:00"},
      {"0 * * * *", "2026-03-10 12:00:00", "2026-03-10 13:00:00"},
      {"15 3 * * *", "2026-03-10 03:15:00", "2026-03-11 03:15:00"},
      {"0 0 31 * *", "2026-04-01 00:00:00", "2026-05-31 00:00:00"},  // April has 30 days
      {"0 12 30 * *", "2026-01-31 00:00:00", "2026-03-30 12:00:00"},  // February has none
      {"0 0 29 2 *", "2026-03-01 00:00:00", "2028-02-29 00:00:00"},
      {"0 0 29 2 *", "2024-02-28 10:00:00", "2024-02-29 00:00:00"},
      {"0 0 29 2 *", "2000-01-01 00:00:00", "2000-02-29 00:00:00"},  // 2000 is a leap year
      {"0 0 29 2 *", "2096-03-01 00:00:00", ""},                     // 2100 is not: none within 5 years
      {"0 0 30 2 *", "2026-01-01 00:00:00", ""},
      {"0 0 31 4,6,9,11 *", "2026-01-01 00:00:00", ""},
      {"0 0 1 1 *", "2026-12-31 23:59:59", "2027-01-01 00:00:00"},
      {"59 23 31 12 *", "2026-12-31 23:59:00", "2027-12-31 23:59:00"},
      {"@yearly", "2026-06-01 00:00:00", "2027-01-01 00:00:00"},
      {"@monthly", "2026-12-15 08:00:00", "2027-01-01 00:00:00"},
      {"@weekly", "2026-03-11 10:00:00", "2026-03-15 00:00:00"},  // Wednesday -> Sunday
      {"@daily", "2026-02-28 00:00:00", "2026-03-01 00:00:00"},
      {"@hourly", "2026-12-31 23:00:00", "2027-01-01 00:00:00"},
      {"0 9 * * MON-FRI", "2026-03-13 10:00:00", "2026-03-16 09:00:00"},  // Friday -> Monday
      {"0 9 * * 7", "2026-03-13 10:00:00", "2026-03-15 09:00:00"},
      {"0 0 * FEB SUN", "2026-03-01 00:00:00", "2027-02-07 00:00:00"},
      {"30 */20 * * * *", "2026-03-10 12:00:30", "2026-03-10 12:20:30"},
      {"*/10 * * * * *", "2026-03-10 12:00:55", "2026-03-10 12:01:00"},
      {"* * * * * *", "2026-12-31 23:59:59", "2027-01-01 00:00:00"},
      {"0 0 0 * * *", "2026-03-10 00:00:00", "2026-03-11 00:00:00"},
      {"59 59 23 31 12 *", "2026-06-01 00:00:00", "2026-12-31 23:59:59"},
      // Vixie's rule: both restricted, either one; one '*', the other.
      {"0 0 13 * FRI", "2026-03-01 00:00:00", "2026-03-06 00:00:00"},  // a Friday
      {"0 0 13 * FRI", "2026-03-06 00:00:00", "2026-03-13 00:00:00"},  // both
      {"0 0 13 * FRI", "2026-03-27 00:00:00", "2026-04-03 00:00:00"},
      {"0 0 13 * FRI", "2026-04-10 00:00:00", "2026-04-13 00:00:00"},  // a Monday the 13th
      {"0 0 13 * *", "2026-03-01 00:00:00", "2026-03-13 00:00:00"},
      {"0 0 * * FRI", "2026-03-01 00:00:00", "2026-03-06 00:00:00"},
      {"0 0 ? * FRI", "2026-03-06 00:00:00", "2026-03-13 00:00:00"},
      {"0 0 1 * MON", "2026-03-01 00:00:00", "2026-03-02 00:00:00"},
      {"0 0 1 * MON", "2026-03-30 00:00:00", "2026-04-01 00:00:00"},
      {"0 0 30 2 MON", "2026-01-31 00:00:00", "2026-02-02 00:00:00"},  // the day-of-month never, Mondays do
      {"0 0 1 1 *", "1600-06-01 00:00:00", "1601-01-01 00:00:00"},
      {"* * * * *", "1969-12-31 23:58:30", "1969-12-31 23:59:00"},
  };
  for (const Case& c : cases) {
    std::optional<int64_t> next = next_run(ok(c.schedule), wall(c.after), k_utc);
    EXPECT_EQ(next ? format_local(*next, k_utc) : "", c.next) << c.schedule << " after " << c.after;
  }
}

TEST(CronNextRun, NoneForEveryAndOutsideTheCalendar) {
  EXPECT_EQ(next_run(ok("@every 5m"), 0, k_utc), std::nullopt);
  Schedule all = ok("* * * * * *");
  EXPECT_EQ(next_run(all, INT64_MAX, k_utc), std::nullopt);
  EXPECT_EQ(next_run(all, INT64_MIN, k_utc), std::nullopt);
  EXPECT_EQ(next_run(all, k_last_instant, k_utc), std::nullopt);
  EXPECT_EQ(next_run(all, k_first_instant, k_utc), std::nullopt);
  EXPECT_EQ(next_run(all, -1, k_utc), 0);
  EXPECT_EQ(next_run(all, wall("9990-01-01 00:00:00"), k_utc), wall("9990-01-01 00:00:01"));
  EXPECT_EQ(next_run(Schedule{}, 0, k_utc), std::nullopt);  // no bits at all: nothing matches
}

// Random schedules against a walk of every minute (five fields) or second (six).
TEST(CronNextRun, AgreesWithAWalkInUtc) {
  std::mt19937 rng(42);
  auto pick = [&](std::initializer_list<std::string_view> options) {
    return std::string(*(options.begin() + rng() % options.size()));
  };
  for (int i = 0; i < 150; ++i) {
    bool six = i % 3 == 0;
    std::string text = fmt::format(
        "{} {} {} {} {}", pick({"*", "*/7", "0", "5,35", "59", "10-20/5"}), pick({"*", "*/5", "0", "23", "1-3,22"}),
        pick({"*", "?", "1", "*/3", "28-31", "15"}), pick({"*", "*", "*", "2", "JAN-MAR", "*/4"}),
        pick({"*", "*", "SUN", "MON-FRI", "6,7", "3"}));
    if (six) {
      text = pick({"*", "*/13", "0", "30", "59"}) + " " + text;
    }
    Schedule s = ok(text);
    int64_t after = wall("2024-01-01 00:00:00") + static_cast<int64_t>(rng() % (4 * 365 * 86400));
    std::optional<int64_t> next = next_run(s, after, k_utc);
    ASSERT_TRUE(next.has_value()) << text;
    ASSERT_GT(*next, after);
    EXPECT_TRUE(fields_match(s, k_utc.to_local(*next))) << text << " at " << format_local(*next, k_utc);
    int64_t step = six ? 1 : 60;
    int64_t horizon = std::min(*next, after + (six ? 6 * 3600 : 3 * 86400));
    int64_t u = six ? after + 1 : (after / 60 + 1) * 60;
    for (; u < horizon; u += step) {
      if (fields_match(s, k_utc.to_local(u))) {
        ADD_FAILURE() << text << " after " << format_local(after, k_utc) << ": missed " << format_local(u, k_utc)
                      << ", gave " << format_local(*next, k_utc);
        break;
      }
    }
  }
}

// --- DST -----------------------------------------------------------------------------------------

TEST(CronDst, CetSpringForward) {
  PosixZone cet(k_cet);
  const TimeZone& tz = cet.zone;
  // 2026-03-29 02:00 CET: the clocks go to 03:00 CEST (01:00 UTC).
  EXPECT_EQ(shown_runs("30 2 * * *", tz, wall("2026-03-28 00:00:00"), wall("2026-03-31 00:00:00")),
            (std::vector<std::string>{"2026-03-28 02:30:00 +1", "2026-03-29 03:00:00 +2", "2026-03-30 02:30:00 +2"}));
  EXPECT_EQ(next_run(ok("30 2 * * *"), wall("2026-03-28 12:00:00"), tz), 1774746000);  // the jump itself
  // Several readings in the gap make one run.
  EXPECT_EQ(shown_runs("15,45 2 * * *", tz, wall("2026-03-28 00:00:00"), wall("2026-03-30 12:00:00")),
            (std::vector<std::string>{"2026-03-28 02:15:00 +1", "2026-03-28 02:45:00 +1", "2026-03-29 03:00:00 +2",
                                      "2026-03-30 02:15:00 +2", "2026-03-30 02:45:00 +2"}));
  // A job at 03:00 that the gap also matches runs once at 03:00.
  EXPECT_EQ(shown_runs("0 2,3 * * *", tz, wall("2026-03-29 00:00:00"), wall("2026-03-29 23:00:00")),
            (std::vector<std::string>{"2026-03-29 03:00:00 +2"}));
  // An interval job skips the gap.
  EXPECT_EQ(shown_runs("*/30 * * * *", tz, wall("2026-03-29 00:00:00"), wall("2026-03-29 02:00:00")),
            (std::vector<std::string>{"2026-03-29 01:30:00 +1", "2026-03-29 03:00:00 +2", "2026-03-29 03:30:00 +2",
                                      "2026-03-29 04:00:00 +2"}));
}

TEST(CronDst, CetFallBack) {
  PosixZone cet(k_cet);
  const TimeZone& tz = cet.zone;
  // 2026-10-25 03:00 CEST: the clocks go back to 02:00 CET (01:00 UTC); 02:00-02:59 comes twice.
  EXPECT_EQ(shown_runs("30 2 * * *", tz, wall("2026-10-24 00:00:00"), wall("2026-10-27 00:00:00")),
            (std::vector<std::string>{"2026-10-24 02:30:00 +2", "2026-10-25 02:30:00 +2", "2026-10-26 02:30:00 +1"}));
  EXPECT_EQ(shown_runs("*/30 * * * *", tz, wall("2026-10-24 23:00:00"), wall("2026-10-25 03:00:00")),
            (std::vector<std::string>{"2026-10-25 01:30:00 +2", "2026-10-25 02:00:00 +2", "2026-10-25 02:30:00 +2",
                                      "2026-10-25 02:00:00 +1", "2026-10-25 02:30:00 +1", "2026-10-25 03:00:00 +1",
                                      "2026-10-25 03:30:00 +1", "2026-10-25 04:00:00 +1"}));
  // From inside the first pass, an interval job's next run is in the second.
  EXPECT_EQ(shown(*next_run(ok("*/30 * * * *"), wall("2026-10-25 00:40:00"), tz), tz), "2026-10-25 02:00:00 +1");
  EXPECT_EQ(shown(*next_run(ok("10,45 * * * *"), wall("2026-10-25 00:20:00"), tz), tz), "2026-10-25 02:45:00 +2");
  EXPECT_EQ(shown(*next_run(ok("10,45 * * * *"), wall("2026-10-25 00:50:00"), tz), tz), "2026-10-25 02:10:00 +1");
  // From inside the second pass, a daily job has already run: tomorrow.
  EXPECT_EQ(shown(*next_run(ok("30 2 * * *"), wall("2026-10-25 01:10:00"), tz), tz), "2026-10-26 02:30:00 +1");
  EXPECT_EQ(shown(*next_run(ok("30 2 * * *"), instant_in(tz, "2026-10-25 02:10:00"), tz), tz),
            "2026-10-25 02:30:00 +2");
}

TEST(CronDst, EasternSpringForwardAndFallBack) {
  PosixZone eastern(k_eastern);
  const TimeZone& tz = eastern.zone;
  // 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC).
  EXPECT_EQ(shown_runs("30 2 * * *", tz, wall("2026-03-07 00:00:00"), wall("2026-03-10 00:00:00")),
            (std::vector<std::string>{"2026-03-07 02:30:00 -5", "2026-03-08 03:00:00 -4", "2026-03-09 02:30:00 -4"}));
  EXPECT_EQ(next_run(ok("30 2 * * *"), wall("2026-03-08 00:00:00"), tz), 1772953200);
  EXPECT_EQ(shown_runs("*/30 * * * *", tz, wall("2026-03-08 06:00:00"), wall("2026-03-08 08:00:00")),
            (std::vector<std::string>{"2026-03-08 01:30:00 -5", "2026-03-08 03:00:00 -4", "2026-03-08 03:30:00 -4",
                                      "2026-03-08 04:00:00 -4"}));
  // 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC); 01:00-01:59 comes twice.
  EXPECT_EQ(shown_runs("30 1 * * *", tz, wall("2026-10-31 00:00:00"), wall("2026-11-03 00:00:00")),
            (std::vector<std::string>{"2026-10-31 01:30:00 -4", "2026-11-01 01:30:00 -4", "2026-11-02 01:30:00 -5"}));
  EXPECT_EQ(shown_runs("30 2 * * *", tz, wall("2026-10-31 12:00:00"), wall("2026-11-02 12:00:00")),
            (std::vector<std::string>{"2026-11-01 02:30:00 -5", "2026-11-02 02:30:00 -5"}));
  EXPECT_EQ(shown_runs("*/30 * * * *", tz, wall("2026-11-01 04:00:00"), wall("2026-11-01 07:00:00")),
            (std::vector<std::string>{"2026-11-01 00:30:00 -4", "2026-11-01 01:00:00 -4", "2026-11-01 01:30:00 -4",
                                      "2026-11-01 01:00:00 -5", "2026-11-01 01:30:00 -5", "2026-11-01 02:00:00 -5"}));
}

// The rules of cron.h applied minute by minute: a reading that matches fires,
// unless it repeats an earlier instant's reading and the hour is restricted;
// with a restricted hour, a jump of the clocks over a matching reading fires at
// the jump.
std::vector<int64_t> walk(const Schedule& s, const TimeZone& tz, int64_t from, int64_t to) {
  auto reading = [&](int64_t u) { return wall_seconds(tz.to_local(u)); };
  std::vector<int64_t> out;
  for (int64_t u = (from / 60 + 1) * 60; u <= to; u += 60) {
    int64_t w = reading(u);
    int64_t earlier_offset = reading(u - 86400) - (u - 86400);
    bool repeated = earlier_offset > w - u && reading(w - earlier_offset) == w;
    bool fires = fields_match(s, tz.to_local(u)) && !(s.hours_restricted && repeated);
    if (!fires && s.hours_restricted) {
      for (int64_t skipped = reading(u - 60) + 60; skipped < w; skipped += 60) {
        fires = fires || fields_match(s, utc_time(skipped));
      }
    }
    if (fires) {
      out.push_back(u);
    }
  }
  return out;
}

TEST(CronDst, AgreesWithAMinuteWalkAroundEveryChange) {
  const char* schedules[] = {"30 2 * * *", "*/30 * * * *", "0 * * * *", "15 1,2,3 * * *", "* 2 * * *",
                             "0 0 * * *",  "*/7 * * * *",  "59 1 * * *", "0 3 * * *",     "* * * * *",
                             "0 */2 * * *", "45 0-3 * * *", "0 2 25 10 *", "*/20 1-2 * * SUN"};
  struct Change {
    const char* tz;
    const char* utc;  // the change, in UTC
  };
  const Change changes[] = {
      {k_cet, "2026-03-29 01:00:00"},
      {k_cet, "2026-10-25 01:00:00"},
      {k_eastern, "2026-03-08 07:00:00"},
      {k_eastern, "2026-11-01 06:00:00"},
  };
  for (const Change& c : changes) {
    PosixZone zone(c.tz);
    int64_t from = wall(c.utc) - 36 * 3600;
    int64_t to = wall(c.utc) + 36 * 3600;
    for (const char* text : schedules) {
      Schedule s = ok(text);
      std::vector<int64_t> expected = walk(s, zone.zone, from, to);
      std::vector<int64_t> got = runs(s, zone.zone, from, to);
      EXPECT_EQ(got, expected) << text << " in " << c.tz << " around " << c.utc;
      // And from every minute of the two hours around the change, not only from runs.
      for (int64_t after = wall(c.utc) - 7200; after <= wall(c.utc) + 7200; after += 60) {
        auto want = std::upper_bound(expected.begin(), expected.end(), after);
        if (want == expected.end()) {
          continue;
        }
        EXPECT_EQ(next_run(s, after, zone.zone), *want)
            << text << " in " << c.tz << " after " << format_local(after, zone.zone);
      }
    }
  }
}

// --- zones ---------------------------------------------------------------------------------------

TEST(TimeZone, UtcFieldsMatchTheCLibrary) {
  LocalTime epoch = utc_time(0);
  EXPECT_EQ(fmt::format("{}-{}-{} {}:{}:{} wd{}", epoch.year, epoch.month, epoch.day, epoch.hour, epoch.minute,
                        epoch.second, epoch.weekday),
            "1970-1-1 0:0:0 wd4");
  EXPECT_EQ(utc_time(951782400).weekday, 2);  // 2000-02-29, a Tuesday
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    int64_t u = k_first_instant + static_cast<int64_t>(rng() % static_cast<uint64_t>(k_last_instant - k_first_instant));
    if (i % 2 == 0) {
      u = static_cast<int64_t>(rng() % (200LL * 365 * 86400)) - 50LL * 365 * 86400;  // mostly near now
    }
    time_t t = static_cast<time_t>(u);
    struct tm tm {};
    ASSERT_NE(::gmtime_r(&t, &tm), nullptr);
    LocalTime mine = utc_time(u);
    ASSERT_EQ(mine.year, tm.tm_year + 1900) << u;
    ASSERT_EQ(mine.month, tm.tm_mon + 1) << u;
    ASSERT_EQ(mine.day, tm.tm_mday) << u;
    ASSERT_EQ(mine.hour, tm.tm_hour) << u;
    ASSERT_EQ(mine.minute, tm.tm_min) << u;
    ASSERT_EQ(mine.second, tm.tm_sec) << u;
    ASSERT_EQ(mine.weekday, tm.tm_wday) << u;
    ASSERT_EQ(wall_seconds(mine), u);
  }
  // Outside years 1-9999, clamped.
  EXPECT_EQ(utc_time(INT64_MAX).year, 9999);
  EXPECT_EQ(utc_time(INT64_MIN).year, 1);
}

TEST(TimeZone, SystemZoneWithoutTzIsUtc) {
  for (const char* tz : {static_cast<const char*>(nullptr), ""}) {
    PosixZone unset(tz);
    EXPECT_EQ(unset.zone.name(), "UTC");
    LocalTime t = unset.zone.to_local(1774746000);
    EXPECT_EQ(t.hour, 1);
    EXPECT_EQ(t.utc_offset, 0);
    EXPECT_EQ(format_local(1796299500, unset.zone), "2026-12-03 12:05:00");
  }
}

TEST(TimeZone, SystemZoneReadsAPosixTz) {
  PosixZone cet(k_cet);
  EXPECT_EQ(cet.zone.name(), k_cet);
  LocalTime summer = cet.zone.to_local(1774746000);
  EXPECT_EQ(fmt::format("{} wd{} {}", format_local(1774746000, cet.zone), summer.weekday, summer.utc_offset),
            "2026-03-29 03:00:00 wd0 7200");
  EXPECT_EQ(cet.zone.to_local(1774746000 - 1).utc_offset, 3600);
  EXPECT_EQ(format_local(1796299500, cet.zone), "2026-12-03 13:05:00");
}

TEST(TimeZone, FormatLocal) {
  EXPECT_EQ(format_local(1796299500, k_utc), "2026-12-03 12:05:00");
  EXPECT_EQ(format_local(0, k_utc), "1970-01-01 00:00:00");
  EXPECT_EQ(format_local(k_first_instant, k_utc), "0001-01-01 00:00:00");
  EXPECT_EQ(format_local(k_last_instant, k_utc), "9999-12-31 23:59:59");
}

}  // namespace
}  // namespace tend::sched
