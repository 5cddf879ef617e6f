#include "ctl/format.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace tend::ctl {

bool is_stopped_state(int64_t s) {
  return s == state::k_stopped || s == state::k_exited || s == state::k_fatal ||
         s == state::k_unknown;
}

Namespec split_namespec(std::string_view spec) {
  size_t colon = spec.find(':');
  if (colon == std::string_view::npos) {
    return Namespec{std::string(spec), std::string(spec)};
  }
  std::string group(spec.substr(0, colon));
  std::string_view process = spec.substr(colon + 1);
  if (process.empty() || process == "*") {
    return Namespec{std::move(group), std::nullopt};
  }
  return Namespec{std::move(group), std::string(process)};
}

std::string make_namespec(std::string_view group, std::string_view process) {
  if (group == process) {
    return std::string(process);
  }
  return fmt::format("{}:{}", group, process);
}

int exit_status_after_fault(int current, int code, std::optional<int> ignored) {
  if (code == fault::k_success || (ignored && code == *ignored)) {
    return current;
  }
  if (code == fault::k_spawn_error || code == fault::k_abnormal_termination ||
      code == fault::k_not_running) {
    return k_exit_not_running;
  }
  return k_exit_generic;
}

std::string member_string(const rpc::Value& v, const std::string& key) {
  const rpc::Value* m = v.get(key);
  if (m == nullptr) {
    return {};
  }
  if (m->is_string()) {
    return m->as_string();
  }
  if (m->is_int()) {
    return std::to_string(m->as_int());
  }
  if (m->is_bool()) {
    return m->as_bool() ? "True" : "False";
  }
  return {};
}

int64_t member_int(const rpc::Value& v, const std::string& key) {
  const rpc::Value* m = v.get(key);
  if (m == nullptr) {
    return 0;
  }
  if (m->is_int()) {
    return m->as_int();
  }
  if (m->is_bool()) {
    return m->as_bool() ? 1 : 0;
  }
  return 0;
}

bool member_bool(const rpc::Value& v, const std::string& key) {
  const rpc::Value* m = v.get(key);
  if (m == nullptr) {
    return false;
  }
  if (m->is_bool()) {
    return m->as_bool();
  }
  if (m->is_int()) {
    return m->as_int() != 0;
  }
  if (m->is_string()) {
    return !m->as_string().empty();
  }
  return false;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    // Count every byte that does not continue a multi-byte sequence.
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

std::string pad_right(std::string_view s, size_t width) {
  std::string out(s);
  size_t len = utf8_length(s);
  if (len < width) {
    out.append(width - len, ' ');
  }
  return out;
}

StatusRow status_row_from(const rpc::Value& info) {
  return StatusRow{member_string(info, "group"), member_string(info, "name"),
                   member_string(info, "statename"), member_string(info, "description"),
                   member_int(info, "state"), ""};
}

namespace {

// ANSI colour for a state name: green when up, yellow in transition, red when
// failed (an exit with a code not in exitcodes included), dim when stopped on
// request or ended as expected: neither is a problem.
std::string_view colour_for(const StatusRow& row) {
  switch (row.state) {
    case state::k_running:
      return "\033[32m";
    case state::k_starting:
    case state::k_backoff:
    case state::k_stopping:
      return "\033[33m";
    case state::k_exited:
      return row.exited_expected ? "\033[2m" : "\033[31m";
    case state::k_fatal:
    case state::k_unknown:
      return "\033[31m";
    case state::k_stopped:
      return "\033[2m";
    default:
      return {};
  }
}

}  // namespace

namespace {

std::string_view colour_for_health(std::string_view h) {
  if (h == "healthy" || h == "ready" || h == "completed") {
    return "\033[32m";
  }
  if (h == "unhealthy") {
    return "\033[31m";
  }
  if (h == "-") {
    return {};
  }
  return "\033[33m";
}

// `text` padded to `width`, the visible text alone wrapped in `code`.
std::string coloured_cell(const std::string& text, size_t width, std::string_view code) {
  std::string cell = pad_right(text, width);
  if (code.empty()) {
    return cell;
  }
  return fmt::format("{}{}\033[0m{}", code, text, cell.substr(text.size()));
}

}  // namespace

std::vector<std::string> format_status_lines(const std::vector<StatusRow>& rows, bool colour, bool health_column) {
  std::vector<std::string> specs;
  size_t width = 30;
  for (const StatusRow& r : rows) {
    specs.push_back(make_namespec(r.group, r.name));
    width = std::max(width, utf8_length(specs.back()));
  }
  width += 3;
  std::vector<std::string> lines;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string line = pad_right(specs[i], width);
    line += coloured_cell(rows[i].statename, 10, colour ? colour_for(rows[i]) : std::string_view{});
    if (health_column) {
      line += coloured_cell(rows[i].health, 10, colour ? colour_for_health(rows[i].health) : std::string_view{});
    }
    lines.push_back(line + rows[i].description);
  }
  return lines;
}

bool wants_health_column(const rpc::Array& health) {
  for (const rpc::Value& h : health) {
    const rpc::Value* deps = h.get("depends_on");
    bool has_deps = deps != nullptr && deps->is_array() && !deps->as_array().empty();
    std::string ready_check = member_string(h, "ready_check");
    if (has_deps || (!ready_check.empty() && ready_check != "running") || !member_string(h, "healthcheck").empty() ||
        !member_string(h, "waiting_for").empty() || !member_string(h, "status").empty()) {
      return true;
    }
  }
  return false;
}

