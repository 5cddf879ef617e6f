// load_config(): the [supervisord], [include], HTTP server, [supervisorctl]
// and [rpcinterface:x] sections. Program-like sections are in
// loader_programs.cc, unknown-key warnings in loader_keys.cc.
//
// tend extensions accepted in [supervisord] (supervisord itself would ignore them):
//   console_output = auto|on|off  copy child output to tend's stdout/stderr (default auto)
//   shutdown_grace = <seconds>    float >= 0: wait between the shutdown SIGTERM
//                                 sweep and SIGKILL (default 5)
//   main_program = <name>         a process ("name" or "group:name") whose exit
//                                 ends tend with the same status
#include "config/loader.h"

#include <glob.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "config/datatypes.h"
#include "config/loader_internal.h"
#include "config/unicode.h"

extern char** environ;

namespace tend {

using namespace config_detail;

namespace config_detail {

Result<Value> get_value(const LoadContext& ctx, const std::string& section, const std::string& key,
                        std::string_view def, const Expansions& names, bool do_expand) {
  Value v{section, key, std::string(def), section_pos(ctx, section), false};
  const IniValue* raw = ctx.doc.get(section, key);
  if (raw == nullptr) {
    return v;
  }
  v.pos = raw->pos;
  v.present = true;
  v.text = raw->value;
  if (do_expand) {
    Result<std::string> e = expand(raw->value, names, section + "." + key);
    if (!e) {
      return error_at(v.pos, e.error());
    }
    v.text = std::move(*e);
  }
  return v;
}

Expansions with_names(const Expansions& base, std::initializer_list<std::pair<std::string, ExpandValue>> extra) {
  Expansions out = base;
  for (const auto& [k, v] : extra) {
    out[k] = v;
  }
  return out;
}

SourcePos section_pos(const LoadContext& ctx, const std::string& section) {
  if (const IniSection* s = ctx.doc.section(section)) {
    return s->pos;
  }
  return SourcePos{ctx.cfg.path, 0};
}

}  // namespace config_detail

namespace {

std::vector<std::string> split_whitespace(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    std::string_view rest = unicode::lstrip(s.substr(i));
    i = s.size() - rest.size();
    size_t j = i;
    while (j < s.size()) {
      char32_t cp = 0;
      size_t n = unicode::decode(s, j, &cp);
      if (n != 0 && unicode::is_space(cp)) {
        break;
      }
      j += n == 0 ? 1 : n;
    }
    if (j > i) {
      out.emplace_back(s.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

bool is_regular_readable(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), R_OK) == 0;
}

Status load_includes(LoadContext& ctx) {
  const IniSection* inc = ctx.doc.section("include");
  if (inc == nullptr) {
    return ok_status();
  }
  ctx.doc.expand_here(ctx.cfg.here);
  const IniValue* files = ctx.doc.get("include", "files");
  if (files == nullptr) {
    return error_at(inc->pos, ".ini file has [include] section, but no files setting");
  }
  Expansions names = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}, {"host_node_name", ctx.host_node_name}});
  Result<std::string> text = expand(files->value, names, "include.files");
  if (!text) {
    return error_at(files->pos, text.error());
  }
  for (const std::string& raw : split_whitespace(*text)) {
    std::string pattern = py_join(ctx.cfg.here, raw);
    glob_t g{};
    int rc = ::glob(pattern.c_str(), GLOB_NOESCAPE, nullptr, &g);
    std::vector<std::string> matches;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        matches.emplace_back(g.gl_pathv[i]);
      }
    }
    ::globfree(&g);
    if (matches.empty()) {
      ctx.cfg.unmatched_includes.push_back(pattern);
      ctx.cfg.warnings.push_back(
          {files->pos, "WARN", fmt::format("No file matches via include \"{}\"", pattern)});
      continue;
    }
    std::sort(matches.begin(), matches.end());
    for (const std::string& file : matches) {
      ctx.cfg.warnings.push_back({files->pos, "INFO", fmt::format("Included extra file \"{}\" during parsing", file)});
      if (!is_regular_readable(file)) {  // configparser skips files it cannot open
        ctx.cfg.warnings.push_back({files->pos, "WARN", fmt::format("could not read included file \"{}\"", file)});
        continue;
      }
      ctx.cfg.included_files.push_back(file);
      if (Status s = ctx.doc.read_file(file); !s) {
        return s;
      }
      ctx.doc.expand_here(normalize_path(py_dirname(file)));
    }
  }
  return ok_status();
}

