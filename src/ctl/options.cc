#include "ctl/options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <set>

#include "config/loader.h"
#include "util/passwd.h"

namespace tend::ctl {

namespace {

struct OptionSpec {
  char short_name;         // also the key apply_option switches on
  const char* long_name;   // nullptr when there is none
  bool takes_arg;
  bool long_only = false;  // short_name is only a key: "-<short_name>" is not accepted
  bool exact = false;      // no abbreviation: the shorter forms keep meaning what they mean to supervisorctl
};

// --version is tendctl's own (supervisorctl has no -v): long only, so "-v" stays an error.
// --color is tendctl's own too, and only in full: "--c" and "--co" stay --configuration.
constexpr std::array<OptionSpec, 10> k_options{{
    {'h', "help", false},
    {'?', nullptr, false},
    {'c', "configuration", true},
    {'i', "interactive", false},
    {'s', "serverurl", true},
    {'u', "username", true},
    {'p', "password", true},
    {'r', "history_file", true},
    {'V', "version", false, true},
    {'C', "color", true, true, true},
}};

// Python's repr() of a str, for messages that quote a value the way
// supervisorctl's do ('foo').
std::string py_repr(const std::string& s) {
  char quote = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
  std::string out(1, quote);
  for (char c : s) {
    if (c == quote || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  out += quote;
  return out;
}

// What supervisorctl accepts as a URL: a scheme, then something after it.
bool looks_like_url(const std::string& v) {
  size_t colon = v.find(':');
  if (colon == std::string::npos || colon == 0) {
    return false;
  }
  for (size_t i = 0; i < colon; ++i) {
    char c = v[i];
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    if (!ok || (i == 0 && !std::isalpha(static_cast<unsigned char>(c)))) {
      return false;
    }
  }
  return colon + 1 < v.size();
}

// Stores one option's value; fails on a repeated option.
Status apply_option(CliOptions& o, char name, const std::string& shown, const std::string& arg,
                    std::set<char>& seen) {
  if (name == 'h' || name == '?') {
    o.help = true;
    return ok_status();
  }
  if (name == 'V') {
    o.version = true;
    return ok_status();
  }
  if (name == 's' && !looks_like_url(arg)) {
    return make_error(fmt::format("invalid value for {} {}: value {} is not a URL", shown,
                                  py_repr(arg), py_repr(arg)));
  }
  if (!seen.insert(name).second) {
    return make_error(fmt::format("conflicting command line option {}", py_repr(shown)));
  }
  switch (name) {
    case 'c':
      o.config_path = arg;
      break;
    case 'i':
      o.interactive = true;
      break;
    case 's':
      o.serverurl = arg;
      break;
    case 'u':
      o.username = arg;
      break;
    case 'p':
      o.password = arg;
      break;
    case 'r':
      o.history_file = arg;
      break;
    case 'C':
      if (arg != "auto" && arg != "always" && arg != "never") {
        return make_error(fmt::format("invalid value for --color {}: use auto, always or never", py_repr(arg)));
      }
      o.color = arg;
      break;
    default:
      break;
  }
  return ok_status();
}

const OptionSpec* find_short(char c) {
  for (const OptionSpec& s : k_options) {
    if (s.short_name == c && !s.long_only) {
      return &s;
    }
  }
  return nullptr;
}

// Exact match first, else a unique prefix.
Result<const OptionSpec*> find_long(const std::string& name) {
  const OptionSpec* found = nullptr;
  int matches = 0;
  for (const OptionSpec& s : k_options) {
    if (s.long_name == nullptr) {
      continue;
    }
    std::string_view ln = s.long_name;
    if (ln == name) {
      return &s;
    }
    if (!s.exact && ln.substr(0, name.size()) == name) {
      found = &s;
      ++matches;
    }
  }
  if (matches == 0) {
    return make_error(fmt::format("option --{} not recognized", name));
  }
  if (matches > 1) {
    return make_error(fmt::format("option --{} not a unique prefix", name));
  }
  return found;
}

std::string home_of(const std::string& user) {
  if (user.empty()) {
    if (const char* h = std::getenv("HOME"); h != nullptr) {
      return h;
    }
    std::optional<UserEntry> me = find_user(::getuid());
    return me ? me->home : "";
  }
  std::optional<UserEntry> entry = find_user(user);
  return entry ? entry->home : "";
}

bool path_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

std::string dirname_of(const std::string& p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) {
    return "";
  }
  std::string head = p.substr(0, slash + 1);
  // Like os.path.dirname: strip trailing slashes unless the head is all slashes.
  if (head.find_first_not_of('/') != std::string::npos) {
    while (!head.empty() && head.back() == '/') {
      head.pop_back();
    }
  }
  return head;
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty() || b.front() == '/') {
    return b;
  }
  return a.back() == '/' ? a + b : a + "/" + b;
}

// The path the program was started as, the way a Python script sees its
// argv[0]: as given when it has a slash, else found on PATH.
std::string program_location(const std::string& argv0) {
  if (argv0.find('/') != std::string::npos) {
    return argv0;
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string_view rest = path;
    while (true) {
      size_t colon = rest.find(':');
      std::string dir(rest.substr(0, colon));
      std::string candidate = join_path(dir.empty() ? "." : dir, argv0);
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
      if (colon == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(colon + 1);
    }
  }
  return argv0;
}

}  // namespace

Result<CliOptions> parse_cli(const std::vector<std::string>& argv) {
  // First split the words into options (every syntax error wins), then apply
  // them in order: -h takes effect where it stands, before later conflicts.
  struct Parsed {
    char name;
    std::string shown;
    std::string arg;
  };
  std::vector<Parsed> parsed;
  size_t i = 0;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      break;
    }
    if (a[1] == '-') {
      size_t eq = a.find('=');
      std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      Result<const OptionSpec*> spec = find_long(name);
      if (!spec) {
        return make_error(spec.error());
      }
      std::string shown = std::string("--") + (*spec)->long_name;
      std::string arg;
      if ((*spec)->takes_arg) {
        if (eq != std::string::npos) {
          arg = a.substr(eq + 1);
        } else if (i + 1 < argv.size()) {
          arg = argv[++i];
        } else {
          return make_error(fmt::format("option {} requires argument", shown));
        }
      } else if (eq != std::string::npos) {
        return make_error(fmt::format("option {} must not have an argument", shown));
      }
      parsed.push_back(Parsed{(*spec)->short_name, shown, arg});
      continue;
    }
    for (size_t j = 1; j < a.size(); ++j) {
      const OptionSpec* spec = find_short(a[j]);
      if (spec == nullptr) {
        return make_error(fmt::format("option -{} not recognized", a[j]));
      }
      std::string arg;
      if (spec->takes_arg) {
        if (j + 1 < a.size()) {
          arg = a.substr(j + 1);
        } else if (i + 1 < argv.size()) {
          arg = argv[++i];
        } else {
          return make_error(fmt::format("option -{} requires argument", a[j]));
        }
        j = a.size();
      }
      parsed.push_back(Parsed{spec->short_name, std::string("-") + spec->short_name, arg});
    }
  }
  CliOptions o;
  std::set<char> seen;
  for (const Parsed& p : parsed) {
    Status st = apply_option(o, p.name, p.shown, p.arg, seen);
    if (!st) {
      return make_error(st.error());
    }
    if (o.help || o.version) {
      break;
    }
  }
  o.args.assign(argv.begin() + static_cast<std::ptrdiff_t>(i), argv.end());
  return o;
}