std::string health_column(const rpc::Value& h) {
  if (!member_string(h, "waiting_for").empty()) {
    return "waiting";
  }
  int64_t st = member_int(h, "state");
  if (st == state::k_running) {
    if (!member_string(h, "healthcheck").empty()) {
      return member_string(h, "health");
    }
    return member_bool(h, "ready") ? "ready" : "not ready";
  }
  if (st == state::k_starting && member_string(h, "ready_check") != "running") {
    return "not ready";
  }
  if (st == state::k_exited && member_bool(h, "completed")) {
    return "completed";
  }
  return "-";
}

std::optional<std::string> health_problem(const rpc::Value& h) {
  std::string statename = member_string(h, "statename");
  if (std::string waiting = member_string(h, "waiting_for"); !waiting.empty()) {
    return fmt::format("{}, waiting for {}", statename, waiting);
  }
  int64_t st = member_int(h, "state");
  if (st == state::k_exited && member_bool(h, "completed")) {
    return std::nullopt;
  }
  if (st != state::k_running) {
    return st == state::k_starting ? statename + ", not ready" : statename;
  }
  if (!member_bool(h, "ready")) {
    return statename + ", not ready";
  }
  if (member_string(h, "healthcheck").empty()) {
    return std::nullopt;
  }
  std::string health = member_string(h, "health");
  if (health == "healthy") {
    return std::nullopt;
  }
  if (health == "unhealthy") {
    std::string detail = member_string(h, "health_detail");
    return detail.empty() ? statename + ", unhealthy" : fmt::format("{}, unhealthy ({})", statename, detail);
  }
  return statename + ", health unknown";
}

namespace {

std::string result_spec(const rpc::Value& r) {
  return make_namespec(member_string(r, "group"), member_string(r, "name"));
}

std::string error_line(const std::string& spec, std::string_view what) {
  return fmt::format("{}: ERROR ({})", spec, what);
}

}  // namespace

std::optional<std::string> start_result_line(const rpc::Value& r) {
  std::string spec = result_spec(r);
  switch (member_int(r, "status")) {
    case fault::k_bad_name:
      return error_line(spec, "no such process");
    case fault::k_no_file:
      return error_line(spec, "no such file");
    case fault::k_not_executable:
      return error_line(spec, "file is not executable");
    case fault::k_already_started:
      return error_line(spec, "already started");
    case fault::k_spawn_error:
      return error_line(spec, "spawn error");
    case fault::k_abnormal_termination:
      return error_line(spec, "abnormal termination");
    case fault::k_success:
      return spec + ": started";
    default:
      return std::nullopt;
  }
}

std::optional<std::string> signal_result_line(const rpc::Value& r, std::string_view success_word) {
  std::string spec = result_spec(r);
  switch (member_int(r, "status")) {
    case fault::k_bad_name:
      return error_line(spec, "no such process");
    case fault::k_bad_signal:
      return error_line(spec, "bad signal name");
    case fault::k_not_running:
      return error_line(spec, "not running");
    case fault::k_success:
      return fmt::format("{}: {}", spec, success_word);
    case fault::k_failed:
      return member_string(r, "description");
    default:
      return std::nullopt;
  }
}

std::optional<std::string> clear_result_line(const rpc::Value& r) {
  std::string spec = result_spec(r);
  switch (member_int(r, "status")) {
    case fault::k_bad_name:
      return error_line(spec, "no such process");
    case fault::k_failed:
      return error_line(spec, "failed");
    case fault::k_success:
      return spec + ": cleared";
    default:
      return std::nullopt;
  }
}

rpc::Value result_from_fault(const Namespec& spec, const rpc::Fault& f) {
  // For "g:" there is no process name; supervisorctl prints it as "None".
  return rpc::Value(rpc::Struct{{"status", rpc::Value(f.code)},
                                {"name", rpc::Value(spec.process.value_or("None"))},
                                {"group", rpc::Value(spec.group)},
                                {"description", rpc::Value(f.string)}});
}

std::string avail_line(const rpc::Value& ci) {
  std::string spec = make_namespec(member_string(ci, "group"), member_string(ci, "name"));
  std::string inuse = member_bool(ci, "inuse") ? "in use" : "avail";
  std::string autostart = member_bool(ci, "autostart") ? "auto" : "manual";
  std::string prio = fmt::format("{}:{}", member_string(ci, "group_prio"),
                                 member_string(ci, "process_prio"));
  return fmt::format("{} {} {} {}", pad_right(spec, 32), pad_right(inuse, 9),
                     pad_right(autostart, 9), prio);
}

std::vector<std::string> reread_lines(const std::vector<std::string>& added,
                                      const std::vector<std::string>& changed,
                                      const std::vector<std::string>& removed) {
  // A name in several lists keeps the last label (removed beats changed beats added).
  std::map<std::string, std::string> labels;
  for (const std::string& n : added) {
    labels[n] = "available";
  }
  for (const std::string& n : changed) {
    labels[n] = "changed";
  }
  for (const std::string& n : removed) {
    labels[n] = "disappeared";
  }
  std::vector<std::string> lines;
  if (labels.empty()) {
    lines.emplace_back("No config updates to processes");
    return lines;
  }
  for (const auto& [name, label] : labels) {
    lines.push_back(fmt::format("{}: {}", name, label));
  }
  return lines;
}

}  // namespace tend::ctl
