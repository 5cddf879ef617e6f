// The key tables of [supervisord], [unix_http_server], [inet_http_server],
// [supervisorctl] and [include] (config/keys.h says what an entry means).
//
// tend extensions accepted in [supervisord] (supervisord itself would ignore them):
//   console_output = auto|on|off  copy child output to tend's stdout/stderr (default auto)
//   console_output_format = prefix|json  how console_output writes a line (default prefix)
//   log_format = text|json        the main log's lines (default text)
//   shutdown_grace = <seconds>    float >= 0: wait between the shutdown SIGTERM
//                                 sweep and SIGKILL (default 5)
//   main_program = <name>         a process ("name" or "group:name") whose exit
//                                 ends tend with the same status
//   environment_file = <files>    dotenv files for every program (envFiles too)
//   exit_when = never|any_exited|all_exited  when tend ends by itself (core/exit_policy.h)
#include <sys/stat.h>

#include <algorithm>
#include <array>

#include "config/datatypes.h"
#include "config/keys_internal.h"
#include "config/unicode.h"

namespace tend {

using namespace config_detail;

namespace {

template <typename M>
struct ClassOf;
template <typename C, typename T>
struct ClassOf<T C::*> {
  using type = C;
};
template <auto First, auto... Rest>
struct PathStart {
  using type = typename ClassOf<decltype(First)>::type;
};
// The struct a path of member pointers starts from.
template <auto... Path>
using ModelOf = typename PathStart<Path...>::type;

template <auto Parse, auto... Path>
Status load_setting(SettingScope& /*scope*/, const Value& v, ModelOf<Path...>& out) {
  return parse_into(v, Parse, field_of<Path...>(out));
}

template <auto... Path>
bool same_setting(const ModelOf<Path...>& a, const ModelOf<Path...>& b) {
  return field_of<Path...>(a) == field_of<Path...>(b);
}

// A key whose text `Parse` turns into the member at `Path`, compared as that member.
template <auto Parse, auto... Path>
constexpr SettingKey<ModelOf<Path...>> setting(std::string_view name, std::string_view def,
                                               OnUpdate on_update = OnUpdate::NextStart) {
  return {.name = name,
          .default_text = def,
          .load = load_setting<Parse, Path...>,
          .same = same_setting<Path...>,
          .on_update = on_update};
}

// A value kept as written.
Result<std::string> as_written(std::string_view s) { return std::string(s); }

// --- [supervisord] -----------------------------------------------------------------------------

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

// One of `names` (any case, spaces around ignored), as the enum value of the same index.
template <typename E, size_t N>
Result<E> parse_choice(std::string_view s, const std::array<std::string_view, N>& names, std::string_view expected) {
  std::string v = unicode::lower(unicode::strip(s));
  for (size_t i = 0; i < N; ++i) {
    if (v == names[i]) {
      return static_cast<E>(i);
    }
  }
  return make_error(fmt::format("expected {}, not {}", expected, unicode::repr(s)));
}

Result<SupervisordConfig::ConsoleOutputFormat> parse_console_output_format(std::string_view s) {
  return parse_choice<SupervisordConfig::ConsoleOutputFormat>(s, std::array<std::string_view, 2>{"prefix", "json"},
                                                              "prefix or json");
}

Result<SupervisordConfig::LogFormat> parse_log_format(std::string_view s) {
  return parse_choice<SupervisordConfig::LogFormat>(s, std::array<std::string_view, 2>{"text", "json"},
                                                    "text or json");
}

Status load_sd_directory(SettingScope& s, const Value& v, SupervisordConfig& sd) {
  return parse_if_present(
      v, [&](std::string_view text) { return parse_existing_directory(text, s.ctx.home); }, sd.directory);
}

Status load_sd_user(SettingScope& /*scope*/, const Value& v, SupervisordConfig& sd) {
  if (Status st = parse_if_present(v, parse_uid, sd.uid); !st) {
    return st;
  }
  if (v.present) {
    sd.user = v.text;
  }
  return ok_status();
}

// The same user by name or by number changes nothing.
bool same_sd_user(const SupervisordConfig& a, const SupervisordConfig& b) { return a.uid == b.uid; }

// A path whose directory exists, made absolute against the current directory
// (supervisord does so for logfile and pidfile, not for the others).
template <std::string SupervisordConfig::*Member>
Status load_absolute_dirpath(SettingScope& s, const Value& v, SupervisordConfig& sd) {
  std::string& out = sd.*Member;
  if (Status st = parse_into(
          v, [&](std::string_view text) { return parse_existing_dirpath(text, s.ctx.home); }, out);
      !st) {
    return st;
  }
  if (Member != &SupervisordConfig::logfile || out != "syslog") {
    out = normalize_path(out);
  }
  return ok_status();
}

// Made absolute: AUTO log paths in it are shown absolute, as supervisord's
// mkstemp makes them.
Status load_childlogdir(SettingScope& s, const Value& v, SupervisordConfig& sd) {
  Value dir = v;
  if (!v.present) {
    dir.text = default_tmpdir(s.ctx.opts->environ);
  }
  if (Status st = parse_into(
          dir, [&](std::string_view text) { return parse_existing_directory(text, s.ctx.home); }, sd.childlogdir);
      !st) {
    return st;
  }
  sd.childlogdir = normalize_path(sd.childlogdir);
  return ok_status();
}

// Expanded twice, the second time with host_node_name too (as supervisord
// does); its variables become ENV_* names for the sections read after it.
Status load_sd_environment(SettingScope& s, const Value& v, SupervisordConfig& sd) {
  LoadContext& ctx = s.ctx;
  Expansions names =
      with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}, {"host_node_name", ctx.host_node_name}});
  Result<std::string> twice = expand(v.text, names, "environment");
  if (!twice) {
    return error_at(v.pos, twice.error());
  }
  Value expanded = v;
  expanded.text = std::move(*twice);
  if (Status st = parse_into(expanded, parse_env, sd.environment); !st) {
    return st;
  }
  for (const auto& [k, val] : sd.environment) {
    ctx.environ_expansions["ENV_" + k] = val;
  }
  return ok_status();
}

