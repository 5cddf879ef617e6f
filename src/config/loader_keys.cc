// Warnings for sections and keys tend does not know. supervisord ignores
// them silently, which hides typos such as "stopwaitsec"; we still accept
// them (a config must keep loading) but say so, with a suggestion when a
// known key is close.
#include <algorithm>
#include <set>

#include "config/loader_internal.h"

namespace tend::config_detail {

namespace {

const std::vector<std::string>& supervisord_keys() {
  static const std::vector<std::string> k = {
      "logfile", "logfile_maxbytes", "logfile_backups", "loglevel", "pidfile", "umask", "nodaemon",
      "silent", "minfds", "minprocs", "nocleanup", "childlogdir", "user", "directory", "strip_ansi",
      "environment", "identifier", "console_output", "shutdown_grace", "main_program"};
  return k;
}

const std::vector<std::string>& program_keys() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v = {
        "command", "process_name", "numprocs", "numprocs_start", "priority", "autostart", "autorestart",
        "startsecs", "startretries", "exitcodes", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup",
        "user", "directory", "umask", "redirect_stderr", "environment", "serverurl"};
    for (const char* ch : {"stdout", "stderr"}) {
      for (const char* suffix : {"_logfile", "_logfile_maxbytes", "_logfile_backups", "_capture_maxbytes",
                                 "_events_enabled", "_syslog"}) {
        v.push_back(std::string(ch) + suffix);
      }
    }
    return v;
  }();
  return k;
}

std::vector<std::string> with(const std::vector<std::string>& base, std::initializer_list<const char*> more) {
  std::vector<std::string> v = base;
  v.insert(v.end(), more.begin(), more.end());
  return v;
}

// Known keys of a section, or nullopt for sections whose keys are free-form
// (plugin kwargs); `known_section` is false for a section tend does not know.
std::optional<std::vector<std::string>> keys_for(const std::string& name, bool* known_section) {
  *known_section = true;
  auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
  if (name == "supervisord") {
    return supervisord_keys();
  }
  if (name == "supervisorctl") {
    return std::vector<std::string>{"serverurl", "username", "password", "prompt", "history_file"};
  }
  if (name == "include") {
    return std::vector<std::string>{"files"};
  }
  if (starts("unix_http_server")) {
    return std::vector<std::string>{"file", "chmod", "chown", "username", "password"};
  }
  if (starts("inet_http_server")) {
    return std::vector<std::string>{"port", "username", "password"};
  }
  if (starts("program:")) {
    return program_keys();
  }
  if (starts("eventlistener:")) {
    return with(program_keys(), {"events", "buffer_size", "result_handler"});
  }
  if (starts("fcgi-program:")) {
    return with(program_keys(), {"socket", "socket_backlog", "socket_owner", "socket_mode"});
  }
  if (starts("group:")) {
    return std::vector<std::string>{"programs", "priority"};
  }
  if (starts("rpcinterface:") || starts("ctlplugin:")) {
    return std::nullopt;
  }
  *known_section = false;
  return std::nullopt;
}

std::string suggestion(const std::string& key, const std::vector<std::string>& known) {
  size_t best = 3;
  std::string found;
  for (const std::string& k : known) {
    size_t d = edit_distance(key, k);
    if (d < best) {
      best = d;
      found = k;
    }
  }
  return found.empty() ? "" : fmt::format("; did you mean '{}'?", found);
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

void warn_unknown_keys(LoadContext& ctx) {
  auto warn = [&](const SourcePos& pos, const std::string& what) {
    ctx.cfg.warnings.push_back({pos, "WARN", fmt::format("{}:{}: {}", pos.file, pos.line, what)});
  };
  std::set<std::string> all_known;
  for (const char* probe : {"supervisord", "supervisorctl", "include", "unix_http_server", "inet_http_server",
                            "eventlistener:x", "fcgi-program:x", "group:x"}) {
    bool known = false;
    for (const std::string& k : keys_for(probe, &known).value_or(std::vector<std::string>{})) {
      all_known.insert(k);
    }
  }
  for (const auto& [key, value] : ctx.doc.defaults().entries) {
    if (all_known.count(key) == 0) {
      warn(value.pos, fmt::format("unknown key '{}' in [DEFAULT]{}", key,
                                  suggestion(key, std::vector<std::string>(all_known.begin(), all_known.end()))));
    }
  }
  for (const IniSection& s : ctx.doc.sections()) {
    bool known_section = false;
    std::optional<std::vector<std::string>> keys = keys_for(s.name, &known_section);
    if (!known_section) {
      warn(s.pos, fmt::format("unknown section [{}] ignored", s.name));
      continue;
    }
    if (!keys) {
      continue;
    }
    for (const auto& [key, value] : s.entries) {
      const IniValue* inherited = ctx.doc.defaults().find(key);
      if (inherited != nullptr && inherited->pos == value.pos) {
        continue;  // copied from [DEFAULT] by %(here)s expansion; reported there if unknown
      }
      if (std::find(keys->begin(), keys->end(), key) == keys->end()) {
        warn(value.pos, fmt::format("unknown key '{}' in [{}]{}", key, s.name, suggestion(key, *keys)));
      }
    }
  }
}

}  // namespace tend::config_detail
