// status, start, stop, restart, signal, pid, clear, health.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "ctl/controller.h"

namespace tend::ctl {

namespace {

enum ResultKind { k_start_result, k_stop_result, k_signal_result, k_clear_result };

std::optional<std::string> result_line(int kind, const rpc::Value& r) {
  switch (kind) {
    case k_start_result:
      return start_result_line(r);
    case k_stop_result:
      return signal_result_line(r, "stopped");
    case k_signal_result:
      return signal_result_line(r, "signalled");
    default:
      return clear_result_line(r);
  }
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

bool Controller::show_results(const Reply& r, std::string_view method, int kind,
                              std::optional<int> ignored) {
  if (!r.ok() || !r.value().is_array()) {
    raise(r, method);
    return false;
  }
  for (const rpc::Value& item : r.value().as_array()) {
    std::optional<std::string> line = result_line(kind, item);
    if (!line) {
      raise_message(fmt::format("unknown result code {} for {}", member_int(item, "status"),
                                make_namespec(member_string(item, "group"),
                                              member_string(item, "name"))));
      return false;
    }
    output(*line);
    m_exit = exit_status_after_fault(m_exit, static_cast<int>(member_int(item, "status")), ignored);
  }
  return true;
}

void Controller::do_status(const std::string& arg) {
  Up up = upcheck();
  if (up != Up::Ok) {
    // A failed check means "status unknown" (4); a raised error keeps its 1.
    if (up == Up::Failed) {
      m_exit = k_status_unknown;
    }
    return;
  }
  Reply r = call("supervisor.getAllProcessInfo");
  if (!r.ok() || !r.value().is_array()) {
    raise(r, "supervisor.getAllProcessInfo");
    return;
  }
  const rpc::Array& all = r.value().as_array();
  std::vector<std::string> names = split_words(arg);
  std::vector<const rpc::Value*> matching;
  if (names.empty() || contains(names, "all")) {
    for (const rpc::Value& info : all) {
      matching.push_back(&info);
    }
  } else {
    for (const std::string& name : names) {
      Namespec spec = split_namespec(name);
      bool found = false;
      for (const rpc::Value& info : all) {
        bool match = member_string(info, "group") == spec.group &&
                     (!spec.process || member_string(info, "name") == *spec.process);
        if (match) {
          found = true;
          matching.push_back(&info);
        }
      }
      if (!found) {
        output(spec.process ? fmt::format("{}: ERROR (no such process)", name)
                            : fmt::format("{}: ERROR (no such group)", spec.group));
        m_exit = k_status_unknown;
      }
    }
  }
  std::vector<StatusRow> rows;
  for (const rpc::Value* info : matching) {
    rows.push_back(status_row_from(*info));
  }
  bool health = false;
  if (m_io.terminal || m_io.colour) {
    add_health_column(rows, m_io.terminal ? &health : nullptr);
  }
  for (const std::string& line : format_status_lines(rows, m_io.colour, health)) {
    output(line);
  }
  for (const StatusRow& row : rows) {
    if (is_stopped_state(row.state)) {
      m_exit = k_status_not_running;
    }
  }
}

void Controller::add_health_column(std::vector<StatusRow>& rows, bool* shown) {
  // A server without tend.* (supervisord) simply gets no column.
  Reply r = call("tend.getAllProcessHealth");
  if (!r.ok() || !r.value().is_array()) {
    return;
  }
  std::map<std::string, const rpc::Value*> by_spec;
  for (const rpc::Value& h : r.value().as_array()) {
    by_spec[make_namespec(member_string(h, "group"), member_string(h, "name"))] = &h;
  }
  bool column = shown != nullptr && wants_health_column(r.value().as_array());
  for (StatusRow& row : rows) {
    auto it = by_spec.find(make_namespec(row.group, row.name));
    row.exited_expected = it != by_spec.end() && member_bool(*it->second, "completed");
    if (column) {
      row.health = it != by_spec.end() ? health_column(*it->second) : "-";
    }
  }
  if (column) {
    *shown = true;
  }
}

void Controller::do_health(const std::string& arg) {
  // Every failure exits 1, whatever supervisorctl would use: Docker's
  // HEALTHCHECK reserves 2, and a probe only tells 0 from the rest.
  Reply r = call("tend.getAllProcessHealth");
  if (!r.ok() || !r.value().is_array()) {
    if (r.is_fault(fault::k_unknown_method)) {
      raise_message("the server has no tend.getAllProcessHealth: it is not tend, or its config has no "
                    "[rpcinterface:supervisor] section");
    } else {
      raise(r, "tend.getAllProcessHealth");
    }
    m_exit = k_exit_generic;
    return;
  }
  const rpc::Array& all = r.value().as_array();
  std::vector<std::string> names = split_words(arg);
  std::vector<const rpc::Value*> checked;
  bool failed = false;
  if (names.empty()) {
    for (const rpc::Value& h : all) {
      if (member_bool(h, "autostart")) {
        checked.push_back(&h);
      }
    }
  }
  for (const std::string& name : names) {
    Namespec spec = split_namespec(name);
    bool found = false;
    for (const rpc::Value& h : all) {
      if (member_string(h, "group") == spec.group && (!spec.process || member_string(h, "name") == *spec.process)) {
        found = true;
        checked.push_back(&h);
      }
    }
    if (!found) {
      output(spec.process ? fmt::format("{}: ERROR (no such process)", name)
                          : fmt::format("{}: ERROR (no such group)", spec.group));
      failed = true;
    }
  }
  for (const rpc::Value* h : checked) {
    if (std::optional<std::string> problem = health_problem(*h)) {
      output(fmt::format("{}: {}", make_namespec(member_string(*h, "group"), member_string(*h, "name")), *problem));
      failed = true;
    }
  }
  if (failed) {
    m_exit = k_exit_generic;
  } else {
    output(fmt::format("ok ({} process{})", checked.size(), checked.size() == 1 ? "" : "es"));
  }
}

void Controller::do_start(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  std::vector<std::string> names = split_words(arg);
  if (names.empty()) {
    usage_error("Error: start requires a process name", "start", k_exit_invalid_args);
    return;
  }
  if (contains(names, "all")) {
    Reply r = call("supervisor.startAllProcesses");
    show_results(r, "supervisor.startAllProcesses", k_start_result, fault::k_already_started);
    return;
  }
  for (const std::string& name : names) {
    Namespec spec = split_namespec(name);
    if (!spec.process) {
      Reply r = call("supervisor.startProcessGroup", {rpc::Value(spec.group)});
      if (r.is_fault(fault::k_bad_name)) {
        output(fmt::format("{}: ERROR (no such group)", spec.group));
        m_exit = k_exit_invalid_args;
        continue;
      }
      if (!show_results(r, "supervisor.startProcessGroup", k_start_result,
                        fault::k_already_started)) {
        return;
      }
      continue;
    }
    Reply r = call("supervisor.startProcess", {rpc::Value(name)});
    if (r.is_fault()) {
      rpc::Value result = result_from_fault(spec, r.fault());
      std::optional<std::string> line = start_result_line(result);
      if (!line) {
        raise_message(fmt::format("unknown result code {} for {}", r.fault().code,
                                  make_namespec(spec.group, *spec.process)));
        return;
      }
      output(*line);
      m_exit = exit_status_after_fault(m_exit, r.fault().code, fault::k_already_started);
      continue;
    }
    if (!r.ok()) {
      raise(r, "supervisor.startProcess");
      return;
    }
    output(make_namespec(spec.group, *spec.process) + ": started");
  }
}

void Controller::do_stop(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  std::vector<std::string> names = split_words(arg);
  if (names.empty()) {
    usage_error("Error: stop requires a process name", "stop", k_exit_generic);
    return;
  }
  if (contains(names, "all")) {
    Reply r = call("supervisor.stopAllProcesses");
    show_results(r, "supervisor.stopAllProcesses", k_stop_result, fault::k_not_running);
    return;
  }
  for (const std::string& name : names) {
    Namespec spec = split_namespec(name);
    if (!spec.process) {
      Reply r = call("supervisor.stopProcessGroup", {rpc::Value(spec.group)});
      if (r.is_fault(fault::k_bad_name)) {
        output(fmt::format("{}: ERROR (no such group)", spec.group));
        m_exit = k_exit_generic;
        continue;
      }
      if (!show_results(r, "supervisor.stopProcessGroup", k_stop_result, fault::k_not_running)) {
        return;
      }
      continue;
    }
    Reply r = call("supervisor.stopProcess", {rpc::Value(name)});
    if (r.is_fault()) {
      std::optional<std::string> line =
          signal_result_line(result_from_fault(spec, r.fault()), "stopped");
      if (!line) {
        raise_message(fmt::format("unknown result code {} for {}", r.fault().code,
                                  make_namespec(spec.group, *spec.process)));
        return;
      }
      output(*line);
      m_exit = exit_status_after_fault(m_exit, r.fault().code, fault::k_not_running);
      continue;
    }
    if (!r.ok()) {
      raise(r, "supervisor.stopProcess");
      return;
    }
    output(make_namespec(spec.group, *spec.process) + ": stopped");
  }
}

void Controller::do_restart(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  if (split_words(arg).empty()) {
    usage_error("Error: restart requires a process name", "restart", k_exit_generic);
    return;
  }
  do_stop(arg);
  if (m_auth_required) {
    return;
  }
  do_start(arg);
}

void Controller::do_signal(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  std::vector<std::string> args = split_words(arg);
  if (args.size() < 2) {
    usage_error("Error: signal requires a signal name and a process name", "signal",
                k_exit_generic);
    return;
  }
  rpc::Value sig(args[0]);
  std::vector<std::string> names(args.begin() + 1, args.end());
  if (contains(names, "all")) {
    Reply r = call("supervisor.signalAllProcesses", {sig});
    show_results(r, "supervisor.signalAllProcesses", k_signal_result, std::nullopt);
    return;
  }
  for (const std::string& name : names) {
    Namespec spec = split_namespec(name);
    if (!spec.process) {
      Reply r = call("supervisor.signalProcessGroup", {rpc::Value(spec.group), sig});
      if (r.is_fault(fault::k_bad_name)) {
        output(fmt::format("{}: ERROR (no such group)", spec.group));
        m_exit = k_exit_generic;
        continue;
      }
      if (!show_results(r, "supervisor.signalProcessGroup", k_signal_result, std::nullopt)) {
        return;
      }
      continue;
    }
    Reply r = call("supervisor.signalProcess", {rpc::Value(name), sig});
    if (r.is_fault()) {
      std::optional<std::string> line = signal_result_line(result_from_fault(spec, r.fault()));
      if (!line) {
        raise_message(fmt::format("unknown result code {} for {}", r.fault().code,
                                  make_namespec(spec.group, *spec.process)));
        return;
      }
      output(*line);
      m_exit = exit_status_after_fault(m_exit, r.fault().code);
      continue;
    }
    if (!r.ok()) {
      raise(r, "supervisor.signalProcess");
      return;
    }
    output(make_namespec(spec.group, *spec.process) + ": signalled");
  }
}

void Controller::do_pid(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  std::vector<std::string> names = split_words(arg);
  if (names.empty()) {
    Reply r = call("supervisor.getPID");
    if (!r.ok()) {
      raise(r, "supervisor.getPID");
      return;
    }
    output(r.value().is_int() ? std::to_string(r.value().as_int()) : "");
    return;
  }
  if (contains(names, "all")) {
    Reply r = call("supervisor.getAllProcessInfo");
    if (!r.ok() || !r.value().is_array()) {
      raise(r, "supervisor.getAllProcessInfo");
      return;
    }
    for (const rpc::Value& info : r.value().as_array()) {
      output(std::to_string(member_int(info, "pid")));
    }
    return;
  }
  for (const std::string& name : names) {
    Reply r = call("supervisor.getProcessInfo", {rpc::Value(name)});
    if (r.is_fault(fault::k_bad_name)) {
      m_exit = k_exit_generic;
      output("No such process " + name);
      continue;
    }
    if (!r.ok()) {
      raise(r, "supervisor.getProcessInfo");
      return;
    }
    int64_t pid = member_int(r.value(), "pid");
    output(std::to_string(pid));
    if (pid == 0) {
      m_exit = k_exit_not_running;
    }
  }
}

void Controller::do_clear(const std::string& arg) {
  if (upcheck() != Up::Ok) {
    return;
  }
  std::vector<std::string> names = split_words(arg);
  if (names.empty()) {
    usage_error("Error: clear requires a process name", "clear", k_exit_generic);
    return;
  }
  if (contains(names, "all")) {
    Reply r = call("supervisor.clearAllProcessLogs");
    show_results(r, "supervisor.clearAllProcessLogs", k_clear_result, std::nullopt);
    return;
  }
  for (const std::string& name : names) {
    Namespec spec = split_namespec(name);
    Reply r = call("supervisor.clearProcessLogs", {rpc::Value(name)});
    if (r.is_fault()) {
      std::optional<std::string> line = clear_result_line(result_from_fault(spec, r.fault()));
      if (!line) {
        raise_message(fmt::format("unknown result code {} for {}", r.fault().code, name));
        return;
      }
      output(*line);
      m_exit = exit_status_after_fault(m_exit, r.fault().code);
      continue;
    }
    if (!r.ok()) {
      raise(r, "supervisor.clearProcessLogs");
      return;
    }
    // Python formats a missing process name as "None" ("g:None").
    output(make_namespec(spec.group, spec.process.value_or("None")) + ": cleared");
  }
}

}  // namespace tend::ctl
