#include "sched/cron.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <span>
#include <vector>

namespace tend::sched {

namespace {

constexpr int64_t k_minute = 60;
constexpr int64_t k_hour = 3600;
constexpr int64_t k_day = 86400;
constexpr int64_t k_max_every = 366 * k_day;
constexpr int64_t k_search_span = 5 * 366 * k_day;

// --- text ----------------------------------------------------------------------------------------

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return is_blank(c) || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// The words of `s` between runs of spaces and tabs.
std::vector<std::string_view> split_blanks(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) {
      ++i;
    }
    size_t start = i;
    while (i < s.size() && !is_blank(s[i])) {
      ++i;
    }
    if (i > start) {
      words.push_back(s.substr(start, i - start));
    }
  }
  return words;
}

// The pieces of `s` between `sep`s, empty ones included.
std::vector<std::string_view> split_on(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Text as a message quotes it: control bytes become \xNN so that the message
// stays on one line whatever the input held.
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A run of digits as a number that stops growing at k_saturated: large enough
// to be out of every range, small enough that times 86400 fits in 64 bits.
constexpr int64_t k_saturated = 1'000'000'000'000;
int64_t saturated_number(std::string_view digits) {
  int64_t n = 0;
  for (char c : digits) {
    n = std::min(k_saturated, n * 10 + (c - '0'));
  }
  return n;
}

// --- fields --------------------------------------------------------------------------------------

constexpr std::array<std::string_view, 12> k_month_names = {"jan", "feb", "mar", "apr", "may", "jun",
                                                            "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> k_weekday_names = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec {
  std::string_view name;  // in messages: "minute 61 out of range 0-59"
  int min;
  int max;  // the largest value written (day-of-week: 7, Sunday again)
  int top;  // where `*` and `N/S` end (day-of-week: 6)
  std::span<const std::string_view> names;  // names[i] is the value names_base + i
  int names_base;
  std::string_view names_hint;
};

constexpr int k_second = 0;
constexpr int k_minute_field = 1;
constexpr int k_hour_field = 2;
constexpr int k_day_field = 3;
constexpr int k_month_field = 4;
constexpr int k_weekday_field = 5;

const std::array<FieldSpec, 6> k_fields = {{
    {"second", 0, 59, 59, {}, 0, ""},
    {"minute", 0, 59, 59, {}, 0, ""},
    {"hour", 0, 23, 23, {}, 0, ""},
    {"day-of-month", 1, 31, 31, {}, 0, ""},
    {"month", 1, 12, 12, k_month_names, 1, "a month name (JAN-DEC)"},
    {"day-of-week", 0, 7, 6, k_weekday_names, 0, "a day name (SUN-SAT)"},
}};

Result<int> parse_value(std::string_view word, const FieldSpec& f) {
  if (all_digits(word)) {
    int64_t n = saturated_number(word);
    if (n < f.min || n > f.max) {
      return make_error(fmt::format("{} {} out of range {}-{}", f.name, word, f.min, f.max));
    }
    return static_cast<int>(n);
  }
  std::string name = lower(word);
  for (size_t i = 0; i < f.names.size(); ++i) {
    if (name == f.names[i]) {
      return f.names_base + static_cast<int>(i);
    }
  }
  if (f.names.empty()) {
    return make_error(fmt::format("{} value '{}' is not a number", f.name, shown(word)));
  }
  return make_error(fmt::format("{} value '{}' is neither a number nor {}", f.name, shown(word), f.names_hint));
}

// The S of `.../S`: 1 to the width of the field.
Result<int> parse_step(std::string_view text, std::string_view item, const FieldSpec& f) {
  if (text.empty()) {
    return make_error(fmt::format("missing step after '/' in '{}'", shown(item)));
  }
  if (!all_digits(text)) {
    return make_error(fmt::format("step '{}' in '{}' is not a number", shown(text), shown(item)));
  }
  int64_t n = saturated_number(text);
  if (n == 0) {
    return make_error(fmt::format("step {} in '{}'", text, shown(item)));
  }
  if (n > f.top - f.min + 1) {
    return make_error(
        fmt::format("step {} in '{}' is larger than the {} range {}-{}", text, shown(item), f.name, f.min, f.top));
  }
  return static_cast<int>(n);
}

struct Span {
  int lo;
  int hi;
};

// `N-M`.
Result<Span> parse_range(std::string_view text, const FieldSpec& f) {
  size_t dash = text.find('-');
  std::string_view from = text.substr(0, dash);
  std::string_view to = text.substr(dash + 1);
  if (from.empty() || to.empty()) {
    return make_error(fmt::format("incomplete range '{}' in the {} field", shown(text), f.name));
  }
  Result<int> lo = parse_value(from, f);
  if (!lo) {
    return Error{lo.error()};
  }
  Result<int> hi = parse_value(to, f);
  if (!hi) {
    return Error{hi.error()};
  }
  if (*hi == f.min && *hi < *lo && f.max > f.top && !all_digits(to)) {
    *hi = f.max;  // FRI-SUN: the name SUN ends a range as 7
  }
  if (*lo > *hi) {
    return make_error(fmt::format("range {} is backwards", shown(text)));
  }
  return Span{*lo, *hi};
}

// What comes before the '/' of an item, or the whole item: `*`, `?`, `N` or
// `N-M`. `N` alone is one value, `N` before a step runs to the field's top.
Result<Span> parse_span(std::string_view text, bool stepped, const FieldSpec& f) {
  if (text == "*" || text == "?") {
    return Span{f.min, f.top};
  }
  if (text.find('-') != std::string_view::npos) {
    return parse_range(text, f);
  }
  Result<int> v = parse_value(text, f);
  if (!v) {
    return Error{v.error()};
  }
  return Span{*v, stepped ? std::max(*v, f.top) : *v};
}

// One item of a field's list, as a mask with bit v set for each value v.
Result<uint64_t> parse_item(std::string_view item, const FieldSpec& f) {
  size_t slash = item.find('/');
  bool stepped = slash != std::string_view::npos;
  Result<int> step = stepped ? parse_step(item.substr(slash + 1), item, f) : Result<int>(1);
  if (!step) {
    return Error{step.error()};
  }
  std::string_view base = item.substr(0, slash);
  if (base.empty()) {
    return make_error(fmt::format("missing start before '/' in '{}'", shown(item)));
  }
  Result<Span> span = parse_span(base, stepped, f);
  if (!span) {
    return Error{span.error()};
  }
  uint64_t mask = 0;
  for (int v = span->lo; v <= span->hi; v += *step) {
    mask |= uint64_t{1} << v;
  }
  return mask;
}

Result<uint64_t> parse_field(std::string_view text, const FieldSpec& f) {
  uint64_t mask = 0;
  for (std::string_view item : split_on(text, ',')) {
    if (item.empty()) {
      return make_error(fmt::format("empty item in the {} field '{}'", f.name, shown(text)));
    }
    Result<uint64_t> m = parse_item(item, f);
    if (!m) {
      return m;
    }
    mask |= *m;
  }
  return mask;
}

bool is_star(std::string_view field) { return field == "*" || field == "?"; }

Result<Schedule> parse_cron(std::string_view text) {
  std::vector<std::string_view> words = split_blanks(text);
  if (words.size() != 5 && words.size() != 6) {
    return make_error(fmt::format("expected 5 or 6 fields, got {}", words.size()));
  }
  std::array<std::string_view, 6> fields = {"0"};
  std::copy(words.begin(), words.end(), fields.begin() + static_cast<std::ptrdiff_t>(6 - words.size()));
  std::array<uint64_t, 6> masks{};
  for (size_t i = 0; i < fields.size(); ++i) {
    Result<uint64_t> m = parse_field(fields[i], k_fields[i]);
    if (!m) {
      return Error{m.error()};
    }
    masks[i] = *m;
  }
  uint64_t weekdays = masks[k_weekday_field];
  if ((weekdays >> 7) & 1) {
    weekdays = (weekdays | 1) & 0x7f;  // 7 is Sunday
  }
  Schedule s;
  s.kind = Schedule::Kind::Cron;
  s.seconds = std::bitset<60>(masks[k_second]);
  s.minutes = std::bitset<60>(masks[k_minute_field]);
  s.hours = std::bitset<24>(masks[k_hour_field]);
  s.days = std::bitset<32>(masks[k_day_field]);
  s.months = std::bitset<13>(masks[k_month_field]);
  s.weekdays = std::bitset<7>(weekdays);
  s.days_restricted = !is_star(fields[k_day_field]);
  s.weekdays_restricted = !is_star(fields[k_weekday_field]);
  s.hours_restricted = !is_star(fields[k_hour_field]);
  return s;
}

// `@every`'s duration: parts of a whole number and a unit.
Result<int64_t> parse_duration(std::string_view text) {
  constexpr std::string_view k_units = "(use s, m, h or d, e.g. 90s, 5m, 1h30m, 2d)";
  if (text.empty()) {
    return make_error(fmt::format("@every needs a duration {}", k_units));
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    std::string_view digits = text.substr(start, i - start);
    size_t unit_start = i;
    while (i < text.size() && !(text[i] >= '0' && text[i] <= '9')) {
      ++i;
    }
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (digits.empty()) {
      return make_error(fmt::format("duration '{}' must start with a number {}", shown(text), k_units));
    }
    if (unit.empty()) {
      return make_error(fmt::format("missing unit after {} in duration '{}' {}", digits, shown(text), k_units));
    }
    int64_t per = unit == "s" ? 1 : unit == "m" ? k_minute : unit == "h" ? k_hour : unit == "d" ? k_day : 0;
    if (per == 0) {
      return make_error(fmt::format("bad duration unit '{}' in '{}' {}", shown(unit), shown(text), k_units));
    }
    total = std::min(k_saturated, total + saturated_number(digits) * per);
  }
  if (total < 1) {
    return make_error(fmt::format("duration '{}' is shorter than 1s", shown(text)));
  }
  if (total > k_max_every) {
    return make_error(fmt::format("duration '{}' is longer than 366 days", shown(text)));
  }
  return total;
}

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Macro, 7> k_macros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

Result<Schedule> parse_macro(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && !is_blank(text[end])) {
    ++end;
  }
  std::string_view word = text.substr(0, end);
  std::string_view rest = trim(text.substr(end));
  std::string name = lower(word);
  if (name == "@every") {
    Result<int64_t> period = parse_duration(rest);
    if (!period) {
      return Error{period.error()};
    }
    Schedule s;
    s.kind = Schedule::Kind::Every;
    s.every_seconds = *period;
    return s;
  }
  for (const Macro& m : k_macros) {
    if (name == m.name) {
      if (!rest.empty()) {
        return make_error(fmt::format("unexpected '{}' after {}", shown(rest), m.name));
      }
      return parse_cron(m.fields);
    }
  }
  std::string hint = name == "@reboot" ? "for a job that runs once at start use oneshot = true"
                                       : "known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
                                         "@hourly, @every <duration>";
  return make_error(fmt::format("unknown macro '{}' ({})", shown(word), hint));
}

