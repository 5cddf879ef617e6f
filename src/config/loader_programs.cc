// The program-like sections: [group:x], [program:x], [eventlistener:x] and
// [fcgi-program:x], turned into GroupConfig/ProcessConfig. The order in which
// keys are read and checked follows supervisord, so the first error reported
// is the one supervisord would report.
#include <unistd.h>

#include <algorithm>
#include <set>

#include "util/passwd.h"
#include "config/datatypes.h"
#include "config/loader_internal.h"
#include "config/unicode.h"

namespace tend::config_detail {

namespace {

constexpr int k_max_numprocs = 100000;

const char* const k_event_types[] = {
    "EVENT", "PROCESS_COMMUNICATION", "PROCESS_COMMUNICATION_STDERR", "PROCESS_COMMUNICATION_STDOUT",
    "PROCESS_GROUP", "PROCESS_GROUP_ADDED", "PROCESS_GROUP_REMOVED", "PROCESS_LOG", "PROCESS_LOG_STDERR",
    "PROCESS_LOG_STDOUT", "PROCESS_STATE", "PROCESS_STATE_BACKOFF", "PROCESS_STATE_EXITED",
    "PROCESS_STATE_FATAL", "PROCESS_STATE_RUNNING", "PROCESS_STATE_STARTING", "PROCESS_STATE_STOPPED",
    "PROCESS_STATE_STOPPING", "PROCESS_STATE_UNKNOWN", "REMOTE_COMMUNICATION", "SUPERVISOR_STATE_CHANGE",
    "SUPERVISOR_STATE_CHANGE_RUNNING", "SUPERVISOR_STATE_CHANGE_STOPPING", "TICK", "TICK_3600", "TICK_5",
    "TICK_60"};

std::string after_colon(const std::string& section) { return section.substr(section.find(':') + 1); }

Result<std::string> section_name(const LoadContext& ctx, const std::string& section) {
  Result<std::string> n = parse_name(after_colon(section));
  if (!n) {
    return error_at(section_pos(ctx, section), fmt::format("invalid section name [{}]: {}", section, n.error()));
  }
  return n;
}

// The two output channels of one process (supervisor's per-process logfile keys).
Status load_channels(LoadContext& ctx, const std::string& section, const Expansions& names, bool redirect_stderr,
                     ProcessConfig& p) {
  for (const char* ch : {"stdout", "stderr"}) {
    ChannelConfig& c = std::string_view(ch) == "stdout" ? p.stdout_ch : p.stderr_ch;
    std::string lf_key = fmt::format("{}_logfile", ch);
    Value v;
    TRY_ASSIGN(v, get_value(ctx, section, lf_key, "AUTO", names));
    if (v.present) {  // supervisord expands logfile names a second time
      Result<std::string> again = expand(v.text, names, lf_key);
      if (!again) {
        return error_at(v.pos, again.error());
      }
      v.text = std::move(*again);
    }
    TRY_ASSIGN(c.logfile, convert(v, [&](std::string_view s) { return parse_logfile(s, ctx.home); }));
    const SourcePos lf_pos = v.pos;
    TRY_ASSIGN(v, get_value(ctx, section, fmt::format("{}_logfile_backups", ch), "10", names));
    TRY_ASSIGN(c.logfile_backups, convert(v, parse_int));
    TRY_ASSIGN(v, get_value(ctx, section, fmt::format("{}_logfile_maxbytes", ch), "50MB", names));
    TRY_ASSIGN(c.logfile_maxbytes, convert(v, parse_byte_size));
    TRY_ASSIGN(v, get_value(ctx, section, fmt::format("{}_syslog", ch), "false", names));
    TRY_ASSIGN(c.syslog, convert(v, parse_boolean));
    if (c.logfile.kind == LogTarget::Kind::Syslog) {
      ctx.cfg.warnings.push_back({lf_pos, "WARN",
                                  fmt::format("For [{}], {}=syslog but this is deprecated and will be removed.  "
                                              "Use {}_syslog=true to enable syslog instead.",
                                              section, lf_key, ch)});
      c.logfile.kind = LogTarget::Kind::None;
      c.syslog = true;
    }
    if (c.logfile.kind == LogTarget::Kind::Auto && c.logfile_maxbytes == 0) {
      ctx.cfg.warnings.push_back({lf_pos, "WARN",
                                  fmt::format("For [{}], AUTO logging used for {} without rollover, set maxbytes > 0 "
                                              "to avoid filling up filesystem unintentionally",
                                              section, lf_key)});
    }
  }
  if (redirect_stderr) {
    LogTarget::Kind k = p.stderr_ch.logfile.kind;
    if (k != LogTarget::Kind::Auto && k != LogTarget::Kind::None) {
      ctx.cfg.warnings.push_back({section_pos(ctx, section), "WARN",
                                  fmt::format("For [{}], redirect_stderr=true but stderr_logfile has also been set "
                                              "to a filename, the filename has been ignored",
                                              section)});
    }
    p.stderr_ch.logfile = LogTarget{LogTarget::Kind::None, ""};
  }
  return ok_status();
}

Result<std::vector<ProcessConfig>> processes_from_section(LoadContext& ctx, const std::string& section,
                                                          const std::string& group_name, GroupConfig::Kind kind) {
  std::string program_name;
  TRY_ASSIGN(program_name, section_name(ctx, section));
  // One mutable set of names, as in supervisord: per-process names added in
  // the loop stay visible to the keys read after them.
  Expansions names = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here},
                                                         {"program_name", program_name},
                                                         {"host_node_name", ctx.host_node_name},
                                                         {"group_name", group_name}});
  auto get = [&](const char* key, std::string_view def, bool do_expand = true) {
    return get_value(ctx, section, key, def, names, do_expand);
  };
  ProcessConfig base;
  base.group = group_name;
  base.program = program_name;
  base.pos = section_pos(ctx, section);
  Value v;
  TRY_ASSIGN(v, get("priority", "999"));
  TRY_ASSIGN(base.priority, convert(v, parse_int));
  TRY_ASSIGN(v, get("autostart", "true"));
  TRY_ASSIGN(base.autostart, convert(v, parse_boolean));
  TRY_ASSIGN(v, get("autorestart", "unexpected"));
  TRY_ASSIGN(base.autorestart, convert(v, parse_autorestart));
  TRY_ASSIGN(v, get("startsecs", "1"));
  TRY_ASSIGN(base.startsecs, convert(v, parse_int));
  TRY_ASSIGN(v, get("startretries", "3"));
  TRY_ASSIGN(base.startretries, convert(v, parse_int));
  TRY_ASSIGN(v, get("stopsignal", "TERM"));
  TRY_ASSIGN(base.stopsignal, convert(v, parse_signal));
  TRY_ASSIGN(v, get("stopwaitsecs", "10"));
  TRY_ASSIGN(base.stopwaitsecs, convert(v, parse_int));
  TRY_ASSIGN(v, get("stopasgroup", "false"));
  TRY_ASSIGN(base.stopasgroup, convert(v, parse_boolean));
  TRY_ASSIGN(v, get("killasgroup", base.stopasgroup ? "true" : "false"));
  TRY_ASSIGN(base.killasgroup, convert(v, parse_boolean));
  const SourcePos killasgroup_pos = v.pos;
  TRY_ASSIGN(v, get("exitcodes", "0"));
  TRY_ASSIGN(base.exitcodes, convert(v, parse_exitcodes));
  TRY_ASSIGN(v, get("redirect_stderr", "false"));
  TRY_ASSIGN(base.redirect_stderr, convert(v, parse_boolean));
  int numprocs = 1;
  TRY_ASSIGN(v, get("numprocs", "1"));
  TRY_ASSIGN(numprocs, convert(v, parse_int));
  if (numprocs > k_max_numprocs) {
    return error_at(v.pos, fmt::format("numprocs {} is too large (at most {})", numprocs, k_max_numprocs));
  }
  int numprocs_start = 0;
  TRY_ASSIGN(v, get("numprocs_start", "0"));
  TRY_ASSIGN(numprocs_start, convert(v, parse_int));
  if (numprocs > 0 && numprocs_start > INT32_MAX - numprocs) {
    return error_at(v.pos, "numprocs_start + numprocs is too large");
  }
  Value env_raw;
  TRY_ASSIGN(env_raw, get("environment", "", false));
  bool is_listener = kind == GroupConfig::Kind::EventListener;
  TRY_ASSIGN(v, get("stdout_capture_maxbytes", "0"));
  TRY_ASSIGN(base.stdout_ch.capture_maxbytes, convert(v, parse_byte_size));
  TRY_ASSIGN(v, get("stdout_events_enabled", "false"));
  TRY_ASSIGN(base.stdout_ch.events_enabled, convert(v, parse_boolean));
  TRY_ASSIGN(v, get("stderr_capture_maxbytes", "0"));
  TRY_ASSIGN(base.stderr_ch.capture_maxbytes, convert(v, parse_byte_size));
  TRY_ASSIGN(v, get("stderr_events_enabled", "false"));
  TRY_ASSIGN(base.stderr_ch.events_enabled, convert(v, parse_boolean));
  if (is_listener) {  // capture mode would corrupt the listener protocol; supervisord ignores it
    base.stdout_ch.capture_maxbytes = base.stderr_ch.capture_maxbytes = 0;
  }
  TRY_ASSIGN(v, get("serverurl", ""));
  base.serverurl = unicode::lower(unicode::strip(v.text)) == "auto" ? "" : v.text;
  TRY_ASSIGN(v, get("user", ""));
  if (v.present) {
    TRY_ASSIGN(base.uid, convert(v, parse_uid));
    base.user = v.text;
  }
  TRY_ASSIGN(v, get("umask", ""));
  if (v.present) {
    TRY_ASSIGN(base.umask, convert(v, parse_octal));
  }
  Value pname;
  TRY_ASSIGN(pname, get("process_name", "%(program_name)s", false));
  std::string process_name;
  TRY_ASSIGN(process_name, convert(pname, parse_name));
  if (numprocs > 1 && process_name.find("%(process_num)") == std::string::npos) {
    return error_at(pname.pos, "%(process_num) must be present within process_name when numprocs > 1");
  }
  if (base.stopasgroup && !base.killasgroup) {
    return error_at(killasgroup_pos, "Cannot set stopasgroup=true and killasgroup=false");
  }
  std::vector<ProcessConfig> out;
  for (int num = numprocs_start; num < numprocs_start + numprocs; ++num) {
    ProcessConfig p = base;
    p.process_num = num;
    names["process_num"] = int64_t{num};
    names["numprocs"] = int64_t{numprocs};
    for (const auto& [k, val] : ctx.environ_expansions) {
      names[k] = val;
    }
    Result<std::string> env_text = expand(env_raw.text, names, "environment");
    if (!env_text) {
      return error_at(env_raw.pos, env_text.error());
    }
    Value env_v = env_raw;
    env_v.text = std::move(*env_text);
    TRY_ASSIGN(p.environment, convert(env_v, parse_env));
    for (const auto& [k, val] : p.environment) {
      names["ENV_" + k] = val;
    }
    TRY_ASSIGN(v, get("directory", ""));
    if (v.present) {
      p.directory = v.text;
    }
    if (Status s = load_channels(ctx, section, names, p.redirect_stderr, p); !s) {
      return Error{s.error()};
    }
    TRY_ASSIGN(v, get("command", ""));
    if (!v.present) {
      return error_at(v.pos, fmt::format("program section {} does not specify a command", section));
    }
    p.command = v.text;
    Result<std::string> name = expand(process_name, names, "process_name");
    if (!name) {
      return error_at(pname.pos, name.error());
    }
    Value name_v = pname;
    name_v.text = std::move(*name);
    TRY_ASSIGN(p.name, convert(name_v, parse_name));
    out.push_back(std::move(p));
  }
  return out;
}