// tend: environment_file= (config/env_file.h); envfiles= is the same key.
// Unlike environment=, its variables are no ENV_* names.
Status load_sd_environment_file(SettingScope& s, const Value& v, SupervisordConfig& sd) {
  return load_env_files(s.ctx, v, sd.environment_file);
}

Status load_sd_envfiles(SettingScope& s, const Value& v, SupervisordConfig& sd) {
  if (Status st = check_envfiles_alias(s.ctx, v); !st || !v.present) {
    return st;
  }
  return load_sd_environment_file(s, v, sd);
}

using SD = SupervisordConfig;
constexpr OnUpdate k_live = OnUpdate::Live;

constexpr auto k_supervisord_keys = std::to_array<SettingKey<SD>>({
    setting<parse_int, &SD::minfds>("minfds", "1024"),
    setting<parse_int, &SD::minprocs>("minprocs", "200"),
    {.name = "directory", .load = load_sd_directory, .same = same_setting<&SD::directory>},
    {.name = "user", .load = load_sd_user, .same = same_sd_user},
    setting<parse_octal, &SD::umask>("umask", "022"),
    {.name = "logfile",
     .default_text = "supervisord.log",
     .load = load_absolute_dirpath<&SD::logfile>,
     .same = same_setting<&SD::logfile>},
    setting<parse_byte_size, &SD::logfile_maxbytes>("logfile_maxbytes", "50MB"),
    setting<parse_int, &SD::logfile_backups>("logfile_backups", "10"),
    setting<parse_loglevel, &SD::loglevel>("loglevel", "info"),
    {.name = "pidfile",
     .default_text = "supervisord.pid",
     .load = load_absolute_dirpath<&SD::pidfile>,
     .same = same_setting<&SD::pidfile>},
    setting<as_written, &SD::identifier>("identifier", "supervisor"),
    setting<parse_boolean, &SD::nodaemon>("nodaemon", "false"),
    setting<parse_boolean, &SD::silent>("silent", "false"),
    {.name = "childlogdir",  // default: $TMPDIR, $TEMP or $TMP when a directory, else /tmp
     .load = load_childlogdir,
     .same = same_setting<&SD::childlogdir>,
     .on_update = k_live},
    setting<parse_boolean, &SD::nocleanup>("nocleanup", "false"),
    setting<parse_boolean, &SD::strip_ansi>("strip_ansi", "false", k_live),
    {.name = "environment", .load = load_sd_environment, .same = same_setting<&SD::environment>, .on_update = k_live},
    setting<parse_console_output, &SD::console_output>("console_output", "auto"),
    setting<parse_console_output_format, &SD::console_output_format>("console_output_format", "prefix"),
    setting<parse_log_format, &SD::log_format>("log_format", "text"),
    setting<parse_seconds, &SD::shutdown_grace>("shutdown_grace", "5", k_live),
    // Read once the programs are known (loader.cc, check_main_program).
    {.name = "main_program", .same = same_setting<&SD::main_program>, .on_update = k_live},
    {.name = "environment_file",
     .load = load_sd_environment_file,
     .same = same_setting<&SD::environment_file>,
     .on_update = k_live},
    {.name = "envfiles", .load = load_sd_envfiles, .on_update = k_live},  // compared as environment_file
    setting<parse_exit_when, &SD::exit_when>("exit_when", "never", k_live),
});

