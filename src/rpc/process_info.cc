#include "rpc/process_info.h"

#include <time.h>

#include <climits>
#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace tend::rpc {

Namespec split_namespec(std::string_view spec) {
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos) {
    return Namespec{std::string(spec), std::string(spec)};
  }
  Namespec n{std::string(spec.substr(0, colon)), std::string(spec.substr(colon + 1))};
  if (n.process->empty() || *n.process == "*") {
    n.process.reset();
  }
  return n;
}

std::string make_namespec(const std::string& group, const std::string& name) {
  return group == name ? name : group + ":" + name;
}

int64_t capped_int(double v) {
  if (std::isnan(v)) {
    return 0;
  }
  if (v <= static_cast<double>(INT32_MIN)) {
    return INT32_MIN;
  }
  if (v >= static_cast<double>(INT32_MAX)) {
    return INT32_MAX;
  }
  return static_cast<int64_t>(v);  // truncates toward zero, like Python's int()
}

std::string format_uptime(int64_t seconds) {
  if (seconds < 0) {
    seconds = 0;
  }
  int64_t days = seconds / 86400;
  int64_t rest = seconds % 86400;
  std::string clock = fmt::format("{}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
  if (days == 0) {
    return clock;
  }
  return fmt::format("{} day{}, {}", days, days == 1 ? "" : "s", clock);
}

std::string format_stop_time(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  struct tm tm {};
  if (localtime_r(&t, &tm) == nullptr) {
    return "";
  }
  static const char* const k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
  return fmt::format("{} {:02} {:02}:{:02} {}", k_months[tm.tm_mon], tm.tm_mday, hour12, tm.tm_min,
                     tm.tm_hour < 12 ? "AM" : "PM");
}

std::string describe_process(ProcessState state, int64_t start, int64_t stop, int64_t now, int64_t pid,
                             const std::string& spawnerr, const std::string& name) {
  switch (state) {
    case ProcessState::Running:
      return fmt::format("pid {}, uptime {}", pid, format_uptime(now - start));
    case ProcessState::Backoff:
    case ProcessState::Fatal:
      return spawnerr.empty() ? fmt::format("unknown error (try \"tail {}\")", name) : spawnerr;
    case ProcessState::Stopped:
    case ProcessState::Exited:
      return start != 0 ? format_stop_time(stop) : "Not started";
    default:
      return "";
  }
}

std::string describe_with_notes(std::string base, ProcessState state, const CheckView& checks,
                                const ProcessNotes& notes) {
  if (!notes.waiting_for.empty()) {
    return "waiting for " + notes.waiting_for;
  }
  std::vector<std::string> parts;
  if (state == ProcessState::Starting && checks.ready_check) {
    parts.emplace_back("not ready");
  }
  if (state == ProcessState::Running && checks.health_check) {
    switch (notes.health) {
      case ProcessNotes::Health::Healthy:
        parts.emplace_back("healthy");
        break;
      case ProcessNotes::Health::Unhealthy:
        parts.push_back(notes.health_detail.empty() ? "unhealthy" : fmt::format("unhealthy ({})", notes.health_detail));
        break;
      case ProcessNotes::Health::Unknown:
        parts.emplace_back("health unknown");
        break;
    }
  } else if (state == ProcessState::Running && checks.ready_check) {
    parts.emplace_back(checks.ready ? "ready" : "not ready");
  }
  bool live = state == ProcessState::Starting || state == ProcessState::Running || state == ProcessState::Stopping;
  if (live && !notes.status.empty()) {
    parts.push_back(notes.status);
  }
  if (!notes.next_run_text.empty()) {
    parts.push_back("next run " + notes.next_run_text);
  }
  for (std::string& part : parts) {
    base = base.empty() ? std::move(part) : base + ", " + part;
  }
  return base;
}

std::string restart_note(const ProcessFsm& fsm) {
  std::optional<double> in = fsm.restart_in();
  if (!in || !fsm.params().tend_restart_policy()) {
    return "";
  }
  std::string note = fmt::format("restarting in {} s", static_cast<int64_t>(std::ceil(*in)));
  if (fsm.fsm_state() == FsmState::Backoff) {
    return fmt::format("{} (failed start {})", note, fsm.backoff());
  }
  return fsm.crashes() > 0 ? fmt::format("{} (crash {})", note, fsm.crashes()) : note;
}

CheckView check_view(const Process& p) {
  ProbeSpec::Kind ready = p.config().ready.kind;
  return CheckView{ready != ProbeSpec::Kind::Running && ready != ProbeSpec::Kind::None, p.ready(),
                   p.config().healthcheck.kind != ProbeSpec::Kind::None};
}

std::optional<std::string> process_logfile(const ProcessConfig& cfg, Stream s) {
  if (s == Stream::Stderr && cfg.redirect_stderr) {
    return std::nullopt;
  }
  const LogTarget& t = s == Stream::Stdout ? cfg.stdout_ch.logfile : cfg.stderr_ch.logfile;
  if ((t.kind == LogTarget::Kind::Path || t.kind == LogTarget::Kind::Auto) && !t.path.empty()) {
    return t.path;
  }
  return std::nullopt;
}

std::optional<std::string> shown_logfile(const ProcessConfig& cfg, Stream s) {
  if (!process_logfile(cfg, s)) {
    return std::nullopt;
  }
  return (s == Stream::Stdout ? cfg.stdout_ch.logfile : cfg.stderr_ch.logfile).shown();
}

Value process_info(const std::string& group, const Process& p, double now_wall) {
  const ProcessFsm& fsm = p.fsm();
  const ProcessConfig& cfg = p.config();
  int64_t start = capped_int(fsm.laststart_wall());
  int64_t stop = capped_int(fsm.laststop_wall());
  int64_t now = capped_int(now_wall);
  ProcessState state = fsm.state();
  std::string out_log = shown_logfile(cfg, Stream::Stdout).value_or("");
  std::string err_log = shown_logfile(cfg, Stream::Stderr).value_or("");
  int64_t pid = fsm.pid();
  // Members are emplaced one by one: a braced Struct{...} would copy every
  // key and value out of its initializer_list, which shows up at 1000
  // processes per getAllProcessInfo.
  Struct info;
  info.reserve(14);
  info.emplace_back("name", Value(cfg.name));
  info.emplace_back("group", Value(group));
  info.emplace_back("start", Value(start));
  info.emplace_back("stop", Value(stop));
  info.emplace_back("now", Value(now));
  info.emplace_back("state", Value(static_cast<int>(state)));
  info.emplace_back("statename", Value(state_name(state)));
  info.emplace_back("spawnerr", Value(fsm.spawnerr()));
  info.emplace_back("exitstatus", Value(fsm.exitstatus()));
  info.emplace_back("logfile", Value(out_log));
  info.emplace_back("stdout_logfile", Value(std::move(out_log)));
  info.emplace_back("stderr_logfile", Value(std::move(err_log)));
  info.emplace_back("pid", Value(pid));
  std::string base = fsm.completed() ? std::string("completed")
                                     : describe_process(state, start, stop, now, pid, fsm.spawnerr(), cfg.name);
  if (std::string note = restart_note(fsm); !note.empty()) {
    base = base.empty() ? std::move(note) : base + ", " + note;
  }
  info.emplace_back("description", Value(describe_with_notes(std::move(base), state, check_view(p), p.notes())));
  return Value(std::move(info));
}

}  // namespace tend::rpc
