#include "config/cli.h"

#include <fmt/format.h>
#include <getopt.h>
#include <sys/stat.h>

#include <utility>

#include "config/datatypes.h"
#include "config/unicode.h"

namespace tend {

namespace {

// Long-only options get values above any char.
constexpr int k_opt_minprocs = 256;
constexpr int k_opt_profile_options = 257;
constexpr int k_opt_sample_config = 258;  // tend's own

const struct option k_long_options[] = {
    {"help", no_argument, nullptr, 'h'},
    {"configuration", required_argument, nullptr, 'c'},
    {"version", no_argument, nullptr, 'v'},
    {"nodaemon", no_argument, nullptr, 'n'},
    {"user", required_argument, nullptr, 'u'},
    {"umask", required_argument, nullptr, 'm'},
    {"directory", required_argument, nullptr, 'd'},
    {"logfile", required_argument, nullptr, 'l'},
    {"logfile_maxbytes", required_argument, nullptr, 'y'},
    {"logfile_backups", required_argument, nullptr, 'z'},
    {"loglevel", required_argument, nullptr, 'e'},
    {"pidfile", required_argument, nullptr, 'j'},
    {"identifier", required_argument, nullptr, 'i'},
    {"childlogdir", required_argument, nullptr, 'q'},
    {"minfds", required_argument, nullptr, 'a'},
    {"minprocs", required_argument, nullptr, k_opt_minprocs},
    {"nocleanup", no_argument, nullptr, 'k'},
    {"strip_ansi", no_argument, nullptr, 't'},
    {"profile_options", required_argument, nullptr, k_opt_profile_options},
    {"silent", no_argument, nullptr, 's'},
    {"sample-config", no_argument, nullptr, k_opt_sample_config},
    {nullptr, 0, nullptr, 0},
};
// '+': stop at the first non-option (Python's getopt); ':': report a missing
// argument as ':'. "-?" is handled as an unknown option that means help.
constexpr const char* k_short_options = "+:hc:vnu:m:d:l:y:z:e:j:i:q:a:kts";

const struct option* find_by_val(int val) {
  for (const struct option* o = k_long_options; o->name != nullptr; ++o) {
    if (o->val == val) {
      return o;
    }
  }
  return nullptr;
}

bool is_long(const char* arg) { return arg != nullptr && arg[0] == '-' && arg[1] == '-'; }

// Message for a long option getopt rejected as unknown or ambiguous.
std::string long_option_error(std::string_view arg) {
  std::string_view name = arg.substr(2, arg.find('=') == std::string_view::npos ? arg.npos : arg.find('=') - 2);
  int matches = 0;
  for (const struct option* o = k_long_options; o->name != nullptr; ++o) {
    if (std::string_view(o->name).rfind(name, 0) == 0) {
      ++matches;
    }
  }
  return fmt::format("option --{} {}", name, matches > 1 ? "not a unique prefix" : "not recognized");
}

// The option as the user named it, for messages: "-c" or "--configuration".
std::string shown_name(int val, bool as_long) {
  const struct option* o = find_by_val(val);
  if (as_long || val >= 256) {
    return fmt::format("--{}", o != nullptr ? o->name : "?");
  }
  return fmt::format("-{}", static_cast<char>(val));
}

struct RawOption {
  int val;
  std::string name;  // as shown in messages
  std::string arg;
};

template <typename T>
Status store(std::optional<T>& slot, Result<T> value, const RawOption& o) {
  if (!value) {
    return make_error(fmt::format("invalid value for {} {}: {}", o.name, unicode::repr(o.arg), value.error()));
  }
  slot = std::move(*value);
  return ok_status();
}

Status apply_option(ServerCli& cli, const RawOption& o) {
  const std::string home = [] {
    const char* h = std::getenv("HOME");
    return std::string(h != nullptr ? h : "");
  }();
  switch (o.val) {
    case 'c': return store(cli.configuration, Result<std::string>(o.arg), o);
    case 'n': cli.nodaemon = true; return ok_status();
    case 's': cli.silent = true; return ok_status();
    case 'k': cli.nocleanup = true; return ok_status();
    case 't': cli.strip_ansi = true; return ok_status();
    case 'u': return store(cli.user, Result<std::string>(o.arg), o);
    case 'm': return store(cli.umask, parse_octal(o.arg), o);
    case 'd': return store(cli.directory, parse_existing_directory(o.arg, home), o);
    case 'l': return store(cli.logfile, parse_existing_dirpath(o.arg, home), o);
    case 'y': return store(cli.logfile_maxbytes, parse_byte_size(o.arg), o);
    case 'z': return store(cli.logfile_backups, parse_int(o.arg), o);
    case 'e': return store(cli.loglevel, parse_loglevel(o.arg), o);
    case 'j': return store(cli.pidfile, parse_existing_dirpath(o.arg, home), o);
    case 'i': return store(cli.identifier, Result<std::string>(o.arg), o);
    case 'q': return store(cli.childlogdir, parse_existing_directory(o.arg, home), o);
    case 'a': return store(cli.minfds, parse_int(o.arg), o);
    case k_opt_minprocs: return store(cli.minprocs, parse_int(o.arg), o);
    case k_opt_profile_options: return store(cli.profile_options, Result<std::string>(o.arg), o);
    default: return ok_status();
  }
}

}  // namespace

Result<ServerCli> parse_server_cli(int argc, char** argv) {
  std::vector<RawOption> opts;
  opterr = 0;
  optind = 0;  // glibc: full re-initialisation, so the parser can run more than once
  while (true) {
    optopt = 0;
    int long_index = -1;  // set by getopt_long only when a long option was read successfully
    int rc = getopt_long(argc, argv, k_short_options, k_long_options, &long_index);
    if (rc == -1) {
      break;
    }
    const char* current = optind - 1 < argc ? argv[optind - 1] : nullptr;
    if (rc == ':') {
      return make_error(fmt::format("option {} requires argument", shown_name(optopt, is_long(current))));
    }
    if (rc == '?') {
      if (optopt == '?') {
        opts.push_back({'h', "-?", ""});
        continue;
      }
      if (optopt == 0) {
        return make_error(long_option_error(current != nullptr ? current : "--"));
      }
      if (find_by_val(optopt) != nullptr) {
        return make_error(fmt::format("option {} must not have an argument", shown_name(optopt, true)));
      }
      return make_error(fmt::format("option -{} not recognized", std::string(1, static_cast<char>(optopt))));
    }
    opts.push_back({rc, shown_name(rc, long_index >= 0), optarg != nullptr ? optarg : ""});
  }
  if (optind < argc) {
    std::string list;
    for (int i = optind; i < argc; ++i) {
      list += (i > optind ? ", " : "") + unicode::repr(argv[i]);
    }
    return make_error(fmt::format("positional arguments are not supported: [{}]", list));
  }
  ServerCli cli;
  std::vector<int> seen;
  for (const RawOption& o : opts) {
    if (o.val == 'h' || o.val == 'v' || o.val == k_opt_sample_config) {
      cli.action = o.val == 'h'   ? ServerCli::Action::Help
                   : o.val == 'v' ? ServerCli::Action::Version
                                  : ServerCli::Action::SampleConfig;
      return cli;  // supervisord acts on -h/-v at once, ignoring what follows
    }
    for (int s : seen) {
      if (s == o.val) {
        return make_error(fmt::format("conflicting command line option {}", unicode::repr(o.name)));
      }
    }
    seen.push_back(o.val);
    if (Status s = apply_option(cli, o); !s) {
      return Error{s.error()};
    }
  }
  return cli;
}

Status apply_cli_overrides(const ServerCli& cli, Config& config) {
  SupervisordConfig& sd = config.supervisord;
  sd.nodaemon = sd.nodaemon || cli.nodaemon;
  sd.silent = sd.silent || cli.silent;
  sd.nocleanup = sd.nocleanup || cli.nocleanup;
  sd.strip_ansi = sd.strip_ansi || cli.strip_ansi;
  if (cli.user) {
    Result<uid_t> uid = parse_uid(*cli.user);
    if (!uid) {
      return Error{uid.error()};
    }
    sd.uid = *uid;
    sd.user = *cli.user;
  }
  if (cli.umask) {
    sd.umask = *cli.umask;
  }
  if (cli.directory) {
    sd.directory = *cli.directory;
  }
  if (cli.logfile) {
    sd.logfile = *cli.logfile == "syslog" ? "syslog" : normalize_path(*cli.logfile);
  }
  if (cli.logfile_maxbytes) {
    sd.logfile_maxbytes = *cli.logfile_maxbytes;
  }
  if (cli.logfile_backups) {
    sd.logfile_backups = *cli.logfile_backups;
  }
  if (cli.loglevel) {
    sd.loglevel = *cli.loglevel;
  }
  if (cli.pidfile) {
    sd.pidfile = normalize_path(*cli.pidfile);
  }
  if (cli.identifier) {
    sd.identifier = *cli.identifier;
  }
  if (cli.childlogdir) {
    sd.childlogdir = *cli.childlogdir;
  }
  if (cli.minfds) {
    sd.minfds = *cli.minfds;
  }
  if (cli.minprocs) {
    sd.minprocs = *cli.minprocs;
  }
  return ok_status();
}

std::vector<std::string> default_config_paths(const std::string& argv0) {
  std::string here = py_dirname(py_dirname(argv0));
  return {py_join(py_join(here, "etc"), "supervisord.conf"),
          py_join(here, "supervisord.conf"),
          "supervisord.conf",
          "etc/supervisord.conf",
          "/etc/supervisord.conf",
          "/etc/supervisor/supervisord.conf"};
}

Result<std::string> locate_config(const ServerCli& cli, const std::string& argv0) {
  if (cli.configuration) {
    return *cli.configuration;
  }
  std::vector<std::string> paths = default_config_paths(argv0);
  for (const std::string& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      return p;
    }
  }
  return make_error(fmt::format(
      "No config file found at default paths ({}); use the -c option to specify a config file at a different path",
      fmt::join(paths, ", ")));
}