bool has(const LoadContext& ctx, const std::string& s) { return ctx.doc.has_section(s); }

Result<GroupConfig> load_group_section(LoadContext& ctx, const std::string& section, std::set<std::string>& excluded) {
  const Expansions names = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}});
  GroupConfig g;
  g.kind = GroupConfig::Kind::Group;
  g.pos = section_pos(ctx, section);
  TRY_ASSIGN(g.name, section_name(ctx, section));
  Value programs;
  TRY_ASSIGN(programs, get_value(ctx, section, "programs", "", names));
  Value v;
  TRY_ASSIGN(v, get_value(ctx, section, "priority", "999", names));
  TRY_ASSIGN(g.priority, convert(v, parse_int));
  for (const std::string& prog : parse_list_of_strings(programs.text)) {
    std::string psec = "program:" + prog;
    std::string fsec = "fcgi-program:" + prog;
    if (!has(ctx, psec) && !has(ctx, fsec)) {
      return error_at(programs.pos, fmt::format("[{}] names unknown program or fcgi-program {}", section, prog));
    }
    if (has(ctx, psec) && has(ctx, fsec)) {
      return error_at(programs.pos,
                      fmt::format("[{}] name {} is ambiguous (exists as program and fcgi-program)", section, prog));
    }
    std::string member = has(ctx, psec) ? psec : fsec;
    excluded.insert(member);
    std::vector<ProcessConfig> procs;
    TRY_ASSIGN(procs, processes_from_section(ctx, member, g.name, GroupConfig::Kind::Program));
    g.processes.insert(g.processes.end(), procs.begin(), procs.end());
  }
  return g;
}

