// Pure helpers behind tendctl's output: namespecs, the status table, the
// per-process result lines and the exit-code rules. Everything here is
// byte-for-byte what scripts parsing supervisorctl's output expect.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/faults.h"
#include "rpc/value.h"

namespace tend::ctl {

// Exit statuses (LSB init-script conventions, as supervisorctl uses them).
inline constexpr int k_exit_success = 0;
inline constexpr int k_exit_generic = 1;
inline constexpr int k_exit_invalid_args = 2;
inline constexpr int k_exit_unimplemented = 3;
inline constexpr int k_exit_insufficient_privileges = 4;  // also "server refused connection"
inline constexpr int k_exit_not_installed = 5;
inline constexpr int k_exit_not_running = 7;
// `status` only: some listed process is stopped / a name or the server is unknown.
inline constexpr int k_status_not_running = 3;
inline constexpr int k_status_unknown = 4;

namespace fault = rpc::faults;

// Process state codes as getProcessInfo reports them.
namespace state {
inline constexpr int k_stopped = 0;
inline constexpr int k_starting = 10;
inline constexpr int k_running = 20;
inline constexpr int k_backoff = 30;
inline constexpr int k_stopping = 40;
inline constexpr int k_exited = 100;
inline constexpr int k_fatal = 200;
inline constexpr int k_unknown = 1000;
}  // namespace state

// STOPPED, EXITED, FATAL, UNKNOWN: the states that make `status` exit 3.
bool is_stopped_state(int64_t state);

// "g:p" -> {g, p}; "g:" and "g:*" -> {g, nullopt} (the whole group); "x" -> {x, x}.
struct Namespec {
  std::string group;
  std::optional<std::string> process;
  bool operator==(const Namespec&) const = default;
};
Namespec split_namespec(std::string_view spec);
// The short form "name" when group and process share the name, else "group:process".
std::string make_namespec(std::string_view group, std::string_view process);

// The exit status after a per-process result code: unchanged for SUCCESS and
// `ignored`, 7 for the faults that mean the program is dead (spawn error,
// abnormal termination, not running), 1 for anything else.
int exit_status_after_fault(int current, int code, std::optional<int> ignored = std::nullopt);

// One row of the status table, taken from a getProcessInfo struct.
struct StatusRow {
  std::string group;
  std::string name;
  std::string statename;
  std::string description;
  int64_t state = 0;
  std::string health;  // the health column (tendctl on a terminal); "" when not shown
  bool exited_expected = false;  // EXITED with a code in exitcodes (tend tells; supervisord does not)
};
StatusRow status_row_from(const rpc::Value& info);

// The status table: namespec padded to max(30, longest)+3 columns, the state
// name padded to 10, then the description. With `colour`, the state name is
// wrapped in an ANSI colour (the padding still counts only visible characters):
// RUNNING green; STARTING, BACKOFF, STOPPING yellow; FATAL, UNKNOWN and an
// unexpected EXITED red; STOPPED and an expected EXITED dim.
// With `health_column`, each row's health comes between state and
// description, padded to 10 (coloured too with `colour`).
std::vector<std::string> format_status_lines(const std::vector<StatusRow>& rows, bool colour,
                                             bool health_column = false);

// --- tend.getAllProcessHealth entries (rpc/tend_api.h) ---
// Whether a health column says anything: some process has a readiness or
// health check, dependencies or notes. Without, tendctl's status on a
// terminal stays supervisorctl's.
bool wants_health_column(const rpc::Array& health);
// The column for one process: "waiting", "healthy", "unhealthy", "unknown"
// (health check without a verdict yet), "ready", "not ready", "completed", or
// "-" when none of them applies.
std::string health_column(const rpc::Value& health);
// `tendctl health`: why the process does not pass (RUNNING, ready, and
// healthy where it has a health check; or a completed one-shot job), e.g.
// "STARTING, not ready" or "RUNNING, unhealthy (3 failures: connection
// refused)"; nullopt when it passes.
std::optional<std::string> health_problem(const rpc::Value& health);

// A group/all result struct ({name, group, status, description}) as a line.
// Each returns nullopt for a status code the command does not know (the
// caller reports it as an error).
std::optional<std::string> start_result_line(const rpc::Value& result);
std::optional<std::string> signal_result_line(const rpc::Value& result,
                                              std::string_view success_word = "signalled");
std::optional<std::string> clear_result_line(const rpc::Value& result);
// A result struct made from a fault on a single-process call.
rpc::Value result_from_fault(const Namespec& spec, const rpc::Fault& f);

// One `avail` line from a getAllConfigInfo struct.
std::string avail_line(const rpc::Value& config_info);

// `reread` output for the [added, changed, removed] triple.
std::vector<std::string> reread_lines(const std::vector<std::string>& added,
                                      const std::vector<std::string>& changed,
                                      const std::vector<std::string>& removed);

// Python's "%-Ns": pads to `width` code points (UTF-8 aware), never truncates.
std::string pad_right(std::string_view s, size_t width);
size_t utf8_length(std::string_view s);

// Small accessors for XML-RPC structs that tolerate missing members.
std::string member_string(const rpc::Value& v, const std::string& key);
int64_t member_int(const rpc::Value& v, const std::string& key);
bool member_bool(const rpc::Value& v, const std::string& key);

}  // namespace tend::ctl