// --- [unix_http_server], [inet_http_server] ----------------------------------------------------

using Server = HttpServerConfig;

Status load_username(SettingScope& s, const Value& v, Server& out) {
  s.username = v;
  out.username = v.text;
  return ok_status();
}

Status load_password(SettingScope& s, const Value& v, Server& out) {
  if (s.username.present != v.present) {
    return error_at(s.username.present ? s.username.pos : v.pos,
                    fmt::format("Section [{}] contains incomplete authentication: a username and a password "
                                "must be given together",
                                s.section));
  }
  out.password = v.text;
  return ok_status();
}

Status load_socket_file(SettingScope& s, const Value& v, Server& out) {
  if (!v.present) {
    return error_at(v.pos, fmt::format("section [{}] has no file value", s.section));
  }
  out.file = normalize_path(unicode::strip(v.text));
  return ok_status();
}

Status load_chown(SettingScope& /*scope*/, const Value& v, Server& out) {
  if (!v.present) {
    return ok_status();
  }
  auto ug = parse_user_group(v.text);
  if (!ug) {
    return error_at(v.pos, fmt::format("Invalid sockchown value {}", v.text));
  }
  out.chown_uid = ug->first;
  out.chown_gid = ug->second;
  return ok_status();
}

bool same_chown(const Server& a, const Server& b) { return a.chown_uid == b.chown_uid && a.chown_gid == b.chown_gid; }

Status load_chmod(SettingScope& /*scope*/, const Value& v, Server& out) {
  auto mode = parse_octal(v.text);
  if (!mode) {
    return error_at(v.pos, fmt::format("Invalid chmod value {}", v.text));
  }
  out.chmod = *mode;
  return ok_status();
}

Status load_port(SettingScope& s, const Value& v, Server& out) {
  if (!v.present) {
    return error_at(v.pos, fmt::format("section [{}] has no port value", s.section));
  }
  std::pair<std::string, int> addr;
  if (Status st = parse_into(v, parse_inet_address, addr); !st) {
    return st;
  }
  out.host = addr.first;
  out.port = addr.second;
  return ok_status();
}

bool same_address(const Server& a, const Server& b) { return a.host == b.host && a.port == b.port; }

constexpr SettingKey<Server> k_username{
    .name = "username", .here = false, .load = load_username, .same = same_setting<&Server::username>};
constexpr SettingKey<Server> k_password{
    .name = "password", .here = false, .load = load_password, .same = same_setting<&Server::password>};

