// Shared pieces of the config loader (loader.cc, loader_programs.cc,
// loader_keys.cc). Not part of the public API: use config/loader.h.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/expand.h"
#include "config/ini_parser.h"
#include "config/loader.h"
#include "config/model.h"
#include "util/result.h"

// Evaluates a Result-returning expression; on error returns it from the
// enclosing function, else moves the value into `lhs`.
#define TRY_ASSIGN(lhs, expr)         \
  do {                                \
    auto tend_r_ = (expr);            \
    if (!tend_r_) {                   \
      return Error{tend_r_.error()};  \
    }                                 \
    lhs = std::move(*tend_r_);        \
  } while (0)

namespace tend::config_detail {

struct LoadContext {
  const LoadOptions* opts = nullptr;
  IniDocument doc;
  Config cfg;
  std::string host_node_name;
  std::string home;              // $HOME, for "~" in paths
  Expansions environ_expansions;  // ENV_*; grows with [supervisord] environment
  // Every program-like section read, for the checks across sections.
  struct ProgramSection {
    std::string section;  // e.g. "program:web"
    std::string group;    // the group its processes are in
    std::string program;  // their ProcessConfig::program
    GroupConfig::Kind kind;  // of the section; a [group:x] member's is Program
  };
  std::vector<ProgramSection> program_sections;
};

// A looked-up (and usually expanded) key.
struct Value {
  std::string section;
  std::string key;
  std::string text;  // the expanded value, or the default when !present
  SourcePos pos;     // the key's line, or the section header when absent
  bool present = false;
};

inline Error error_at(const SourcePos& pos, const std::string& what) {
  return Error{fmt::format("{}:{}: {}", pos.file, pos.line, what)};
}

// Looks `key` up in `section` (falling back to [DEFAULT]) and expands it with
// `names` unless do_expand is false. A missing key yields `def` unexpanded.
Result<Value> get_value(const LoadContext& ctx, const std::string& section, const std::string& key,
                        std::string_view def, const Expansions& names, bool do_expand = true);

// Converts a Value with one of the datatypes.h parsers, adding file:line and
// the key to an error message.
template <typename F>
auto convert(const Value& v, F&& parse) -> decltype(parse(std::string_view())) {
  auto r = parse(std::string_view(v.text));
  if (!r) {
    return error_at(v.pos, fmt::format("invalid value for '{}' in [{}]: {}", v.key, v.section, r.error()));
  }
  return r;
}

// `base` plus extra names (later ones win).
Expansions with_names(const Expansions& base, std::initializer_list<std::pair<std::string, ExpandValue>> extra);

// The position of a section's header.
SourcePos section_pos(const LoadContext& ctx, const std::string& section);
// A key of the section itself: not inherited from [DEFAULT] (nor copied from
// it by %(here)s expansion); nullptr when the section does not set it.
const IniValue* own_value(const LoadContext& ctx, const std::string& section, const std::string& key);
// Where a key of a section is set (itself or [DEFAULT]), else the section's header.
SourcePos key_pos(const LoadContext& ctx, const std::string& section, const std::string& key);

// A warning of tend's own about a config line: "<file>:<line>: <what>".
void warn_at(LoadContext& ctx, const SourcePos& pos, const std::string& what);

// What the loader knows while it reads one program-like or [group:x] section;
// the load() functions of the key tables (config/keys.h) read and write it.
struct ProgramScope {
  LoadContext& ctx;
  std::string section;
  GroupConfig::Kind kind;            // of the section ([group:x] members: Program)
  GroupConfig* group = nullptr;      // Stage::Group keys of the section's own group
  ProcessConfig* process = nullptr;  // the config every process starts from, or
                                     // (Stage::Process) the process being read
  Expansions names = {};             // Stage::Section and Stage::Process names
  // Left by one key for a later one, or for the loader's cross-key checks.
  int numprocs = 1;
  int numprocs_start = 0;
  std::string process_name = {};  // the template, stripped, unexpanded
  SourcePos process_name_pos = {};
  SourcePos killasgroup_pos = {};
  SourcePos logfile_pos = {};           // the *_logfile of the channel being read
  std::optional<uid_t> fcgi_user = {};  // [fcgi-program:x] user=, the socket's default owner
  int fcgi_backlog = 0;                 // 0 = SOMAXCONN
  std::optional<std::pair<uid_t, std::optional<gid_t>>> fcgi_owner = {};
  std::optional<mode_t> fcgi_mode = {};
  Value programs = {};  // [group:x] programs=
};

// What the loader knows while it reads a [supervisord], server or
// [supervisorctl] section.
struct SettingScope {
  LoadContext& ctx;
  std::string section;
  Value username = {};  // servers: read before password, checked with it
};

// loader_programs.cc: every [group:], [program:], [eventlistener:] and
// [fcgi-program:] section, into ctx.cfg.groups (sorted).
Status load_process_groups(LoadContext& ctx);

// loader_deps.cc: depends_on across the whole config (names, conditions,
// cycles), once every program-like section is read.
Status check_dependencies(LoadContext& ctx);

// loader_keys.cc: warnings for unknown sections and keys.
void warn_unknown_keys(LoadContext& ctx);
// Levenshtein distance with adjacent transpositions (for "did you mean").
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace tend::config_detail