std::string default_tmpdir(const std::map<std::string, std::string>& env) {
  for (const char* name : {"TMPDIR", "TEMP", "TMP"}) {
    auto it = env.find(name);
    struct stat st {};
    if (it != env.end() && !it->second.empty() && ::stat(it->second.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return it->second;
    }
  }
  return "/tmp";
}

Result<double> parse_seconds(std::string_view s) {
  std::string text(unicode::strip(s));
  char* end = nullptr;
  double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < 0) {
    return make_error(fmt::format("not a number of seconds >= 0: {}", unicode::repr(s)));
  }
  return v;
}

Result<SupervisordConfig::ConsoleOutput> parse_console_output(std::string_view s) {
  std::string v = unicode::lower(s);
  if (v == "auto") {
    return SupervisordConfig::ConsoleOutput::Auto;
  }
  if (Result<bool> b = parse_boolean(v); b) {
    return *b ? SupervisordConfig::ConsoleOutput::On : SupervisordConfig::ConsoleOutput::Off;
  }
  return make_error(fmt::format("expected auto, on or off, not {}", unicode::repr(s)));
}

Status load_supervisord(LoadContext& ctx) {
  SupervisordConfig& sd = ctx.cfg.supervisord;
  const std::string sec = "supervisord";
  const Expansions names = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}});
  auto get = [&](const char* key, std::string_view def) { return get_value(ctx, sec, key, def, names); };
  const std::string& home = ctx.home;
  Value v;
  TRY_ASSIGN(v, get("minfds", "1024"));
  TRY_ASSIGN(sd.minfds, convert(v, parse_int));
  TRY_ASSIGN(v, get("minprocs", "200"));
  TRY_ASSIGN(sd.minprocs, convert(v, parse_int));
  TRY_ASSIGN(v, get("directory", ""));
  if (v.present) {
    TRY_ASSIGN(sd.directory, convert(v, [&](std::string_view s) { return parse_existing_directory(s, home); }));
  }
  TRY_ASSIGN(v, get("user", ""));
  if (v.present) {
    TRY_ASSIGN(sd.uid, convert(v, parse_uid));
    sd.user = v.text;
  }
  TRY_ASSIGN(v, get("umask", "022"));
  TRY_ASSIGN(sd.umask, convert(v, parse_octal));
  TRY_ASSIGN(v, get("logfile", "supervisord.log"));
  TRY_ASSIGN(sd.logfile, convert(v, [&](std::string_view s) { return parse_existing_dirpath(s, home); }));
  if (sd.logfile != "syslog") {
    sd.logfile = normalize_path(sd.logfile);
  }
  TRY_ASSIGN(v, get("logfile_maxbytes", "50MB"));
  TRY_ASSIGN(sd.logfile_maxbytes, convert(v, parse_byte_size));
  TRY_ASSIGN(v, get("logfile_backups", "10"));
  TRY_ASSIGN(sd.logfile_backups, convert(v, parse_int));
  TRY_ASSIGN(v, get("loglevel", "info"));
  TRY_ASSIGN(sd.loglevel, convert(v, parse_loglevel));
  TRY_ASSIGN(v, get("pidfile", "supervisord.pid"));
  TRY_ASSIGN(sd.pidfile, convert(v, [&](std::string_view s) { return parse_existing_dirpath(s, home); }));
  sd.pidfile = normalize_path(sd.pidfile);
  TRY_ASSIGN(v, get("identifier", "supervisor"));
  sd.identifier = v.text;
  TRY_ASSIGN(v, get("nodaemon", "false"));
  TRY_ASSIGN(sd.nodaemon, convert(v, parse_boolean));
  TRY_ASSIGN(v, get("silent", "false"));
  TRY_ASSIGN(sd.silent, convert(v, parse_boolean));
  TRY_ASSIGN(v, get("childlogdir", default_tmpdir(ctx.opts->environ)));
  TRY_ASSIGN(sd.childlogdir, convert(v, [&](std::string_view s) { return parse_existing_directory(s, home); }));
  TRY_ASSIGN(v, get("nocleanup", "false"));
  TRY_ASSIGN(sd.nocleanup, convert(v, parse_boolean));
  TRY_ASSIGN(v, get("strip_ansi", "false"));
  TRY_ASSIGN(sd.strip_ansi, convert(v, parse_boolean));
  // environment is expanded twice: once like the other keys, then again with host_node_name too.
  TRY_ASSIGN(v, get("environment", ""));
  Expansions second = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}, {"host_node_name", ctx.host_node_name}});
  Result<std::string> twice = expand(v.text, second, "environment");
  if (!twice) {
    return error_at(v.pos, twice.error());
  }
  v.text = std::move(*twice);
  TRY_ASSIGN(sd.environment, convert(v, parse_env));
  for (const auto& [k, val] : sd.environment) {
    ctx.environ_expansions["ENV_" + k] = val;
  }
  TRY_ASSIGN(v, get("console_output", "auto"));
  TRY_ASSIGN(sd.console_output, convert(v, parse_console_output));
  TRY_ASSIGN(v, get("shutdown_grace", "5"));
  TRY_ASSIGN(sd.shutdown_grace, convert(v, parse_seconds));
  return ok_status();
}

