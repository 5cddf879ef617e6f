#include "rpc/config_info.h"

#include <algorithm>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "config/keys.h"
#include "core/supervisor.h"

namespace tend::rpc {

namespace {

// The members of supervisord's struct, in its order. group, group_prio and
// inuse describe the group; every other member shows a key (ProgramKey::info).
// clang-format off
constexpr std::string_view k_members[] = {
    "autostart", "directory", "uid", "command", "exitcodes", "group", "group_prio", "inuse", "killasgroup",
    "name", "process_prio", "redirect_stderr", "startretries", "startsecs",
    "stdout_capture_maxbytes", "stdout_events_enabled", "stdout_logfile", "stdout_logfile_backups",
    "stdout_logfile_maxbytes", "stdout_syslog", "stopsignal", "stopwaitsecs",
    "stderr_capture_maxbytes", "stderr_events_enabled", "stderr_logfile", "stderr_logfile_backups",
    "stderr_logfile_maxbytes", "stderr_syslog", "serverurl",
};
// clang-format on

// Each member with the key showing it (nullptr for the group's three).
const std::vector<std::pair<std::string, const ProgramKey*>>& layout() {
  static const std::vector<std::pair<std::string, const ProgramKey*>> members = [] {
    std::vector<std::pair<std::string, const ProgramKey*>> out;
    for (std::string_view m : k_members) {
      const ProgramKey* shown = nullptr;
      for (const ProgramKey& k : all_program_like_keys()) {
        if (k.info == m && k.report != nullptr) {
          shown = &k;
          break;
        }
      }
      out.emplace_back(std::string(m), shown);
    }
    return out;
  }();
  return members;
}

bool is_supervisord_member(std::string_view name) {
  return std::find(std::begin(k_members), std::end(k_members), name) != std::end(k_members);
}

// The keys of a section table that only tend.getAllConfigInfo shows, in
// reading order, each member once.
std::vector<const ProgramKey*> tend_keys_of(std::span<const ProgramKey> table) {
  std::vector<const ProgramKey*> out;
  for (const ProgramKey& k : table) {
    auto same_member = [&](const ProgramKey* seen) { return seen->info == k.info; };
    if (!k.info.empty() && k.report != nullptr && !is_supervisord_member(k.info) &&
        std::none_of(out.begin(), out.end(), same_member)) {
      out.push_back(&k);
    }
  }
  return out;
}

// A [group:x] holds [program:x] sections; an event listener has no start-order
// or lifecycle keys (its section refuses them), so it shows none.
const std::vector<const ProgramKey*>& tend_keys(GroupConfig::Kind kind) {
  static const std::vector<const ProgramKey*> program = tend_keys_of(program_section_keys());
  static const std::vector<const ProgramKey*> listener = tend_keys_of(eventlistener_section_keys());
  static const std::vector<const ProgramKey*> fcgi = tend_keys_of(fcgi_program_section_keys());
  switch (kind) {
    case GroupConfig::Kind::EventListener:
      return listener;
    case GroupConfig::Kind::FcgiProgram:
      return fcgi;
    case GroupConfig::Kind::Program:
    case GroupConfig::Kind::Group:
      break;
  }
  return program;
}

Value to_value(InfoValue v) {
  return std::visit(
      [](auto&& x) -> Value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          Array a;
          a.reserve(x.size());
          for (int64_t i : x) {
            a.emplace_back(i);
          }
          return Value(std::move(a));
        } else {
          return Value(std::move(x));
        }
      },
      std::move(v));
}

}  // namespace

Value config_info(const GroupConfig& g, const ProcessConfig& p, bool inuse, const ProcessConfig* running,
                  ConfigMembers members) {
  const std::vector<const ProgramKey*>* tend = members == ConfigMembers::WithTend ? &tend_keys(g.kind) : nullptr;
  Struct out;
  out.reserve(std::size(k_members) + (tend != nullptr ? tend->size() : 0));
  for (const auto& [member, key] : layout()) {
    if (key != nullptr) {
      out.emplace_back(member, to_value(key->report(p, running)));
    } else if (member == "group") {
      out.emplace_back(member, Value(g.name));
    } else if (member == "group_prio") {
      out.emplace_back(member, Value(g.priority));
    } else if (member == "inuse") {
      out.emplace_back(member, Value(inuse));
    }
  }
  if (tend != nullptr) {
    for (const ProgramKey* key : *tend) {
      out.emplace_back(std::string(key->info), to_value(key->report(p, running)));
    }
  }
  return Value(std::move(out));
}

Array all_config_info(const Supervisor& sup, ConfigMembers members) {
  std::vector<std::pair<std::string, Value>> entries;
  for (const GroupConfig& g : sup.configured_groups()) {
    const Group* live_group = sup.table().find_group(g.name);
    // A running group shows its resolved AUTO log paths only while it runs
    // the configuration being listed (supervisord resolves them in place).
    bool same = live_group != nullptr && sup.table().configured(*live_group) == g;
    for (const ProcessConfig& p : g.processes) {
      const Process* live = same ? sup.table().find(g.name, p.name) : nullptr;
      entries.emplace_back(
          p.name, config_info(g, p, live_group != nullptr, live != nullptr ? &live->config() : nullptr, members));
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Array out;
  out.reserve(entries.size());
  for (auto& [name, v] : entries) {
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace tend::rpc