Result<GroupConfig> load_listener_section(LoadContext& ctx, const std::string& section) {
  const Expansions names = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}});
  GroupConfig g;
  g.kind = GroupConfig::Kind::EventListener;
  g.pos = section_pos(ctx, section);
  g.name = after_colon(section);
  Value v;
  TRY_ASSIGN(v, get_value(ctx, section, "priority", "-1", names));
  TRY_ASSIGN(g.priority, convert(v, parse_int));
  int buffer_size = 10;
  TRY_ASSIGN(v, get_value(ctx, section, "buffer_size", "10", names));
  TRY_ASSIGN(buffer_size, convert(v, parse_int));
  if (buffer_size < 1) {
    return error_at(v.pos, fmt::format("[{}] section sets invalid buffer_size ({})", section, buffer_size));
  }
  TRY_ASSIGN(v, get_value(ctx, section, "result_handler", "supervisor.dispatchers:default_handler", names));
  g.result_handler = v.present ? v.text : "";
  if (v.present && unicode::strip(v.text) != "supervisor.dispatchers:default_handler") {
    ctx.cfg.warnings.push_back({v.pos, "WARN",
                                fmt::format("{}:{}: [{}] result_handler {} is a Python callable, which tend cannot "
                                            "load; the default handler is used",
                                            v.pos.file, v.pos.line, section, v.text)});
  }
  Value events;
  TRY_ASSIGN(events, get_value(ctx, section, "events", "", names));
  std::vector<std::string> event_names;
  for (const std::string& e : parse_list_of_strings(events.text)) {
    std::string up = e;
    for (char& c : up) {
      c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    }
    if (std::find(event_names.begin(), event_names.end(), up) == event_names.end()) {
      event_names.push_back(up);
    }
  }
  if (event_names.empty()) {
    return error_at(events.pos, fmt::format("[{}] section requires an \"events\" line", section));
  }
  for (const std::string& e : event_names) {
    if (std::find(std::begin(k_event_types), std::end(k_event_types), e) == std::end(k_event_types)) {
      return error_at(events.pos, fmt::format("Unknown event type {} in [{}] events", e, section));
    }
  }
  TRY_ASSIGN(v, get_value(ctx, section, "redirect_stderr", "false", names));
  bool redirect = false;
  TRY_ASSIGN(redirect, convert(v, parse_boolean));
  if (redirect) {
    return error_at(v.pos, fmt::format("[{}] section sets redirect_stderr=true but this is not allowed because it "
                                       "will interfere with the eventlistener protocol",
                                       section));
  }
  TRY_ASSIGN(g.processes, processes_from_section(ctx, section, g.name, g.kind));
  for (ProcessConfig& p : g.processes) {
    p.events = event_names;
    p.buffer_size = buffer_size;
  }
  return g;
}

