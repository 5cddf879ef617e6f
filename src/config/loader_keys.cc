// Warnings for sections and keys tend does not know. supervisord ignores
// them silently, which hides typos such as "stopwaitsec"; we still accept
// them (a config must keep loading) but say so, with a suggestion when a
// known key is close.
#include <algorithm>
#include <optional>
#include <set>
#include <span>

#include "config/keys.h"
#include "config/loader_internal.h"

namespace tend::config_detail {

namespace {

template <typename Key>
std::vector<std::string> names_of(std::span<const Key> keys) {
  std::vector<std::string> out;
  for (const Key& k : keys) {
    if (std::find(out.begin(), out.end(), k.name) == out.end()) {
      out.emplace_back(k.name);
    }
  }
  return out;
}

// Known keys of a section, in table order, or nullopt for sections whose keys
// are free-form (plugin kwargs); `known_section` is false for a section tend
// does not know.
std::optional<std::vector<std::string>> keys_for(const std::string& name, bool* known_section) {
  *known_section = true;
  auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
  if (name == "supervisord") {
    return names_of(supervisord_keys());
  }
  if (name == "supervisorctl") {
    return names_of(supervisorctl_keys());
  }
  if (name == "include") {
    return names_of(include_keys());
  }
  if (starts("unix_http_server")) {
    return names_of(unix_http_server_keys());
  }
  if (starts("inet_http_server")) {
    return names_of(inet_http_server_keys());
  }
  if (starts("program:")) {
    return names_of(program_section_keys());
  }
  if (starts("eventlistener:")) {
    return names_of(eventlistener_section_keys());
  }
  if (starts("fcgi-program:")) {
    return names_of(fcgi_program_section_keys());
  }
  if (starts("group:")) {
    return names_of(group_section_keys());
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
  auto warn = [&](const SourcePos& pos, const std::string& what) { warn_at(ctx, pos, what); };
  std::set<std::string> all_known;
  for (const char* probe : {"supervisord", "supervisorctl", "include", "unix_http_server", "inet_http_server",
                            "program:x", "eventlistener:x", "fcgi-program:x", "group:x"}) {
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
