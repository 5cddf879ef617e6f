// load_config(): the [supervisord], [include], HTTP server, [supervisorctl]
// and [rpcinterface:x] sections, their keys as the tables of keys_settings.cc
// say. Program-like sections are in loader_programs.cc, unknown-key warnings
// in loader_keys.cc.
#include "config/loader.h"

#include <glob.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>

#include "config/datatypes.h"
#include "config/keys_internal.h"
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

void warn_at(LoadContext& ctx, const SourcePos& pos, const std::string& what) {
  ctx.cfg.warnings.push_back({pos, "WARN", fmt::format("{}:{}: {}", pos.file, pos.line, what)});
}

SourcePos section_pos(const LoadContext& ctx, const std::string& section) {
  if (const IniSection* s = ctx.doc.section(section)) {
    return s->pos;
  }
  return SourcePos{ctx.cfg.path, 0};
}

const IniValue* own_value(const LoadContext& ctx, const std::string& section, const std::string& key) {
  const IniSection* s = ctx.doc.section(section);
  const IniValue* v = s == nullptr ? nullptr : s->find(key);
  const IniValue* inherited = ctx.doc.defaults().find(key);
  if (v == nullptr || (inherited != nullptr && inherited->pos == v->pos)) {
    return nullptr;
  }
  return v;
}

SourcePos key_pos(const LoadContext& ctx, const std::string& section, const std::string& key) {
  const IniValue* v = ctx.doc.get(section, key);
  return v != nullptr ? v->pos : section_pos(ctx, section);
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

Status load_supervisord(LoadContext& ctx) {
  SettingScope s{.ctx = ctx, .section = "supervisord"};
  return read_settings(s, supervisord_keys(), ctx.cfg.supervisord);
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
      warn_at(ctx, factory.pos,
              fmt::format("[{}] factory {} is a Python plugin, which tend cannot load; section ignored", s.name,
                          factory.text));
    }
  }
  return ok_status();
}

Status load_http_servers(LoadContext& ctx) {
  // The inet servers first, then the unix ones.
  for (HttpServerConfig::Kind kind : {HttpServerConfig::Kind::Inet, HttpServerConfig::Kind::Unix}) {
    bool inet = kind == HttpServerConfig::Kind::Inet;
    for (const IniSection& sec : ctx.doc.sections()) {
      if (sec.name.rfind(inet ? "inet_http_server" : "unix_http_server", 0) != 0) {
        continue;
      }
      HttpServerConfig h;
      h.kind = kind;
      h.section = sec.name;
      h.pos = sec.pos;
      SettingScope s{.ctx = ctx, .section = sec.name};
      if (Status st = read_settings(s, inet ? inet_http_server_keys() : unix_http_server_keys(), h); !st) {
        return st;
      }
      ctx.cfg.http_servers.push_back(std::move(h));
    }
  }
  return ok_status();
}

Status load_ctl(LoadContext& ctx) {
  if (!ctx.doc.has_section("supervisorctl")) {
    return ok_status();
  }
  ctx.cfg.ctl.present = true;
  SettingScope s{.ctx = ctx, .section = "supervisorctl"};
  return read_settings(s, supervisorctl_keys(), ctx.cfg.ctl);
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
    // Read for `tendctl open` (the console's address) only: a section the
    // server would refuse is the server's error to report, not the client's.
    if (Status s = load_http_servers(ctx); !s) {
      ctx.cfg.http_servers.clear();
    }
    return std::move(ctx.cfg);
  }
  if (Status s = load_includes(ctx); !s) {
    return Error{s.error()};
  }
  if (!ctx.doc.has_section("supervisord")) {
    return make_error(fmt::format("{}: .ini file does not include supervisord section", opts.path));
  }
  // The order matters only for which error is reported first; it is supervisord's, and then
  // tend's own check of depends_on, which supervisord does not have.
  for (Status (*step)(LoadContext&) :
       {load_supervisord, load_rpcinterfaces, load_process_groups, load_http_servers, check_main_program,
        check_dependencies}) {
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