std::string normalize_path(const std::string& p) {
  std::string path = p;
  if (!path.empty() && path[0] == '~') {
    size_t slash = path.find('/');
    std::string user = path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
    std::string home = home_of(user);
    if (!home.empty()) {
      path = home + (slash == std::string::npos ? "" : path.substr(slash));
    }
  }
  if (path.empty() || path[0] != '/') {
    char cwd[4096];
    if (::getcwd(cwd, sizeof(cwd)) != nullptr) {
      path = join_path(cwd, path);
    }
  }
  // normpath: collapse "//", "." and "..". POSIX keeps exactly two leading slashes.
  size_t leading = path.find_first_not_of('/');
  std::string prefix = leading == 2 ? "//" : "/";
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    std::string part = path.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    if (part == "..") {
      if (!parts.empty()) {
        parts.pop_back();
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (next == std::string::npos) {
      break;
    }
    pos = next + 1;
  }
  std::string out = prefix;
  for (size_t k = 0; k < parts.size(); ++k) {
    out += (k == 0 ? "" : "/") + parts[k];
  }
  return out;
}

std::vector<std::string> default_config_paths(const std::string& program_path) {
  std::string here = dirname_of(dirname_of(program_location(program_path)));
  return {join_path(here, "etc/supervisord.conf"), join_path(here, "supervisord.conf"),
          "supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf",
          "/etc/supervisor/supervisord.conf"};
}

Result<CtlSettings> resolve_settings(const CliOptions& cli, const std::string& program_path) {
  CtlSettings s;
  std::optional<std::string> path = cli.config_path;
  if (!path) {
    for (const std::string& candidate : default_config_paths(program_path)) {
      if (path_exists(candidate)) {
        path = candidate;
        break;
      }
    }
  }
  if (path) {
    if (!path_exists(*path)) {
      return make_error(fmt::format("could not find config file {}", *path));
    }
    Result<Config> cfg = load_config(
        LoadOptions{.path = *path, .environ = current_environ(), .host_node_name = {}, .for_client = true});
    if (!cfg) {
      return make_error(cfg.error());
    }
    if (!cfg->ctl.present) {
      return make_error(".ini file does not include supervisorctl section");
    }
    s.serverurl = cfg->ctl.serverurl;
    if (s.serverurl.substr(0, 7) == "unix://") {
      s.serverurl = "unix://" + normalize_path(s.serverurl.substr(7));
    }
    if (!cfg->ctl.username.empty()) {
      s.username = cfg->ctl.username;
    }
    if (!cfg->ctl.password.empty()) {
      s.password = cfg->ctl.password;
    }
    s.prompt = cfg->ctl.prompt;
    for (const HttpServerConfig& server : cfg->http_servers) {
      if (server.kind == HttpServerConfig::Kind::Inet) {
        s.inet_console_url = console_url_for(server.host, server.port);
      }
    }
  }
  if (cli.serverurl) {
    s.serverurl = *cli.serverurl;
  }
  if (cli.username) {
    s.username = cli.username;
  }
  if (cli.password) {
    s.password = cli.password;
  }
  s.args = cli.args;
  s.interactive = cli.interactive || cli.args.empty();
  return s;
}

std::string console_url_for(const std::string& host, int port) {
  std::string shown = host;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") {
    shown = "localhost";
  } else if (host.find(':') != std::string::npos && host.front() != '[') {
    shown = "[" + host + "]";
  }
  return fmt::format("http://{}:{}/", shown, port);
}

