#include "rpc/config_info.h"

#include <string_view>
#include <utility>
#include <vector>

#include "config/keys.h"

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

Value config_info(const GroupConfig& g, const ProcessConfig& p, bool inuse, const ProcessConfig* running) {
  Struct out;
  out.reserve(std::size(k_members));
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
  return Value(std::move(out));
}

}  // namespace tend::rpc
