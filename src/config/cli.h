// supervisord's command line, parsed with supervisord's rules and messages:
// options stop at the first non-option, long options may be abbreviated to a
// unique prefix, an option may be given only once, and values are checked
// as soon as they are read (like the config file's values).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/model.h"
#include "util/result.h"

namespace tend {

struct ServerCli {
  // The first -h/-v/--sample-config wins.
  enum class Action { Run, Help, Version, SampleConfig } action = Action::Run;
  std::optional<std::string> configuration;  // -c
  // Flags: true when given on the command line (they can only switch on).
  bool nodaemon = false;    // -n
  bool silent = false;      // -s
  bool nocleanup = false;   // -k
  bool strip_ansi = false;  // -t
  std::optional<std::string> user;  // -u (checked against passwd by apply_cli_overrides)
  std::optional<mode_t> umask;      // -m
  std::optional<std::string> directory;    // -d
  std::optional<std::string> logfile;      // -l
  std::optional<int64_t> logfile_maxbytes;  // -y
  std::optional<int> logfile_backups;      // -z
  std::optional<std::string> loglevel;     // -e
  std::optional<std::string> pidfile;      // -j
  std::optional<std::string> identifier;   // -i
  std::optional<std::string> childlogdir;  // -q
  std::optional<int> minfds;               // -a
  std::optional<int> minprocs;             // --minprocs
  std::optional<std::string> profile_options;  // --profile_options (accepted, unused)
};

// Errors are supervisord's texts, e.g. "option --bogus not recognized",
// "option -c requires argument", "positional arguments are not supported: ['x']",
// "invalid value for -m 'abc': abc can not be converted to an octal type".
// The caller prints "Error: <msg>" and "For help, use <argv0> -h" and exits 2.
Result<ServerCli> parse_server_cli(int argc, char** argv);

// Command-line values replace the file's ("CLI beats file").
Status apply_cli_overrides(const ServerCli& cli, Config& config);

// The places searched when -c is not given, in order: <here>/etc/supervisord.conf,
// <here>/supervisord.conf, supervisord.conf, etc/supervisord.conf,
// /etc/supervisord.conf, /etc/supervisor/supervisord.conf, where here is
// dirname(dirname(argv0)).
std::vector<std::string> default_config_paths(const std::string& argv0);

// cli.configuration if given, else the first existing default path, else
// supervisord's "No config file found at default paths (...)" error.
Result<std::string> locate_config(const ServerCli& cli, const std::string& argv0);

std::string server_help_text(const std::string& argv0);

}  // namespace tend
