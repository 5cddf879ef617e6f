// The key tables of [program:x], [eventlistener:x], [fcgi-program:x] and
// [group:x] (config/keys.h says what an entry means and how to add one).
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <utility>

#include "config/datatypes.h"
#include "config/event_types.h"
#include "config/keys_internal.h"
#include "config/rlimits.h"
#include "sched/cron.h"
#include "config/unicode.h"
#include "util/passwd.h"

namespace tend {

using namespace config_detail;

namespace {

constexpr int k_max_numprocs = 100000;


// --- getAllConfigInfo values -------------------------------------------------------------------

InfoValue to_info(bool v) { return InfoValue(std::in_place_type<bool>, v); }
InfoValue to_info(int v) { return int64_t{v}; }
InfoValue to_info(unsigned v) { return int64_t{v}; }
InfoValue to_info(int64_t v) { return v; }
InfoValue to_info(double v) { return v; }
InfoValue to_info(const std::string& v) { return v; }
InfoValue to_info(const std::vector<int>& v) { return std::vector<int64_t>(v.begin(), v.end()); }
template <typename T>
InfoValue to_info(const std::optional<T>& v) {  // supervisord shows None as 'none'
  return v ? to_info(*v) : InfoValue(std::string("none"));
}

// --- entries that are a value in a field -------------------------------------------------------

template <auto Parse, auto... Path>
Status load_field(ProgramScope& s, const Value& v) {
  return parse_into(v, Parse, field_of<Path...>(*s.process));
}

template <auto... Path>
bool same_field(const ProcessConfig& a, const ProcessConfig& b) {
  return field_of<Path...>(a) == field_of<Path...>(b);
}

template <auto... Path>
InfoValue report_field(const ProcessConfig& p, const ProcessConfig* /*running*/) {
  return to_info(field_of<Path...>(p));
}

// A key whose text `Parse` turns into the ProcessConfig member at `Path`;
// compared as that member, not shown by getAllConfigInfo.
template <auto Parse, auto... Path>
constexpr ProgramKey field(std::string_view name, std::string_view def, Stage stage) {
  return {.name = name,
          .default_text = def,
          .stage = stage,
          .load = load_field<Parse, Path...>,
          .same_process = same_field<Path...>};
}

// field(), shown by getAllConfigInfo as `info` (by default under its own name).
template <auto Parse, auto... Path>
constexpr ProgramKey shown_field(std::string_view name, std::string_view def, Stage stage, std::string_view info = {}) {
  ProgramKey k = field<Parse, Path...>(name, def, stage);
  k.info = info.empty() ? name : info;
  k.report = report_field<Path...>;
  return k;
}

template <auto Format, auto... Path>
InfoValue report_text(const ProcessConfig& p, const ProcessConfig* /*running*/) {
  return Format(field_of<Path...>(p));
}

// field(), shown under its own name as the text `Format` writes of it (the
// text `Parse` reads back to the same value).
template <auto Parse, auto Format, auto... Path>
constexpr ProgramKey text_field(std::string_view name, std::string_view def, Stage stage) {
  ProgramKey k = field<Parse, Path...>(name, def, stage);
  k.info = name;
  k.report = report_text<Format, Path...>;
  return k;
}

template <auto Parse, auto... Path>
Status load_group_field(ProgramScope& s, const Value& v) {
  return parse_into(v, Parse, field_of<Path...>(*s.group));
}

template <auto... Path>
bool same_group_field(const GroupConfig& a, const GroupConfig& b) {
  return field_of<Path...>(a) == field_of<Path...>(b);
}

// A key of the section's own group (Stage::Group) parsed into the GroupConfig member at `Path`.
template <auto Parse, auto... Path>
constexpr ProgramKey group_field(std::string_view name, std::string_view def) {
  return {.name = name,
          .default_text = def,
          .stage = Stage::Group,
          .load = load_group_field<Parse, Path...>,
          .same_group = same_group_field<Path...>};
}

// --- [program:x] keys with more to them than a field -----------------------------------------

Status load_killasgroup(ProgramScope& s, const Value& v) {
  s.killasgroup_pos = v.pos;
  if (!v.present) {  // follows stopasgroup, read just before
    s.process->killasgroup = s.process->stopasgroup;
    return ok_status();
  }
  return parse_into(v, parse_boolean, s.process->killasgroup);
}

Status load_numprocs(ProgramScope& s, const Value& v) {
  if (Status st = parse_into(v, parse_int, s.numprocs); !st) {
    return st;
  }
  if (s.numprocs > k_max_numprocs) {
    return error_at(v.pos, fmt::format("numprocs {} is too large (at most {})", s.numprocs, k_max_numprocs));
  }
  return ok_status();
}

Status load_numprocs_start(ProgramScope& s, const Value& v) {
  if (Status st = parse_into(v, parse_int, s.numprocs_start); !st) {
    return st;
  }
  if (s.numprocs > 0 && s.numprocs_start > INT_MAX - s.numprocs) {
    return error_at(v.pos, "numprocs_start + numprocs is too large");
  }
  return ok_status();
}

// process_num follows from numprocs_start (and the process's place among numprocs).
bool same_process_num(const ProcessConfig& a, const ProcessConfig& b) { return a.process_num == b.process_num; }

template <ChannelConfig ProcessConfig::*Channel>
Status load_capture_maxbytes(ProgramScope& s, const Value& v) {
  ChannelConfig& ch = s.process->*Channel;
  if (Status st = parse_into(v, parse_byte_size, ch.capture_maxbytes); !st) {
    return st;
  }
  if (s.kind == GroupConfig::Kind::EventListener) {
    ch.capture_maxbytes = 0;  // capture mode would corrupt the listener protocol; supervisord ignores it
  }
  return ok_status();
}

Status load_serverurl(ProgramScope& s, const Value& v) {
  s.process->serverurl = unicode::lower(unicode::strip(v.text)) == "auto" ? "" : v.text;
  return ok_status();
}

InfoValue report_serverurl(const ProcessConfig& p, const ProcessConfig* /*running*/) {
  return p.serverurl.empty() || p.serverurl == "AUTO" ? std::string("none") : p.serverurl;
}

Status load_user(ProgramScope& s, const Value& v) {
  if (Status st = parse_if_present(v, parse_uid, s.process->uid); !st) {
    return st;
  }
  if (v.present) {
    s.process->user = v.text;
  }
  return ok_status();
}

bool same_user(const ProcessConfig& a, const ProcessConfig& b) { return a.uid == b.uid && a.user == b.user; }

Status load_umask(ProgramScope& s, const Value& v) { return parse_if_present(v, parse_octal, s.process->umask); }

// Checked once per section; each process expands it with its own names (load_process_name).
Status load_process_name_template(ProgramScope& s, const Value& v) {
  if (Status st = parse_into(v, parse_name, s.process_name); !st) {
    return st;
  }
  s.process_name_pos = v.pos;
  if (s.numprocs > 1 && s.process_name.find("%(process_num)") == std::string::npos) {
    return error_at(v.pos, "%(process_num) must be present within process_name when numprocs > 1");
  }
  return ok_status();
}

Status load_process_name(ProgramScope& s, const Value& v) {
  Result<std::string> name = expand(s.process_name, s.names, "process_name");
  if (!name) {
    return error_at(s.process_name_pos, name.error());
  }
  Value expanded = v;
  expanded.text = std::move(*name);
  return parse_into(expanded, parse_name, s.process->name);
}

// Expanded per process under the name "environment" (as supervisord does); its
// variables become ENV_* names for the keys read after it.
Status load_environment(ProgramScope& s, const Value& v) {
  Result<std::string> text = expand(v.text, s.names, "environment");
  if (!text) {
    return error_at(v.pos, text.error());
  }
  Value expanded = v;
  expanded.text = std::move(*text);
  if (Status st = parse_into(expanded, parse_env, s.process->environment); !st) {
    return st;
  }
  for (const auto& [k, val] : s.process->environment) {
    s.names["ENV_" + k] = val;
  }
  return ok_status();
}

Status load_directory(ProgramScope& s, const Value& v) {
  if (v.present) {  // not checked: a bad one fails the spawn, as in supervisord
    s.process->directory = v.text;
  }
  return ok_status();
}

Status load_command(ProgramScope& s, const Value& v) {
  if (!v.present) {
    return error_at(v.pos, fmt::format("program section {} does not specify a command", s.section));
  }
  s.process->command = v.text;
  return ok_status();
}

constexpr std::string_view channel_name(ChannelConfig ProcessConfig::*channel) {
  return channel == &ProcessConfig::stdout_ch ? "stdout" : "stderr";
}

template <ChannelConfig ProcessConfig::*Channel>
Status load_logfile(ProgramScope& s, const Value& v) {
  s.logfile_pos = v.pos;
  return parse_into(
      v, [&](std::string_view text) { return parse_logfile(text, s.ctx.home); }, (s.process->*Channel).logfile);
}

// What supervisord shows: the path, the AUTO path once the running process has
// one, "auto" before that; "none" for no file, syslog, or stderr redirected.
template <ChannelConfig ProcessConfig::*Channel>
InfoValue report_logfile(const ProcessConfig& p, const ProcessConfig* running) {
  if (Channel == &ProcessConfig::stderr_ch && p.redirect_stderr) {
    return std::string("none");
  }
  const LogTarget& t = (p.*Channel).logfile;
  switch (t.kind) {
    case LogTarget::Kind::Path:
      return t.shown();
    case LogTarget::Kind::Auto:
      if (running != nullptr && !(running->*Channel).logfile.path.empty()) {
        return (running->*Channel).logfile.path;
      }
      return std::string("auto");
    default:
      return std::string("none");
  }
}

template <ChannelConfig ProcessConfig::*Channel>
InfoValue report_syslog(const ProcessConfig& p, const ProcessConfig* /*running*/) {
  const ChannelConfig& ch = p.*Channel;
  return to_info(ch.syslog || ch.logfile.kind == LogTarget::Kind::Syslog);
}

// The last key of a channel; settles what its keys say together, with
// supervisord's remarks (in its words, so without a file:line).
template <ChannelConfig ProcessConfig::*Channel>
Status load_syslog(ProgramScope& s, const Value& v) {
  ChannelConfig& c = s.process->*Channel;
  if (Status st = parse_into(v, parse_boolean, c.syslog); !st) {
    return st;
  }
  std::string_view ch = channel_name(Channel);
  std::vector<ConfigWarning>& warnings = s.ctx.cfg.warnings;
  if (c.logfile.kind == LogTarget::Kind::Syslog) {
    warnings.push_back({s.logfile_pos, "WARN",
                        fmt::format("For [{}], {}_logfile=syslog but this is deprecated and will be removed.  "
                                    "Use {}_syslog=true to enable syslog instead.",
                                    s.section, ch, ch)});
    c.logfile.kind = LogTarget::Kind::None;
    c.syslog = true;
  }
  if (c.logfile.kind == LogTarget::Kind::Auto && c.logfile_maxbytes == 0) {
    warnings.push_back({s.logfile_pos, "WARN",
                        fmt::format("For [{}], AUTO logging used for {}_logfile without rollover, set maxbytes > 0 "
                                    "to avoid filling up filesystem unintentionally",
                                    s.section, ch)});
  }
  if (Channel == &ProcessConfig::stderr_ch && s.process->redirect_stderr) {
    LogTarget::Kind k = c.logfile.kind;
    if (k != LogTarget::Kind::Auto && k != LogTarget::Kind::None) {
      warnings.push_back({section_pos(s.ctx, s.section), "WARN",
                          fmt::format("For [{}], redirect_stderr=true but stderr_logfile has also been set "
                                      "to a filename, the filename has been ignored",
                                      s.section)});
    }
    c.logfile = LogTarget{LogTarget::Kind::None, ""};
  }
  return ok_status();
}

// The keys of a channel, stdout or stderr, in supervisord's order: two read
// once per section, four per process.
template <ChannelConfig ProcessConfig::*Channel>
constexpr ProgramKey capture_maxbytes_key(std::string_view name) {
  return {.name = name,
          .default_text = "0",
          .load = load_capture_maxbytes<Channel>,
          .same_process = same_field<Channel, &ChannelConfig::capture_maxbytes>,
          .info = name,
          .report = report_field<Channel, &ChannelConfig::capture_maxbytes>};
}

template <ChannelConfig ProcessConfig::*Channel>
constexpr ProgramKey logfile_key(std::string_view name) {
  return {.name = name,
          .default_text = "AUTO",
          .stage = Stage::Process,
          .expand = Expand::Twice,
          .load = load_logfile<Channel>,
          .same_process = same_field<Channel, &ChannelConfig::logfile>,
          .info = name,
          .report = report_logfile<Channel>};
}

template <ChannelConfig ProcessConfig::*Channel>
constexpr ProgramKey syslog_key(std::string_view name) {
  return {.name = name,
          .default_text = "false",
          .stage = Stage::Process,
          .load = load_syslog<Channel>,
          .same_process = same_field<Channel, &ChannelConfig::syslog>,
          .info = name,
          .report = report_syslog<Channel>};
}

// tend: environment_file= (config/env_file.h), read per process so that a
// path can name %(process_num)d; envfiles= is the same key.
Status load_environment_file(ProgramScope& s, const Value& v) {
  return load_env_files(s.ctx, v, s.process->environment_file);
}

Status load_envfiles(ProgramScope& s, const Value& v) {
  if (Status st = check_envfiles_alias(s.ctx, v); !st || !v.present) {
    return st;
  }
  return load_environment_file(s, v);
}

constexpr auto k_stdout = &ProcessConfig::stdout_ch;
constexpr auto k_stderr = &ProcessConfig::stderr_ch;
constexpr Stage k_section = Stage::Section;
constexpr Stage k_process = Stage::Process;

// The keys every program-like section has, in supervisord's reading order.
constexpr auto k_program_keys = std::to_array<ProgramKey>({
    shown_field<parse_int, &ProcessConfig::priority>("priority", "999", k_section, "process_prio"),
    shown_field<parse_boolean, &ProcessConfig::autostart>("autostart", "true", k_section),
    field<parse_autorestart, &ProcessConfig::autorestart>("autorestart", "unexpected", k_section),
    shown_field<parse_int, &ProcessConfig::startsecs>("startsecs", "1", k_section),
    shown_field<parse_startretries, &ProcessConfig::startretries>("startretries", "3", k_section),
    shown_field<parse_signal, &ProcessConfig::stopsignal>("stopsignal", "TERM", k_section),
    shown_field<parse_int, &ProcessConfig::stopwaitsecs>("stopwaitsecs", "10", k_section),
    field<parse_boolean, &ProcessConfig::stopasgroup>("stopasgroup", "false", k_section),
    {.name = "killasgroup",
     .default_text = "false",  // as stopasgroup when absent
     .load = load_killasgroup,
     .same_process = same_field<&ProcessConfig::killasgroup>,
     .info = "killasgroup",
     .report = report_field<&ProcessConfig::killasgroup>},
    shown_field<parse_exitcodes, &ProcessConfig::exitcodes>("exitcodes", "0", k_section),
    shown_field<parse_boolean, &ProcessConfig::redirect_stderr>("redirect_stderr", "false", k_section),
    {.name = "numprocs", .default_text = "1", .load = load_numprocs},
    {.name = "numprocs_start", .default_text = "0", .load = load_numprocs_start, .same_process = same_process_num},
    capture_maxbytes_key<k_stdout>("stdout_capture_maxbytes"),
    shown_field<parse_boolean, k_stdout, &ChannelConfig::events_enabled>("stdout_events_enabled", "false", k_section),
    capture_maxbytes_key<k_stderr>("stderr_capture_maxbytes"),
    shown_field<parse_boolean, k_stderr, &ChannelConfig::events_enabled>("stderr_events_enabled", "false", k_section),
    {.name = "serverurl",
     .default_text = "AUTO",
     .load = load_serverurl,
     .same_process = same_field<&ProcessConfig::serverurl>,
     .info = "serverurl",
     .report = report_serverurl},
    {.name = "user",
     .load = load_user,
     .same_process = same_user,
     .info = "uid",
     .report = report_field<&ProcessConfig::uid>},
    {.name = "umask", .load = load_umask, .same_process = same_field<&ProcessConfig::umask>},
    {.name = "process_name",
     .default_text = "%(program_name)s",
     .expand = Expand::Raw,
     .load = load_process_name_template},
    // Per process, from here on.
    {.name = "environment",
     .stage = k_process,
     .expand = Expand::Raw,
     .load = load_environment,
     .same_process = same_field<&ProcessConfig::environment>},
    {.name = "directory",
     .stage = k_process,
     .load = load_directory,
     .same_process = same_field<&ProcessConfig::directory>,
     .info = "directory",
     .report = report_field<&ProcessConfig::directory>},
    logfile_key<k_stdout>("stdout_logfile"),
    shown_field<parse_int, k_stdout, &ChannelConfig::logfile_backups>("stdout_logfile_backups", "10", k_process),
    shown_field<parse_byte_size, k_stdout, &ChannelConfig::logfile_maxbytes>("stdout_logfile_maxbytes", "50MB",
                                                                             k_process),
    syslog_key<k_stdout>("stdout_syslog"),
    logfile_key<k_stderr>("stderr_logfile"),
    shown_field<parse_int, k_stderr, &ChannelConfig::logfile_backups>("stderr_logfile_backups", "10", k_process),
    shown_field<parse_byte_size, k_stderr, &ChannelConfig::logfile_maxbytes>("stderr_logfile_maxbytes", "50MB",
                                                                             k_process),
    syslog_key<k_stderr>("stderr_syslog"),
    {.name = "command",
     .stage = k_process,
     .load = load_command,
     .same_process = same_field<&ProcessConfig::command>,
     .info = "command",
     .report = report_field<&ProcessConfig::command>},
    {.name = "process_name",
     .default_text = "%(program_name)s",
     .stage = k_process,
     .expand = Expand::Raw,
     .load = load_process_name,
     .same_process = same_field<&ProcessConfig::name>,
     .info = "name",
     .report = report_field<&ProcessConfig::name>},
    // tend's keys, after supervisord's: a file with several errors reports
    // supervisord's first. Not ENV_* names for the keys above. Not shown by
    // tend.getAllConfigInfo: the variables read are kept, not the paths.
    {.name = "environment_file",
     .stage = k_process,
     .load = load_environment_file,
     .same_process = same_field<&ProcessConfig::environment_file>},
    {.name = "envfiles", .stage = k_process, .load = load_envfiles},
});

// --- restart policy (tend; docs/config.md) -----------------------------------------------------

// Every program-like section reads them, after supervisord's keys (so a file
// with several errors reports supervisord's first). 0 keeps supervisord's
// behaviour.
constexpr auto k_restart_policy_keys = std::to_array<ProgramKey>({
    shown_field<parse_seconds, &ProcessConfig::backoff_max>("backoff_max", "0", k_section),
    shown_field<parse_seconds, &ProcessConfig::backoff_reset>("backoff_reset", "60", k_section),
    shown_field<parse_seconds, &ProcessConfig::restartpause>("restartpause", "0", k_section),
});

// --- start order, readiness and health (tend; docs/config.md) ----------------------------------

// Read after ready=, which it needs (both per process).
Status load_watchdog_sec(ProgramScope& s, const Value& v) {
  if (Status st = parse_into(v, parse_seconds, s.process->watchdog_sec); !st) {
    return st;
  }
  if (s.process->watchdog_sec > 0 && s.process->ready.kind != ProbeSpec::Kind::Notify) {
    return error_at(v.pos, fmt::format("[{}] sets watchdog_sec without ready = notify: the watchdog is fed by "
                                       "WATCHDOG=1 messages on the sd_notify socket",
                                       s.section));
  }
  return ok_status();
}

// tend's keys of [program:x] and [fcgi-program:x]. ready= and healthcheck=
// are read per process, so that a probe can name %(process_num)d's own port.
constexpr auto k_start_order_keys = std::to_array<ProgramKey>({
    text_field<parse_depends_on, format_depends_on, &ProcessConfig::depends_on>("depends_on", "", k_section),
    text_field<parse_ready_check, format_probe, &ProcessConfig::ready>("ready", "running", k_process),
    shown_field<parse_positive_seconds, &ProcessConfig::ready_timeout>("ready_timeout", "60", k_section),
    shown_field<parse_interval, &ProcessConfig::ready_interval>("ready_interval", "0.1", k_section),
    {.name = "watchdog_sec",
     .default_text = "0",
     .stage = k_process,
     .load = load_watchdog_sec,
     .same_process = same_field<&ProcessConfig::watchdog_sec>,
     .info = "watchdog_sec",
     .report = report_field<&ProcessConfig::watchdog_sec>},
    text_field<parse_health_check, format_probe, &ProcessConfig::healthcheck>("healthcheck", "", k_process),
    shown_field<parse_interval, &ProcessConfig::healthcheck_interval>("healthcheck_interval", "10", k_section),
    shown_field<parse_positive_seconds, &ProcessConfig::healthcheck_timeout>("healthcheck_timeout", "5", k_section),
    shown_field<parse_count, &ProcessConfig::healthcheck_retries>("healthcheck_retries", "3", k_section),
    shown_field<parse_seconds, &ProcessConfig::healthcheck_start_period>("healthcheck_start_period", "0", k_section),
    text_field<parse_health_action, format_health_action, &ProcessConfig::healthcheck_action>("healthcheck_action",
                                                                                               "restart", k_section),
});

// --- lifecycle policies (tend; docs/config.md) -------------------------------------------------

// A one-shot program runs to completion; what decides when a long-running
// program has started or is healthy has nothing to act on. Read per process,
// after ready= and healthcheck=.
Status check_oneshot(ProgramScope& s, const Value& v) {
  const ProcessConfig& p = *s.process;
  std::string_view why;
  if (p.autorestart == AutoRestart::Always) {
    why = "autorestart = true";
  } else if (p.ready.kind != ProbeSpec::Kind::Running && p.ready.kind != ProbeSpec::Kind::None) {
    why = "ready";
  } else if (p.healthcheck.kind != ProbeSpec::Kind::None) {
    why = "healthcheck";
  }
  if (why.empty()) {
    return ok_status();
  }
  return error_at(v.pos, fmt::format("[{}] sets {} with {}: a one-shot program runs to completion once (its exit "
                                     "code decides success), so it cannot be restarted, readied or health-checked",
                                     s.section, v.key, why));
}

Status load_oneshot(ProgramScope& s, const Value& v) {
  if (Status st = parse_into(v, parse_boolean, s.process->oneshot); !st) {
    return st;
  }
  return s.process->oneshot ? check_oneshot(s, v) : ok_status();
}

// A scheduled program is a one-shot job started at each matching time;
// autostart defaults to false for it.
Status load_schedule(ProgramScope& s, const Value& v) {
  std::string text(unicode::strip(v.text));
  if (text.empty()) {
    s.process->schedule.clear();
    return ok_status();
  }
  if (Result<sched::Schedule> parsed = sched::parse_schedule(text); !parsed) {
    return error_at(v.pos, fmt::format("invalid value for 'schedule' in [{}]: {}", s.section, parsed.error()));
  }
  s.process->schedule = std::move(text);
  if (!s.process->oneshot) {
    if (const IniValue* own = own_value(s.ctx, s.section, "oneshot"); own != nullptr) {
      return error_at(key_pos(s.ctx, s.section, "oneshot"),
                      fmt::format("[{}] sets oneshot = false with schedule: a scheduled program runs as a one-shot "
                                  "job at each matching time",
                                  s.section));
    }
    s.process->oneshot = true;
    if (Status st = check_oneshot(s, v); !st) {
      return st;
    }
  }
  if (own_value(s.ctx, s.section, "autostart") == nullptr) {
    s.process->autostart = false;
  }
  return ok_status();
}

// [program:x] and [fcgi-program:x]; [eventlistener:x] refuses them.
constexpr auto k_lifecycle_keys = std::to_array<ProgramKey>({
    shown_field<parse_boolean, &ProcessConfig::critical>("critical", "false", k_section),
    {.name = "oneshot",
     .default_text = "false",
     .stage = k_process,
     .load = load_oneshot,
     .same_process = same_field<&ProcessConfig::oneshot>,
     .info = "oneshot",
     .report = report_field<&ProcessConfig::oneshot>},
    {.name = "schedule",
     .stage = k_process,
     .load = load_schedule,
     .same_process = same_field<&ProcessConfig::schedule>,
     .info = "schedule",
     .report = report_field<&ProcessConfig::schedule>},
});

// --- resource limits (tend; docs/config.md) ---------------------------------------------------

template <size_t I>
Status load_rlimit(ProgramScope& s, const Value& v) {
  return parse_into(
      v, [](std::string_view text) { return parse_rlimit(text, k_rlimit_kinds[I]); },
      s.process->rlimits.*k_rlimit_kinds[I].member);
}

template <size_t I>
bool same_rlimit(const ProcessConfig& a, const ProcessConfig& b) {
  constexpr auto member = k_rlimit_kinds[I].member;
  return a.rlimits.*member == b.rlimits.*member;
}

// As the key would be written ("1024:4096", "unlimited"); "" when absent.
template <size_t I>
InfoValue report_rlimit(const ProcessConfig& p, const ProcessConfig* /*running*/) {
  const std::optional<ResourceLimit>& limit = p.rlimits.*k_rlimit_kinds[I].member;
  return limit ? format_rlimit(*limit) : std::string();
}

template <size_t... I>
constexpr std::array<ProgramKey, sizeof...(I)> make_rlimit_keys(std::index_sequence<I...> /*indexes*/) {
  return {{ProgramKey{.name = k_rlimit_kinds[I].key,
                      .load = load_rlimit<I>,
                      .same_process = same_rlimit<I>,
                      .info = k_rlimit_kinds[I].key,
                      .report = report_rlimit<I>}...}};
}

// Every program-like section has them, [eventlistener:x] included; absent,
// the program keeps tend's limits.
constexpr auto k_rlimit_keys = make_rlimit_keys(std::make_index_sequence<k_rlimit_kinds.size()>{});

// --- [eventlistener:x] -------------------------------------------------------------------------

Status load_buffer_size(ProgramScope& s, const Value& v) {
  if (Status st = parse_into(v, parse_int, s.process->buffer_size); !st) {
    return st;
  }
  if (s.process->buffer_size < 1) {
    return error_at(v.pos,
                    fmt::format("[{}] section sets invalid buffer_size ({})", s.section, s.process->buffer_size));
  }
  return ok_status();
}

// The result handlers tend has built in, as `module:attr`. supervisord imports
// any Python callable; tend runs no Python, so any other one is refused the way
// supervisord refuses one it cannot import.
constexpr std::string_view k_result_handlers[] = {"supervisor.dispatchers:default_handler",
                                                  "supervisor_stdout:event_handler"};

// `module:attr` of a Python entry point spec ("module : attr [extras]", as
// pkg_resources reads it), or "" when the text is not one.
std::string entry_point_name(std::string_view spec) {
  auto is_word = [](char c) {
    return c == '.' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  };
  std::string_view rest = unicode::strip(spec);
  if (size_t bracket = rest.find('['); bracket != std::string_view::npos && rest.back() == ']') {
    rest = unicode::rstrip(rest.substr(0, bracket));
  }
  size_t colon = rest.find(':');
  std::string_view module = unicode::rstrip(rest.substr(0, colon));
  std::string_view attr = colon == std::string_view::npos ? std::string_view() : unicode::lstrip(rest.substr(colon + 1));
  if (module.empty() || attr.empty() || !std::all_of(module.begin(), module.end(), is_word) ||
      !std::all_of(attr.begin(), attr.end(), is_word)) {
    return "";
  }
  return fmt::format("{}:{}", module, attr);
}

Status load_result_handler(ProgramScope& s, const Value& v) {
  std::string name = entry_point_name(v.text);
  if (std::find(std::begin(k_result_handlers), std::end(k_result_handlers), name) == std::end(k_result_handlers)) {
    return error_at(v.pos, fmt::format("{} cannot be resolved within [{}] (tend runs no Python; the result handlers "
                                       "it has built in are {})",
                                       v.text, s.section, fmt::join(k_result_handlers, " and ")));
  }
  s.group->result_handler = name;
  return ok_status();
}

// supervisord upper-cases each name and refuses an unknown one, the empty
// name of a stray comma included.
Status load_events(ProgramScope& s, const Value& v) {
  std::vector<std::string>& events = s.process->events;
  for (const std::string& e : parse_list_of_strings(v.text)) {
    std::string up = upper_event_name(e);
    if (std::find(events.begin(), events.end(), up) == events.end()) {
      events.push_back(up);
    }
  }
  if (events.empty()) {
    return error_at(v.pos, fmt::format("[{}] section requires an \"events\" line", s.section));
  }
  for (const std::string& e : events) {
    if (!find_event_type(e)) {
      return error_at(v.pos, fmt::format("Unknown event type {} in [{}] events", e, s.section));
    }
  }
  return ok_status();
}

Status check_listener_redirect(ProgramScope& s, const Value& v) {
  bool redirect = false;
  if (Status st = parse_into(v, parse_boolean, redirect); !st) {
    return st;
  }
  if (redirect) {
    return error_at(v.pos, fmt::format("[{}] section sets redirect_stderr=true but this is not allowed because it "
                                       "will interfere with the eventlistener protocol",
                                       s.section));
  }
  return ok_status();
}

// Event listeners take no part in the start order: they start before the
// programs and stop after them (priority -1) so that they see every program's
// events, and their readiness is the protocol's READY. Set in a listener's own
// section, a start-order key is an error; from [DEFAULT] it does not apply.
Status refuse_in_listener(ProgramScope& s, const Value& v) {
  if (own_value(s.ctx, s.section, v.key) == nullptr) {
    return ok_status();
  }
  return error_at(v.pos, fmt::format("{} is not available in [{}]: event listeners take no part in the start "
                                     "order (they start before the programs and stop after them)",
                                     v.key, s.section));
}

// Likewise for the lifecycle keys: a listener serves events for as long as tend runs.
Status refuse_lifecycle_in_listener(ProgramScope& s, const Value& v) {
  if (own_value(s.ctx, s.section, v.key) == nullptr) {
    return ok_status();
  }
  return error_at(v.pos, fmt::format("{} is not available in [{}]: an event listener serves events for as long as "
                                     "tend runs",
                                     v.key, s.section));
}

constexpr auto k_listener_refused = [] {
  std::array<ProgramKey, k_start_order_keys.size() + k_lifecycle_keys.size()> out{};
  for (size_t i = 0; i < k_start_order_keys.size(); ++i) {
    out[i] = {.name = k_start_order_keys[i].name,
              .stage = Stage::Group,
              .expand = Expand::Raw,
              .load = refuse_in_listener};
  }
  for (size_t i = 0; i < k_lifecycle_keys.size(); ++i) {
    out[k_start_order_keys.size() + i] = {.name = k_lifecycle_keys[i].name,
                                          .stage = Stage::Group,
                                          .expand = Expand::Raw,
                                          .load = refuse_lifecycle_in_listener};
  }
  return out;
}();

constexpr auto k_program_head = std::to_array<ProgramKey>({
    group_field<parse_int, &GroupConfig::priority>("priority", "999"),
});

constexpr auto k_listener_head = std::to_array<ProgramKey>({
    group_field<parse_int, &GroupConfig::priority>("priority", "-1"),
    {.name = "buffer_size",
     .default_text = "10",
     .stage = Stage::Group,
     .load = load_buffer_size,
     .same_process = same_field<&ProcessConfig::buffer_size>},
    {.name = "result_handler",
     .default_text = "supervisor.dispatchers:default_handler",
     .stage = Stage::Group,
     .load = load_result_handler,
     .same_group = same_group_field<&GroupConfig::result_handler>},
    {.name = "events", .stage = Stage::Group, .load = load_events, .same_process = same_field<&ProcessConfig::events>},
    // Compared as a program key; here it is only refused.
    {.name = "redirect_stderr", .default_text = "false", .stage = Stage::Group, .load = check_listener_redirect},
});

// --- [fcgi-program:x] --------------------------------------------------------------------------

Result<GroupConfig::FcgiSocket> parse_fcgi_socket(const Value& sock, const ProgramScope& s) {
  GroupConfig::FcgiSocket out;
  out.backlog = s.fcgi_backlog;
  auto fail = [&](const std::string& what) {
    return error_at(sock.pos, fmt::format("{} in [{}] socket", what, sock.section));
  };
  if (sock.text.rfind("unix://", 0) == 0) {
    std::string path = sock.text.substr(7);
    if (path.empty() || path[0] != '/') {
      return fail(fmt::format("Unix socket path {} is not an absolute path", path));
    }
    out.url = "unix://" + normalize_path(path);
    if (s.fcgi_owner) {
      out.owner_uid = s.fcgi_owner->first;
      out.owner_gid = s.fcgi_owner->second;
    } else if (s.fcgi_user && *s.fcgi_user != ::getuid()) {
      out.owner_uid = *s.fcgi_user;
      if (std::optional<UserEntry> pw = find_user(*s.fcgi_user)) {
        out.owner_gid = pw->gid;
      }
    }
    out.mode = s.fcgi_mode.value_or(0700);
    return out;
  }
  if (s.fcgi_owner || s.fcgi_mode) {
    return fail("socket_owner and socket_mode params should only be used with a Unix domain socket");
  }
  // tcp://<host without ':' or spaces>:<digits>
  if (sock.text.rfind("tcp://", 0) == 0) {
    std::string_view rest = std::string_view(sock.text).substr(6);
    size_t colon = rest.find(':');
    std::string_view host = rest.substr(0, colon);
    std::string_view port = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    bool ok = !host.empty() && !port.empty() && port.find_first_not_of("0123456789") == std::string_view::npos;
    for (size_t i = 0; ok && i < host.size();) {
      char32_t cp = 0;
      size_t n = unicode::decode(host, i, &cp);
      ok = n == 0 || !unicode::is_space(cp);
      i += n == 0 ? 1 : n;
    }
    if (ok) {
      Result<std::pair<std::string, int>> addr = parse_inet_address(port);
      if (!addr) {
        return fail(addr.error());
      }
      out.url = fmt::format("tcp://{}:{}", unicode::lower(host), addr->second);
      return out;
    }
  }
  return fail(fmt::format("Bad socket format {}", sock.text));
}

Status load_fcgi_user(ProgramScope& s, const Value& v) { return parse_if_present(v, parse_uid, s.fcgi_user); }

Status load_socket_backlog(ProgramScope& s, const Value& v) {
  if (!v.present) {
    return ok_status();
  }
  Result<int> b = parse_int(v.text);
  if (!b || *b < 1 || *b > 65535) {
    return error_at(v.pos, fmt::format("Invalid socket_backlog value {}", v.text));
  }
  s.fcgi_backlog = *b;
  return ok_status();
}

Status load_socket_owner(ProgramScope& s, const Value& v) {
  if (!v.present) {
    return ok_status();
  }
  auto ug = parse_user_group(v.text);
  if (!ug) {
    return error_at(v.pos, fmt::format("Invalid socket_owner value {}", v.text));
  }
  s.fcgi_owner = *ug;
  return ok_status();
}

Status load_socket_mode(ProgramScope& s, const Value& v) {
  if (!v.present) {
    return ok_status();
  }
  Result<mode_t> m = parse_octal(v.text);
  if (!m) {
    return error_at(v.pos, fmt::format("Invalid socket_mode value {}", v.text));
  }
  s.fcgi_mode = *m;
  return ok_status();
}

// Read last of the socket keys: builds the socket from all of them.
Status load_socket(ProgramScope& s, const Value& raw) {
  Expansions names = with_names(s.ctx.environ_expansions, {{"here", s.ctx.cfg.here}, {"program_name", s.group->name}});
  Result<std::string> text = expand(raw.text, names, s.section + ".socket");
  if (!text) {
    return error_at(raw.pos, text.error());
  }
  Value v = raw;
  v.text = std::move(*text);
  if (v.text.empty()) {
    return error_at(v.pos, fmt::format("[{}] section requires a \"socket\" line", s.section));
  }
  Result<GroupConfig::FcgiSocket> sock = parse_fcgi_socket(v, s);
  if (!sock) {
    return Error{sock.error()};
  }
  s.group->fcgi_socket = std::move(*sock);
  return ok_status();
}

// One member of the socket, compared whether or not there is a socket.
template <auto Member>
bool same_socket(const GroupConfig& a, const GroupConfig& b) {
  if (!a.fcgi_socket || !b.fcgi_socket) {
    return a.fcgi_socket.has_value() == b.fcgi_socket.has_value();
  }
  return (*a.fcgi_socket).*Member == (*b.fcgi_socket).*Member;
}

bool same_socket_owner(const GroupConfig& a, const GroupConfig& b) {
  return same_socket<&GroupConfig::FcgiSocket::owner_uid>(a, b) &&
         same_socket<&GroupConfig::FcgiSocket::owner_gid>(a, b);
}

constexpr auto k_fcgi_head = std::to_array<ProgramKey>({
    group_field<parse_int, &GroupConfig::priority>("priority", "999"),
    // The socket's default owner; compared as a program key.
    {.name = "user", .stage = Stage::Group, .load = load_fcgi_user},
    {.name = "socket_backlog",
     .stage = Stage::Group,
     .load = load_socket_backlog,
     .same_group = same_socket<&GroupConfig::FcgiSocket::backlog>},
    {.name = "socket_owner", .stage = Stage::Group, .load = load_socket_owner, .same_group = same_socket_owner},
    {.name = "socket_mode",
     .stage = Stage::Group,
     .load = load_socket_mode,
     .same_group = same_socket<&GroupConfig::FcgiSocket::mode>},
    {.name = "socket",
     .stage = Stage::Group,
     .expand = Expand::Raw,
     .load = load_socket,
     .same_group = same_socket<&GroupConfig::FcgiSocket::url>},
});

// --- [group:x] ---------------------------------------------------------------------------------

// Kept for the loader, which reads the member sections once priority is read too.
Status load_programs(ProgramScope& s, const Value& v) {
  s.programs = v;
  return ok_status();
}

constexpr auto k_group_keys = std::to_array<ProgramKey>({
    {.name = "programs", .stage = Stage::Group, .load = load_programs},
    group_field<parse_int, &GroupConfig::priority>("priority", "999"),
});

// --- the section tables ------------------------------------------------------------------------

template <size_t N, size_t M>
constexpr std::array<ProgramKey, N + M> concat(const std::array<ProgramKey, N>& a, const std::array<ProgramKey, M>& b) {
  std::array<ProgramKey, N + M> out{};
  std::copy(a.begin(), a.end(), out.begin());
  std::copy(b.begin(), b.end(), out.begin() + N);
  return out;
}

constexpr auto k_program_section =
    concat(concat(concat(concat(concat(k_program_head, k_program_keys), k_restart_policy_keys), k_rlimit_keys),
                  k_start_order_keys),
           k_lifecycle_keys);
constexpr auto k_listener_section =
    concat(concat(concat(concat(k_listener_head, k_listener_refused), k_program_keys), k_restart_policy_keys),
           k_rlimit_keys);
constexpr auto k_fcgi_section =
    concat(concat(concat(concat(concat(k_fcgi_head, k_program_keys), k_restart_policy_keys), k_rlimit_keys),
                  k_start_order_keys),
           k_lifecycle_keys);
// The refusals of k_listener_refused compare and show nothing: not needed here.
constexpr auto k_all =
    concat(concat(concat(concat(concat(concat(concat(k_program_keys, k_restart_policy_keys), k_rlimit_keys),
                                       k_start_order_keys),
                                k_lifecycle_keys),
                         k_program_head),
                  concat(k_listener_head, k_fcgi_head)),
           k_group_keys);

}  // namespace

std::span<const ProgramKey> program_section_keys() { return k_program_section; }
std::span<const ProgramKey> eventlistener_section_keys() { return k_listener_section; }
std::span<const ProgramKey> fcgi_program_section_keys() { return k_fcgi_section; }
std::span<const ProgramKey> group_section_keys() { return k_group_keys; }
std::span<const ProgramKey> all_program_like_keys() { return k_all; }

}  // namespace tend