std::string server_help_text(const std::string& argv0) {
  return fmt::format(
      "tend: a process supervisor that reads supervisord configuration files.\n"
      "\n"
      "Usage: {} [options]\n"
      "\n"
      "Options:\n"
      "  -c/--configuration FILE   read this config file instead of searching the default places\n"
      "  -n/--nodaemon             stay in the foreground\n"
      "  -s/--silent               in the foreground, do not echo the main log to stdout\n"
      "  -h/--help                 show this text and exit\n"
      "  -v/--version              show tend's version and exit\n"
      "  --sample-config           print a starting config file (supervisord's format) and exit\n"
      "  -u/--user USER            switch to this user (name or uid) after starting\n"
      "  -m/--umask UMASK          octal umask applied when daemonizing (e.g. 022)\n"
      "  -d/--directory DIR        change to this directory when daemonizing\n"
      "  -l/--logfile FILE         main log file, or 'syslog'\n"
      "  -y/--logfile_maxbytes N   rotate the main log at this size (e.g. 50MB; 0 = never)\n"
      "  -z/--logfile_backups N    number of rotated main logs to keep\n"
      "  -e/--loglevel LEVEL       critical, error, warn, info, debug, trace or blather\n"
      "  -j/--pidfile FILE         where to write the pid\n"
      "  -i/--identifier STR       name this instance reports over RPC\n"
      "  -q/--childlogdir DIR      directory for AUTO child log files\n"
      "  -k/--nocleanup            keep old AUTO child logs at startup\n"
      "  -a/--minfds N             minimum number of file descriptors needed to start\n"
      "  -t/--strip_ansi           remove ANSI escape sequences from child output\n"
      "  --minprocs N              minimum number of processes available needed to start\n"
      "  --profile_options OPTS    accepted for compatibility; ignored\n"
      "\n"
      "Command-line values override the [supervisord] section of the config file.\n",
      argv0);
}

}  // namespace tend