// --- the search ----------------------------------------------------------------------------------

int64_t floor_to(int64_t v, int64_t unit) {
  int64_t r = v % unit;
  return r < 0 ? v - r - unit : v - r;
}

// The first value >= from whose bit is set, or -1.
template <size_t N>
int next_set(const std::bitset<N>& bits, int from) {
  for (size_t i = static_cast<size_t>(std::max(from, 0)); i < N; ++i) {
    if (bits.test(i)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool day_matches(const Schedule& s, const LocalTime& t) {
  bool by_day = s.days.test(static_cast<size_t>(t.day));
  bool by_weekday = s.weekdays.test(static_cast<size_t>(t.weekday));
  if (s.days_restricted && s.weekdays_restricted) {
    return by_day || by_weekday;
  }
  return by_day && by_weekday;  // the unrestricted one has every bit set
}

LocalTime first_of_next_month(const LocalTime& t) {
  LocalTime next;
  next.year = t.month == 12 ? t.year + 1 : t.year;
  next.month = t.month == 12 ? 1 : t.month + 1;
  return utc_time(wall_seconds(next));  // for the weekday
}

// The first wall-clock reading in [from, limit] (wall seconds) that the fields
// match. Each round either returns or moves to the start of the next month,
// day, hour or minute that can still match, so the rounds are bounded by the
// days in the span plus a few per matching day.
std::optional<int64_t> next_reading(const Schedule& s, int64_t from, int64_t limit) {
  LocalTime t = utc_time(from);
  for (int64_t now = from; now <= limit; now = wall_seconds(t)) {
    if (!s.months.test(static_cast<size_t>(t.month))) {
      t = first_of_next_month(t);
      continue;
    }
    if (!day_matches(s, t)) {
      t = utc_time(floor_to(now, k_day) + k_day);
      continue;
    }
    int hour = next_set(s.hours, t.hour);
    if (hour < 0) {
      t = utc_time(floor_to(now, k_day) + k_day);
      continue;
    }
    if (hour != t.hour) {
      t.hour = hour;
      t.minute = 0;
      t.second = 0;
    }
    int minute = next_set(s.minutes, t.minute);
    if (minute < 0) {
      t = utc_time(floor_to(wall_seconds(t), k_hour) + k_hour);
      continue;
    }
    if (minute != t.minute) {
      t.minute = minute;
      t.second = 0;
    }
    int second = next_set(s.seconds, t.second);
    if (second < 0) {
      t = utc_time(floor_to(wall_seconds(t), k_minute) + k_minute);
      continue;
    }
    t.second = second;
    int64_t found = wall_seconds(t);
    return found <= limit ? std::optional<int64_t>(found) : std::nullopt;
  }
  return std::nullopt;
}

int64_t wall_at(const TimeZone& tz, int64_t u) { return wall_seconds(tz.to_local(u)); }

// The offset as the wall clock shows it, leap seconds of a "right/" zone
// included (tm_gmtoff leaves them out).
int64_t offset_at(const TimeZone& tz, int64_t u) { return wall_at(tz, u) - u; }

// The instants, ascending, whose reading is `wall`.
std::vector<int64_t> instants_reading(const TimeZone& tz, int64_t wall) {
  std::vector<int64_t> found;
  for (int64_t probe : {wall - k_day, wall, wall + k_day}) {
    int64_t u = wall - offset_at(tz, probe);
    if (wall_at(tz, u) == wall && std::find(found.begin(), found.end(), u) == found.end()) {
      found.push_back(u);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

// For a reading `wall` that no instant shows: the instant the clocks jump over
// it, i.e. the first one whose reading is later. nullopt if the readings two
// days around do not bracket `wall` (a zone this module does not understand).
std::optional<int64_t> end_of_gap(const TimeZone& tz, int64_t wall) {
  int64_t lo = wall - 2 * k_day;
  int64_t hi = wall + 2 * k_day;
  if (!(wall_at(tz, lo) < wall && wall_at(tz, hi) > wall)) {
    return std::nullopt;
  }
  while (hi - lo > 1) {  // reading(lo) <= wall < reading(hi)
    int64_t mid = lo + (hi - lo) / 2;
    if (wall_at(tz, mid) > wall) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

// The first instant after `after` at which `s` fires for a reading in
// [from, limit], taking readings in order. Callers choose the range so that
// reading order is instant order (see next_run).
std::optional<int64_t> first_in_readings(const Schedule& s, const TimeZone& tz, int64_t after, int64_t from,
                                         int64_t limit) {
  while (std::optional<int64_t> wall = next_reading(s, from, limit)) {
    std::vector<int64_t> at = instants_reading(tz, *wall);
    from = *wall + 1;
    if (at.empty()) {
      std::optional<int64_t> jump = end_of_gap(tz, *wall);
      if (!jump) {
        continue;
      }
      if (s.hours_restricted && *jump > after) {
        return jump;
      }
      from = std::max(from, wall_at(tz, *jump));  // the rest of the gap gives the same answer
      continue;
    }
    if (s.hours_restricted) {
      at.resize(1);  // a repeated reading fires at its first instant only
    }
    for (int64_t u : at) {
      if (u > after) {
        return u;
      }
    }
  }
  return std::nullopt;
}

// The instant within a day after `first` where the clocks go back, if any.
std::optional<int64_t> clocks_back_ahead(const TimeZone& tz, int64_t first) {
  int64_t before = offset_at(tz, first);
  if (offset_at(tz, first + k_day) >= before) {
    return std::nullopt;
  }
  int64_t lo = first;
  int64_t hi = first + k_day;
  while (hi - lo > 1) {  // offset(lo) is the old one, offset(hi) is not
    int64_t mid = lo + (hi - lo) / 2;
    if (offset_at(tz, mid) == before) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

}  // namespace

Result<Schedule> parse_schedule(std::string_view text) {
  std::string_view all = trim(text);
  Result<Schedule> parsed = make_error("empty (expected 5 or 6 fields or a macro such as @daily or @every 5m)");
  if (!all.empty()) {
    parsed = all[0] == '@' ? parse_macro(all) : parse_cron(all);
  }
  if (!parsed) {
    return make_error(fmt::format("bad schedule '{}': {}", shown(all), parsed.error()));
  }
  parsed->text = std::string(all);
  return parsed;
}

std::optional<int64_t> next_run(const Schedule& s, int64_t after, const TimeZone& tz) {
  if (s.kind != Schedule::Kind::Cron || after < k_first_instant + 3 * k_day ||
      after > k_last_instant - k_search_span - 3 * k_day) {
    return std::nullopt;
  }
  int64_t first = after + 1;
  int64_t from = wall_at(tz, first);
  // Taken from `first`'s reading on, readings come in the order of their
  // instants, except for the second pass of an hour the clocks repeat: it
  // comes after the first pass but reads the same. So the search goes on from
  // `first`'s reading ...
  std::optional<int64_t> best = first_in_readings(s, tz, after, from, from + k_search_span);
  if (s.hours_restricted) {
    return best;  // ... which is all, when repeated readings fire at their first instant only.
  }
  // ... and, when `first` is in a first pass, the second pass up to `first`'s
  // reading is searched too: it comes later than the first pass, earlier than
  // anything after it.
  std::optional<int64_t> back = clocks_back_ahead(tz, first);
  if (back && wall_at(tz, *back) < from) {
    std::optional<int64_t> again = first_in_readings(s, tz, after, wall_at(tz, *back), from - 1);
    if (again && (!best || *again < *best)) {
      best = again;
    }
  }
  return best;
}

}  // namespace tend::sched
