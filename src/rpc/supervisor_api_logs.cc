// supervisor.* log methods: the main log and the processes' stdout/stderr
// logs (read, tail, clear), with supervisord's readFile/tailFile rules.
#include <sys/stat.h>

#include <fmt/format.h>

#include "log/logger.h"
#include "rpc/faults.h"
#include "rpc/log_read.h"
#include "rpc/process_info.h"
#include "rpc/supervisor_api.h"
#include "rpc/supervisor_api_internal.h"

namespace tend::rpc {

using detail::as_integer;
using detail::as_text;
using detail::fault;

namespace {

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Value log_text(const std::string& bytes) { return Value(sanitize_for_xml(bytes)); }

Outcome read_range(const std::string& path, const Value& offset_v, const Value& length_v) {
  std::optional<int64_t> offset = as_integer(offset_v);
  std::optional<int64_t> length = as_integer(length_v);
  if (!offset || !length) {
    return fault(faults::k_incorrect_parameters);
  }
  ReadResult r = read_log_range(path, *offset, *length);
  if (!r.ok) {
    return fault(r.error == ReadError::BadArguments ? faults::k_bad_arguments : faults::k_failed);
  }
  return log_text(r.data);
}

// The struct getAllConfigInfo gives for one process. None is 'none' and AUTO
// 'auto', as supervisord writes them (XML-RPC has no nil).
}  // namespace

// --- main log ------------------------------------------------------------------------------

Outcome SupervisorApi::read_main_log(const Array& params) {
  const std::string& path = main_logger().path();
  if (path.empty()) {
    return fault(faults::k_no_file);
  }
  if (!path_exists(path)) {
    return fault(faults::k_no_file, path);
  }
  return read_range(path, params[0], params[1]);
}

Outcome SupervisorApi::clear_main_log() {
  const std::string& path = main_logger().path();
  if (path.empty() || !path_exists(path)) {
    return fault(faults::k_no_file);
  }
  // Logged before the file goes, as supervisord does: the line ends the old file.
  main_logger().info("reopening log file");
  if (Status st = main_logger().clear(); !st) {
    main_logger().error("{}", st.error());
    return fault(faults::k_failed);
  }
  return Value(true);
}

// --- process logs ----------------------------------------------------------------------------

Outcome SupervisorApi::read_process_log(const Array& params, Stream s) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    return fault(faults::k_incorrect_parameters);
  }
  std::variant<Target, Fault> t = resolve(*name, true);
  if (const Fault* f = std::get_if<Fault>(&t)) {
    return *f;
  }
  const ProcessConfig& cfg = std::get<Target>(t).process->config();
  std::optional<std::string> path = process_logfile(cfg, s);
  if (!path) {
    return fault(faults::k_no_file);
  }
  if (!path_exists(*path)) {
    return fault(faults::k_no_file, shown_logfile(cfg, s).value_or(*path));
  }
  return read_range(*path, params[1], params[2]);
}

Outcome SupervisorApi::tail_process_log(const Array& params, Stream s) {
  const std::string* name = as_text(params[0]);
  std::optional<int64_t> offset = as_integer(params[1]);
  std::optional<int64_t> length = as_integer(params[2]);
  if (name == nullptr || !offset || !length) {
    return fault(faults::k_incorrect_parameters);
  }
  std::variant<Target, Fault> t = resolve(*name, true);
  if (const Fault* f = std::get_if<Fault>(&t)) {
    return *f;
  }
  std::optional<std::string> path = process_logfile(std::get<Target>(t).process->config(), s);
  if (!path || !path_exists(*path)) {
    return Value(Array{Value(""), Value(0), Value(false)});
  }
  TailResult r = tail_log(*path, *offset, *length);
  return Value(Array{log_text(r.data), Value(r.offset), Value(r.overflow)});
}

