// tendctl's command line and the [supervisorctl] settings it resolves to.
// Options follow Python getopt rules as supervisorctl uses them: short
// options may be grouped (-ic FILE), long ones may be abbreviated to a unique
// prefix, and option parsing stops at the first word that is not an option,
// so everything from there on is the command.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace tend::ctl {

struct CliOptions {
  std::optional<std::string> config_path;  // -c/--configuration
  std::optional<std::string> serverurl;    // -s/--serverurl
  std::optional<std::string> username;     // -u/--username
  std::optional<std::string> password;     // -p/--password
  std::optional<std::string> history_file; // -r/--history_file (accepted, unused)
  bool interactive = false;                // -i/--interactive
  bool help = false;                       // -h/--help/-?
  bool version = false;                    // --version
  std::optional<std::string> color;        // --color: "auto", "always" or "never"
  std::vector<std::string> args;           // the command and its arguments
};

// Whether status colours its states: --color always/never decide; auto (or
// none) colours on a terminal unless NO_COLOR (https://no-color.org) is set
// to a non-empty value (`no_color`: its value, nullptr when unset).
bool use_colour(const std::optional<std::string>& mode, const char* no_color, bool terminal);

// A usage error's message has no "Error: " prefix (the caller adds it).
Result<CliOptions> parse_cli(const std::vector<std::string>& argv);

// Everything a Controller needs, after merging the command line over the
// config file over the defaults.
struct CtlSettings {
  std::string serverurl = "http://localhost:9001";
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::string prompt = "supervisor";
  bool interactive = false;
  std::vector<std::string> args;
  // "http://host:port/" of the config file's [inet_http_server] (nullopt: none,
  // or no file read).
  std::optional<std::string> inet_console_url;
};

// The browser URL of an [inet_http_server] bound to host:port ("" and the
// wildcard addresses are reached at localhost; an IPv6 address is bracketed).
std::string console_url_for(const std::string& host, int port);
// `tendctl open` without a URL: the server URL in use when it is http://
// (reduced to "http://authority/"), else the config's [inet_http_server];
// nullopt when the server is reached only through a UNIX socket.
std::optional<std::string> console_url(const CtlSettings& s);

// The config files tried, in order, when -c is not given: <here>/etc/supervisord.conf,
// <here>/supervisord.conf, supervisord.conf, etc/supervisord.conf,
// /etc/supervisord.conf, /etc/supervisor/supervisord.conf, where <here> is
// the parent of the directory holding the program.
std::vector<std::string> default_config_paths(const std::string& program_path);

// Loads the config (given or found), checks it has [supervisorctl], and merges.
// No config file found at all is fine: the defaults apply.
Result<CtlSettings> resolve_settings(const CliOptions& cli, const std::string& program_path);

// os.path.normpath(os.path.abspath(os.path.expanduser(p))).
std::string normalize_path(const std::string& p);

// The usage text printed by -h.
std::string usage_text(const std::string& progname);

}  // namespace tend::ctl