Result<GroupConfig::FcgiSocket> parse_fcgi_socket(const Value& sock, std::optional<uid_t> proc_uid,
                                                  const std::optional<std::pair<uid_t, std::optional<gid_t>>>& owner,
                                                  std::optional<mode_t> mode, int backlog) {
  GroupConfig::FcgiSocket out;
  out.backlog = backlog;
  auto fail = [&](const std::string& what) {
    return error_at(sock.pos, fmt::format("{} in [{}] socket", what, sock.section));
  };
  if (sock.text.rfind("unix://", 0) == 0) {
    std::string path = sock.text.substr(7);
    if (path.empty() || path[0] != '/') {
      return fail(fmt::format("Unix socket path {} is not an absolute path", path));
    }
    out.url = "unix://" + normalize_path(path);
    if (owner) {
      out.owner_uid = owner->first;
      out.owner_gid = owner->second;
    } else if (proc_uid && *proc_uid != ::getuid()) {
      out.owner_uid = *proc_uid;
      if (std::optional<UserEntry> pw = find_user(*proc_uid)) {
        out.owner_gid = pw->gid;
      }
    }
    out.mode = mode.value_or(0700);
    return out;
  }
  if (owner || mode) {
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

Result<GroupConfig> load_fcgi_section(LoadContext& ctx, const std::string& section) {
  const Expansions names = with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}});
  GroupConfig g;
  g.kind = GroupConfig::Kind::FcgiProgram;
  g.pos = section_pos(ctx, section);
  TRY_ASSIGN(g.name, section_name(ctx, section));
  Value v;
  TRY_ASSIGN(v, get_value(ctx, section, "priority", "999", names));
  TRY_ASSIGN(g.priority, convert(v, parse_int));
  std::optional<uid_t> proc_uid;
  TRY_ASSIGN(v, get_value(ctx, section, "user", "", names));
  if (v.present) {
    TRY_ASSIGN(proc_uid, convert(v, parse_uid));
  }
  int backlog = 0;
  TRY_ASSIGN(v, get_value(ctx, section, "socket_backlog", "", names));
  if (v.present) {
    Result<int> b = parse_int(v.text);
    if (!b || *b < 1 || *b > 65535) {
      return error_at(v.pos, fmt::format("Invalid socket_backlog value {}", v.text));
    }
    backlog = *b;
  }
  std::optional<std::pair<uid_t, std::optional<gid_t>>> owner;
  TRY_ASSIGN(v, get_value(ctx, section, "socket_owner", "", names));
  if (v.present) {
    auto ug = parse_user_group(v.text);
    if (!ug) {
      return error_at(v.pos, fmt::format("Invalid socket_owner value {}", v.text));
    }
    owner = *ug;
  }
  std::optional<mode_t> mode;
  TRY_ASSIGN(v, get_value(ctx, section, "socket_mode", "", names));
  if (v.present) {
    Result<mode_t> m = parse_octal(v.text);
    if (!m) {
      return error_at(v.pos, fmt::format("Invalid socket_mode value {}", v.text));
    }
    mode = *m;
  }
  TRY_ASSIGN(v, get_value(ctx, section, "socket", "", with_names(names, {{"program_name", g.name}})));
  if (v.text.empty()) {
    return error_at(v.pos, fmt::format("[{}] section requires a \"socket\" line", section));
  }
  TRY_ASSIGN(g.fcgi_socket, parse_fcgi_socket(v, proc_uid, owner, mode, backlog));
  TRY_ASSIGN(g.processes, processes_from_section(ctx, section, g.name, g.kind));
  return g;
}