constexpr auto k_unix_http_server_keys = std::to_array<SettingKey<Server>>({
    {.name = "file", .load = load_socket_file, .same = same_setting<&Server::file>},
    k_username,
    k_password,
    {.name = "chown", .here = false, .load = load_chown, .same = same_chown},
    {.name = "chmod", .default_text = "0700", .here = false, .load = load_chmod, .same = same_setting<&Server::chmod>},
});

constexpr auto k_inet_http_server_keys = std::to_array<SettingKey<Server>>({
    k_username,
    k_password,
    {.name = "port", .here = false, .load = load_port, .same = same_address},
    // tend: serve clients from other hosts without credentials (supervisord's way).
    {.name = "allow_remote_without_auth",
     .default_text = "false",
     .here = false,
     .load = load_setting<parse_boolean, &Server::allow_remote_without_auth>,
     .same = same_setting<&Server::allow_remote_without_auth>},
});

// --- [supervisorctl], [include] ----------------------------------------------------------------

Status load_serverurl(SettingScope& /*scope*/, const Value& v, CtlConfig& ctl) {
  ctl.serverurl = v.text;
  if (ctl.serverurl.rfind("unix://", 0) == 0) {
    ctl.serverurl = "unix://" + normalize_path(ctl.serverurl.substr(7));
  }
  return ok_status();
}

Status load_history_file(SettingScope& /*scope*/, const Value& v, CtlConfig& ctl) {
  ctl.history_file = v.text.empty() ? "" : normalize_path(v.text);
  return ok_status();
}

constexpr auto k_supervisorctl_keys = std::to_array<SettingKey<CtlConfig>>({
    {.name = "serverurl", .default_text = "http://localhost:9001", .load = load_serverurl},
    {.name = "prompt",
     .default_text = "supervisor",
     .here = false,
     .load = load_setting<as_written, &CtlConfig::prompt>},
    {.name = "username", .here = false, .load = load_setting<as_written, &CtlConfig::username>},
    {.name = "password", .here = false, .load = load_setting<as_written, &CtlConfig::password>},
    {.name = "history_file", .load = load_history_file},
});

constexpr auto k_include_keys = std::to_array<SettingKey<Config>>({
    {.name = "files"},  // read by load_includes (loader.cc) before any other section
});

}  // namespace

std::span<const SettingKey<SupervisordConfig>> supervisord_keys() { return k_supervisord_keys; }
std::span<const SettingKey<HttpServerConfig>> unix_http_server_keys() { return k_unix_http_server_keys; }
std::span<const SettingKey<HttpServerConfig>> inet_http_server_keys() { return k_inet_http_server_keys; }
std::span<const SettingKey<CtlConfig>> supervisorctl_keys() { return k_supervisorctl_keys; }
std::span<const SettingKey<Config>> include_keys() { return k_include_keys; }

std::vector<std::string> settings_needing_restart(const Config& cur, const Config& next) {
  std::vector<std::string> out;
  for (const SettingKey<SupervisordConfig>& k : supervisord_keys()) {
    if (k.on_update == OnUpdate::NextStart && k.same != nullptr && !k.same(cur.supervisord, next.supervisord)) {
      out.emplace_back(k.name);
    }
  }
  auto same_server = [](const HttpServerConfig& a, const HttpServerConfig& b) {
    if (a.kind != b.kind) {
      return false;
    }
    for (const SettingKey<HttpServerConfig>& k :
         a.kind == HttpServerConfig::Kind::Unix ? unix_http_server_keys() : inet_http_server_keys()) {
      if (k.same != nullptr && !k.same(a, b)) {
        return false;
      }
    }
    return true;
  };
  if (!std::equal(cur.http_servers.begin(), cur.http_servers.end(), next.http_servers.begin(), next.http_servers.end(),
                  same_server)) {
    out.emplace_back("[unix_http_server]/[inet_http_server]");
  }
  return out;
}

}  // namespace tend