Status load_rpcinterfaces(LoadContext& ctx) {
  static constexpr const char* k_factory_key = "supervisor.rpcinterface_factory";
  for (const IniSection& s : ctx.doc.sections()) {
    if (s.name.rfind("rpcinterface:", 0) != 0) {
      continue;
    }
    Value factory;
    TRY_ASSIGN(factory, get_value(ctx, s.name, k_factory_key, "", ctx.environ_expansions));
    if (!factory.present) {
      return error_at(s.pos, fmt::format("section [{}] does not specify a {}", s.name, k_factory_key));
    }
    for (const std::string& key : ctx.doc.options(s.name)) {  // extra keys must still expand
      Value extra;
      TRY_ASSIGN(extra, get_value(ctx, s.name, key, "", ctx.environ_expansions));
    }
    if (unicode::strip(factory.text) == "supervisor.rpcinterface:make_main_rpcinterface") {
      ctx.cfg.has_rpcinterface_supervisor = true;
    } else {
      ctx.cfg.warnings.push_back(
          {factory.pos, "WARN",
           fmt::format("{}:{}: [{}] factory {} is a Python plugin, which tend cannot load; section ignored",
                       factory.pos.file, factory.pos.line, s.name, factory.text)});
    }
  }
  return ok_status();
}

Status load_auth(LoadContext& ctx, const std::string& sec, HttpServerConfig& out) {
  Value user;
  Value pass;
  TRY_ASSIGN(user, get_value(ctx, sec, "username", "", ctx.environ_expansions));
  TRY_ASSIGN(pass, get_value(ctx, sec, "password", "", ctx.environ_expansions));
  if (user.present != pass.present) {
    return error_at(user.present ? user.pos : pass.pos,
                    fmt::format("Section [{}] contains incomplete authentication: a username and a password "
                                "must be given together",
                                sec));
  }
  out.username = user.text;
  out.password = pass.text;
  return ok_status();
}

Status load_http_servers(LoadContext& ctx) {
  for (const IniSection& s : ctx.doc.sections()) {
    if (s.name.rfind("inet_http_server", 0) != 0) {
      continue;
    }
    HttpServerConfig h;
    h.kind = HttpServerConfig::Kind::Inet;
    h.section = s.name;
    h.pos = s.pos;
    if (Status st = load_auth(ctx, s.name, h); !st) {
      return st;
    }
    Value port;
    TRY_ASSIGN(port, get_value(ctx, s.name, "port", "", ctx.environ_expansions));
    if (!port.present) {
      return error_at(s.pos, fmt::format("section [{}] has no port value", s.name));
    }
    std::pair<std::string, int> addr;
    TRY_ASSIGN(addr, convert(port, parse_inet_address));
    h.host = addr.first;
    h.port = addr.second;
    ctx.cfg.http_servers.push_back(std::move(h));
  }
  for (const IniSection& s : ctx.doc.sections()) {
    if (s.name.rfind("unix_http_server", 0) != 0) {
      continue;
    }
    HttpServerConfig h;
    h.kind = HttpServerConfig::Kind::Unix;
    h.section = s.name;
    h.pos = s.pos;
    Value file;
    TRY_ASSIGN(file, get_value(ctx, s.name, "file", "", with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}})));
    if (!file.present) {
      return error_at(s.pos, fmt::format("section [{}] has no file value", s.name));
    }
    h.file = normalize_path(unicode::strip(file.text));
    if (Status st = load_auth(ctx, s.name, h); !st) {
      return st;
    }
    Value chown;
    TRY_ASSIGN(chown, get_value(ctx, s.name, "chown", "", ctx.environ_expansions));
    if (chown.present) {
      auto ug = parse_user_group(chown.text);
      if (!ug) {
        return error_at(chown.pos, fmt::format("Invalid sockchown value {}", chown.text));
      }
      h.chown_uid = ug->first;
      h.chown_gid = ug->second;
    }
    Value chmod;
    TRY_ASSIGN(chmod, get_value(ctx, s.name, "chmod", "0700", ctx.environ_expansions));
    auto mode = parse_octal(chmod.text);
    if (!mode) {
      return error_at(chmod.pos, fmt::format("Invalid chmod value {}", chmod.text));
    }
    h.chmod = *mode;
    ctx.cfg.http_servers.push_back(std::move(h));
  }
  return ok_status();
}