bool by_priority_then_name(int pa, const std::string& na, int pb, const std::string& nb) {
  return pa != pb ? pa < pb : na < nb;
}

Status check_unique_names(const LoadContext& ctx) {
  std::map<std::string, const GroupConfig*> groups;
  for (const GroupConfig& g : ctx.cfg.groups) {
    auto [it, inserted] = groups.emplace(g.name, &g);
    if (!inserted) {
      return error_at(g.pos, fmt::format("group name '{}' is already used by the section at {}:{}", g.name,
                                         it->second->pos.file, it->second->pos.line));
    }
    std::map<std::string, const ProcessConfig*> procs;
    for (const ProcessConfig& p : g.processes) {
      auto [pit, pinserted] = procs.emplace(p.name, &p);
      if (!pinserted) {
        return error_at(p.pos, fmt::format("group '{}' would have two processes named '{}' (also from {}:{})",
                                           g.name, p.name, pit->second->pos.file, pit->second->pos.line));
      }
    }
  }
  return ok_status();
}

}  // namespace

Status load_process_groups(LoadContext& ctx) {
  std::set<std::string> excluded;  // programs that belong to a [group:x]
  std::vector<GroupConfig>& groups = ctx.cfg.groups;
  std::vector<std::string> names;
  for (const IniSection& s : ctx.doc.sections()) {
    names.push_back(s.name);
  }
  for (const std::string& s : names) {
    if (s.rfind("group:", 0) == 0) {
      GroupConfig g;
      TRY_ASSIGN(g, load_group_section(ctx, s, excluded));
      groups.push_back(std::move(g));
    }
  }
  for (const std::string& s : names) {
    if (s.rfind("program:", 0) == 0 && excluded.count(s) == 0) {
      GroupConfig g;
      g.kind = GroupConfig::Kind::Program;
      g.pos = section_pos(ctx, s);
      TRY_ASSIGN(g.name, section_name(ctx, s));
      Value v;
      TRY_ASSIGN(v, get_value(ctx, s, "priority", "999", with_names(ctx.environ_expansions, {{"here", ctx.cfg.here}})));
      TRY_ASSIGN(g.priority, convert(v, parse_int));
      TRY_ASSIGN(g.processes, processes_from_section(ctx, s, g.name, g.kind));
      groups.push_back(std::move(g));
    }
  }
  for (const std::string& s : names) {
    if (s.rfind("eventlistener:", 0) == 0) {
      GroupConfig g;
      TRY_ASSIGN(g, load_listener_section(ctx, s));
      groups.push_back(std::move(g));
    }
  }
  for (const std::string& s : names) {
    if (s.rfind("fcgi-program:", 0) == 0 && excluded.count(s) == 0) {
      GroupConfig g;
      TRY_ASSIGN(g, load_fcgi_section(ctx, s));
      groups.push_back(std::move(g));
    }
  }
  if (Status s = check_unique_names(ctx); !s) {  // before sorting: blame the later section
    return s;
  }
  for (GroupConfig& g : groups) {
    std::stable_sort(g.processes.begin(), g.processes.end(), [](const ProcessConfig& a, const ProcessConfig& b) {
      return by_priority_then_name(a.priority, a.name, b.priority, b.name);
    });
  }
  std::stable_sort(groups.begin(), groups.end(), [](const GroupConfig& a, const GroupConfig& b) {
    return by_priority_then_name(a.priority, a.name, b.priority, b.name);
  });
  return ok_status();
}

}  // namespace tend::config_detail