Outcome SupervisorApi::clear_process_logs(const Array& params) {
  const std::string* name = as_text(params[0]);
  if (name == nullptr) {
    return fault(faults::k_incorrect_parameters);
  }
  std::variant<Target, Fault> t = resolve(*name, true);
  if (const Fault* f = std::get_if<Fault>(&t)) {
    return *f;
  }
  CommandResult r = m_sup.commands().clear_logs(*std::get<Target>(t).process);
  if (!r.ok()) {
    return fault(faults::k_failed, *name);
  }
  return Value(true);
}

Outcome SupervisorApi::clear_all_process_logs() {
  Array out;
  for (const auto& [group, p] : all_processes()) {
    std::string name = make_namespec(group, p->name());
    Outcome o = clear_process_logs(Array{Value(name)});
    out.push_back(detail::result_entry(group, p->name(), o));
  }
  return Value(std::move(out));
}

Status SupervisorApi::install_log_methods(Dispatcher& d) {
  auto sync = [this](std::function<Outcome(const Array&)> fn) { return guarded(std::move(fn)); };
  const char* read_main_help =
      "Read the main log: length bytes from offset; length 0 reads to the end; a negative offset with length 0 "
      "reads that many bytes from the end.\n@param int offset start\n@param int length byte count\n"
      "@return string log text";
  auto read_main = sync([this](const Array& p) { return read_main_log(p); });
  const char* read_help =
      "Read a process log: length bytes from offset; length 0 reads to the end; a negative offset with length 0 "
      "reads that many bytes from the end.\n@param string name process name or group:name\n"
      "@param int offset start\n@param int length byte count\n@return string log text";
  const char* tail_help =
      "Read the end of a process log for following it: at most length bytes ending at the end of the file. "
      "Returns the text, the offset to ask for next time, and whether bytes were skipped.\n"
      "@param string name process name or group:name\n@param int offset where the last read ended\n"
      "@param int length most bytes to return\n@return array [string text, int offset, boolean overflow]";
  const char* clear_help =
      "Empty the stdout and stderr logs of a process.\n@param string name process name or group:name\n"
      "@return boolean true";
  auto read_out = sync([this](const Array& p) { return read_process_log(p, Stream::Stdout); });
  auto tail_out = sync([this](const Array& p) { return tail_process_log(p, Stream::Stdout); });
  auto clear = sync([this](const Array& p) { return clear_process_logs(p); });
  std::vector<detail::MethodDef> defs;
  defs.push_back({"readLog", 2, 2, {"string", "int", "int"}, read_main_help, read_main});
  defs.push_back({"readMainLog", 2, 2, {"string", "int", "int"}, read_main_help, read_main});
  defs.push_back({"clearLog", 0, 0, {"boolean"}, "Empty the main log.\n@return boolean true",
                  sync([this](const Array&) { return clear_main_log(); })});
  defs.push_back({"readProcessStdoutLog", 3, 3, {"string", "string", "int", "int"}, read_help, read_out});
  defs.push_back({"readProcessLog", 3, 3, {"string", "string", "int", "int"}, read_help, read_out});
  defs.push_back({"readProcessStderrLog", 3, 3, {"string", "string", "int", "int"}, read_help,
                  sync([this](const Array& p) { return read_process_log(p, Stream::Stderr); })});
  defs.push_back({"tailProcessStdoutLog", 3, 3, {"array", "string", "int", "int"}, tail_help, tail_out});
  defs.push_back({"tailProcessLog", 3, 3, {"array", "string", "int", "int"}, tail_help, tail_out});
  defs.push_back({"tailProcessStderrLog", 3, 3, {"array", "string", "int", "int"}, tail_help,
                  sync([this](const Array& p) { return tail_process_log(p, Stream::Stderr); })});
  defs.push_back({"clearProcessLogs", 1, 1, {"boolean", "string"}, clear_help, clear});
  defs.push_back({"clearProcessLog", 1, 1, {"boolean", "string"}, clear_help, clear});
  defs.push_back({"clearAllProcessLogs", 0, 0, {"array"},
                  "Empty the logs of every process.\n@return array result structs",
                  sync([this](const Array&) { return clear_all_process_logs(); })});
  return detail::add_methods(d, std::move(defs));
}

}  // namespace tend::rpc