std::optional<std::string> console_url(const CtlSettings& s) {
  std::string scheme = s.serverurl.substr(0, 7);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme == "http://") {
    std::string authority = s.serverurl.substr(7, s.serverurl.find('/', 7) - 7);
    size_t at = authority.rfind('@');  // credentials in the URL are not for the page's address
    if (at != std::string::npos) {
      authority.erase(0, at + 1);
    }
    if (!authority.empty()) {
      return "http://" + authority + "/";
    }
  }
  return s.inet_console_url;
}

bool use_colour(const std::optional<std::string>& mode, const char* no_color, bool terminal) {
  if (mode == "always") {
    return true;
  }
  if (mode == "never") {
    return false;
  }
  return terminal && (no_color == nullptr || *no_color == '\0');
}

std::string usage_text(const std::string& progname) {
  return fmt::format(
      "Usage: {} [options] [command [arguments]]\n"
      "\n"
      "Controls the processes of a running supervisord or tend server.\n"
      "\n"
      "Options:\n"
      "  -c, --configuration FILE  read the [supervisorctl] section of FILE\n"
      "                            (default: the usual supervisord.conf locations)\n"
      "  -s, --serverurl URL       talk to URL: unix:///path/to/socket or\n"
      "                            http://host:port (default http://localhost:9001)\n"
      "  -u, --username USER       user name for HTTP basic authentication\n"
      "  -p, --password PASS       password for HTTP basic authentication\n"
      "  -i, --interactive         open the command shell after running the command\n"
      "  -r, --history_file FILE   accepted for compatibility; no history is kept\n"
      "  -h, --help                show this text and exit\n"
      "      --version             print tendctl's version and exit\n"
      "      --color WHEN          colour status: auto (on a terminal, unless\n"
      "                            NO_COLOR is set), always or never\n"
      "\n"
      "Without a command, an interactive shell starts. Type \"help\" there, or run\n"
      "\"{} help\", for the list of commands.\n",
      progname, progname);
}

}  // namespace tend::ctl