Status load_ctl(LoadContext& ctx) {
  CtlConfig& ctl = ctx.cfg.ctl;
  const std::string sec = "supervisorctl";
  if (!ctx.doc.has_section(sec)) {
    return ok_status();
  }
  ctl.present = true;
  const Expansions with_here = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}});
  Value v;
  TRY_ASSIGN(v, get_value(ctx, sec, "serverurl", ctl.serverurl, with_here));
  ctl.serverurl = v.text;
  if (ctl.serverurl.rfind("unix://", 0) == 0) {
    ctl.serverurl = "unix://" + normalize_path(ctl.serverurl.substr(7));
  }
  TRY_ASSIGN(v, get_value(ctx, sec, "prompt", ctl.prompt, ctx.environ_expansions));
  ctl.prompt = v.text;
  TRY_ASSIGN(v, get_value(ctx, sec, "username", "", ctx.environ_expansions));
  ctl.username = v.text;
  TRY_ASSIGN(v, get_value(ctx, sec, "password", "", ctx.environ_expansions));
  ctl.password = v.text;
  TRY_ASSIGN(v, get_value(ctx, sec, "history_file", "", with_here));
  ctl.history_file = v.text.empty() ? "" : normalize_path(v.text);
  return ok_status();
}

Status check_main_program(LoadContext& ctx) {
  const IniValue* raw = ctx.doc.get("supervisord", "main_program");
  if (raw == nullptr) {
    return ok_status();
  }
  Value v;
  TRY_ASSIGN(v, get_value(ctx, "supervisord", "main_program", "", with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}})));
  std::string want(unicode::strip(v.text));
  std::vector<std::string> matches;
  std::string known;
  for (const GroupConfig& g : ctx.cfg.groups) {
    for (const ProcessConfig& p : g.processes) {
      std::string full = g.name == p.name ? p.name : g.name + ":" + p.name;
      known += (known.empty() ? "" : ", ") + full;
      if (want == p.name || want == g.name + ":" + p.name) {
        matches.push_back(g.name + ":" + p.name);
      }
    }
  }
  if (matches.empty()) {
    return error_at(v.pos, fmt::format("main_program {} names no process (processes: {})", unicode::repr(want),
                                       known.empty() ? "none" : known));
  }
  if (matches.size() > 1) {
    return error_at(v.pos, fmt::format("main_program {} is ambiguous; write one of: {}", unicode::repr(want),
                                       fmt::join(matches, ", ")));
  }
  ctx.cfg.supervisord.main_program = matches[0];
  return ok_status();
}

}  // namespace

std::map<std::string, std::string> current_environ() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  return env;
}

Result<Config> load_config(const LoadOptions& opts) {
  LoadContext ctx;
  ctx.opts = &opts;
  struct stat st {};
  if (opts.path.empty() || ::stat(opts.path.c_str(), &st) != 0) {
    return make_error(fmt::format("could not find config file {}", opts.path));
  }
  ctx.cfg.path = normalize_path(opts.path);
  ctx.cfg.here = py_dirname(ctx.cfg.path);
  ctx.host_node_name = opts.host_node_name;
  if (ctx.host_node_name.empty()) {
    struct utsname u {};
    if (::uname(&u) == 0) {
      ctx.host_node_name = u.nodename;
    }
  }
  if (auto it = opts.environ.find("HOME"); it != opts.environ.end()) {
    ctx.home = it->second;
  }
  for (const auto& [k, v] : opts.environ) {
    ctx.environ_expansions["ENV_" + k] = v;
  }
  if (Status s = ctx.doc.read_file(opts.path); !s) {
    return Error{s.error()};
  }
  if (opts.for_client) {
    if (Status s = load_ctl(ctx); !s) {
      return Error{s.error()};
    }
    return std::move(ctx.cfg);
  }
  if (Status s = load_includes(ctx); !s) {
    return Error{s.error()};
  }
  if (!ctx.doc.has_section("supervisord")) {
    return make_error(fmt::format("{}: .ini file does not include supervisord section", opts.path));
  }
  // The order matters only for which error is reported first; it is supervisord's.
  for (Status (*step)(LoadContext&) :
       {load_supervisord, load_rpcinterfaces, load_process_groups, load_http_servers, check_main_program}) {
    if (Status s = step(ctx); !s) {
      return Error{s.error()};
    }
  }
  // supervisord never reads [supervisorctl]; a broken one is only worth a warning here.
  if (Status s = load_ctl(ctx); !s) {
    ctx.cfg.ctl = CtlConfig{};
    ctx.cfg.ctl.present = true;
    ctx.cfg.warnings.push_back({section_pos(ctx, "supervisorctl"), "WARN", s.error()});
  }
  warn_unknown_keys(ctx);
  return std::move(ctx.cfg);
}

}  // namespace tend
