// Value converters for config keys, each matching one supervisor datatype.
// Every function takes the (already expanded) text and returns the typed
// value or an Error whose message says what was wrong (no file:line; the
// loader adds that).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/model.h"
#include "util/result.h"

namespace tend {

// Python int(): optional surrounding whitespace, sign, digits with single
// underscores between them. `base` is 10 or 8 (8 also takes a 0o prefix).
Result<int64_t> parse_integer(std::string_view s, int base = 10);
// parse_integer() restricted to the range of int.
Result<int> parse_int(std::string_view s);
// startretries: an int >= 0, or -1 for no limit (tend; supervisord takes any int).
Result<int> parse_startretries(std::string_view s);

Result<bool> parse_boolean(std::string_view s);                 // yes/true/on/1, no/false/off/0
Result<int64_t> parse_byte_size(std::string_view s);            // 10, 10KB, 10mb, 1GB
Result<mode_t> parse_octal(std::string_view s);                 // 022, 0o22, 22
Result<int> parse_signal(std::string_view s);                   // TERM, sigterm, 15
Result<std::vector<int>> parse_exitcodes(std::string_view s);   // 0,2 (each 0..255)
Result<AutoRestart> parse_autorestart(std::string_view s);      // true/false/unexpected
Result<std::string> parse_loglevel(std::string_view s);         // critical..blather (lower-cased)
std::vector<std::string> parse_list_of_strings(std::string_view s);  // "a, b" -> {a, b}; "" -> {}

// KEY=value,KEY2="v,2" as supervisor tokenises it (non-POSIX shlex with the
// extra word characters /.+-():); quotes are stripped from the values.
Result<EnvList> parse_env(std::string_view s);

// A process or group name: stripped; may not contain ' ', ':' or '/'.
Result<std::string> parse_name(std::string_view s);

// os.path.expanduser(): "~" and "~user" prefixes. `home` is $HOME ("" = unset).
std::string expand_user(std::string_view path, const std::string& home);
// A directory that exists (after ~ expansion); returns the expanded path.
Result<std::string> parse_existing_directory(std::string_view s, const std::string& home);
// A path whose directory part exists (after ~ expansion); returns it expanded.
Result<std::string> parse_existing_dirpath(std::string_view s, const std::string& home);
// NONE/OFF -> None, AUTO -> Auto, syslog -> Syslog, else an existing_dirpath:
// `written` as expanded, `path` made absolute against the current directory.
Result<LogTarget> parse_logfile(std::string_view s, const std::string& home);

// A user name or numeric uid that exists in the passwd database.
Result<uid_t> parse_uid(std::string_view s);
Result<gid_t> parse_gid(std::string_view s);
// "user" or "user:group"; the group is nullopt when absent.
Result<std::pair<uid_t, std::optional<gid_t>>> parse_user_group(std::string_view s);
// "port", "host:port", "*:port", ":port" -> (lower-cased host, "" = any; port).
Result<std::pair<std::string, int>> parse_inet_address(std::string_view s);

// tend's start-order keys (datatypes_readiness.cc; docs/config.md, "Start
// order, readiness and health").
// Seconds as a decimal number, at most a year: >= 0, > 0, >= 0.01.
Result<double> parse_seconds(std::string_view s);
Result<double> parse_positive_seconds(std::string_view s);
Result<double> parse_interval(std::string_view s);
Result<int> parse_count(std::string_view s);  // an integer >= 1
// ready=: running (also ""), notify, fd:N (3..1023), tcp:HOST:PORT (or
// tcp://), http://HOST[:PORT][/PATH] (port 80, path "/" by default; the
// fragment dropped), exec:COMMAND (shell-split checked), file:/ABSOLUTE/PATH.
// HOST: a name, an IPv4 address, or [IPv6] (kept without the brackets).
Result<ProbeSpec> parse_ready_check(std::string_view s);
// healthcheck=: none (also ""), tcp:, http://, exec:, file: as for ready=.
Result<ProbeSpec> parse_health_check(std::string_view s);
// "db, cache:started": names with an optional condition (ready when absent),
// each name once; "" -> {}. Whether a name exists is the loader's business.
Result<std::vector<Dependency>> parse_depends_on(std::string_view s);
Result<HealthAction> parse_health_action(std::string_view s);  // restart stop shutdown none
// The kind's word as ready=/healthcheck= write it ("" for none): "tcp", "notify"...
const char* probe_kind_name(ProbeSpec::Kind kind);
// The canonical text of each, which its parser reads back to the same value
// (tend.getAllConfigInfo shows them so): "tcp:[::1]:80",
// "http://localhost:8080/health", "exec:pg_isready", "fd:3", "running"...;
// "" for no check (healthcheck unset).
std::string format_probe(const ProbeSpec& probe);
// "db:ready, cache:started": every condition spelled out; "" for none.
std::string format_depends_on(const std::vector<Dependency>& deps);
std::string format_health_action(HealthAction action);  // its word
// exit_when=: never, any_exited, all_exited.
Result<SupervisordConfig::ExitWhen> parse_exit_when(std::string_view s);

// Python's os.path.normpath(os.path.abspath(p)) relative to the current directory.
std::string normalize_path(std::string_view p);
// Python's posixpath.dirname / join.
std::string py_dirname(std::string_view p);
std::string py_join(std::string_view a, std::string_view b);

}  // namespace tend
