// The config keys, one table per section kind. An entry holds everything tend
// knows about one key: its name and default, how its text is parsed into the
// model, how two configurations are compared on it (which decides what
// `update` restarts), and what getAllConfigInfo shows of it. The tables drive
// the loader, the unknown-key warnings ("did you mean"), ProcessConfig and
// GroupConfig equality, the startup-only check of [supervisord] and the
// servers, and rpc/config_info.
//
// Entries are in the order the loader reads them, which is supervisord's: a
// config with several errors reports the one supervisord would report.
//
// Adding a key to [program:x] (and so to [eventlistener:x], [fcgi-program:x]):
//  1. a field in ProcessConfig (model.h), and in members() of
//     core/config_keys_test.cc (which stops compiling until it is there);
//  2. an entry in k_program_keys (keys_program.cc), at its place in the
//     reading order. For a plain value,
//       field<parse_int, &ProcessConfig::x>("x", "3", Stage::Section)
//     parses the text with parse_int into the field and compares the field
//     (shown_field also shows it under its name in tend.getAllConfigInfo;
//     supervisor.getAllConfigInfo keeps supervisord's fixed members, so a
//     new key never changes it); anything else names its own load/same
//     (and report) functions;
//  3. a sample value in core/config_keys_test.cc, which loads it and checks
//     that the update diff sees the change.
// tend's rlimit_* keys are made from k_rlimit_kinds (config/rlimits.h): a
// new resource is a member of ResourceLimits and a row there.
// tend's start-order keys (depends_on, ready, healthcheck...) are in
// k_start_order_keys instead: [program:x] and [fcgi-program:x] read them, and
// [eventlistener:x] refuses them (k_listener_refused). tend's restart keys
// (backoff_max, backoff_reset, restartpause) are in k_restart_policy_keys,
// which all three read after supervisord's keys.
// A [supervisord] key: a field in SupervisordConfig and an entry in
// k_supervisord_keys (keys_settings.cc) saying whether a running tend takes
// the new value (OnUpdate::Live) or needs a restart; plus a sample value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/model.h"
#include "util/result.h"

namespace tend {

namespace config_detail {
struct ProgramScope;
struct SettingScope;
struct Value;
}  // namespace config_detail

// A value getAllConfigInfo shows, before rpc/ makes XML-RPC of it (double:
// tend's durations in seconds).
using InfoValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>>;

// When the loader reads a key of a program-like or [group:x] section.
enum class Stage : uint8_t {
  Group,    // once, before any process, into the GroupConfig or the ProcessConfig
            // every process starts from; %(here)s and ENV_* only
  Section,  // once, into the ProcessConfig every process starts from; adds
            // program_name, group_name and host_node_name
  Process,  // once per process (numprocs); adds process_num, numprocs and the
            // ENV_* of the program's own environment
};

// How the loader expands a value before load() sees it.
enum class Expand : uint8_t {
  Once,   // %(name)s with the stage's names
  Twice,  // again when present (supervisord does so for log file names)
  Raw,    // not at all: load() expands it itself, or keeps the template
};

// A key of [program:x], [eventlistener:x], [fcgi-program:x] or [group:x].
struct ProgramKey {
  std::string_view name;
  std::string_view default_text = {};  // what load() parses when the key is absent
  Stage stage = Stage::Section;
  Expand expand = Expand::Once;
  // Parses the value into the scope's group or process (or keeps it for a
  // later key); an error names file, line and key.
  Status (*load)(config_detail::ProgramScope& scope, const config_detail::Value& v) = nullptr;
  // Whether two configurations agree on what the key sets. On update, a
  // difference in same_process restarts that process, one in same_group every
  // process of the group. A key with neither decides which processes exist
  // (numprocs, programs): the diff sees those by their names.
  bool (*same_process)(const ProcessConfig& a, const ProcessConfig& b) = nullptr;
  bool (*same_group)(const GroupConfig& a, const GroupConfig& b) = nullptr;
  // The getAllConfigInfo member showing the key ("" = none) and its value for
  // `p`; `running` is the configuration the process runs with when its group
  // runs this very one (AUTO log paths are resolved there), else nullptr.
  // supervisor.getAllConfigInfo shows the members of supervisord's struct;
  // tend.getAllConfigInfo adds every other one (rpc/config_info.h).
  std::string_view info = {};
  InfoValue (*report)(const ProcessConfig& p, const ProcessConfig* running) = nullptr;
};

// The keys of each section kind, in reading order: Stage::Group first, then
// the program keys the three program-like kinds share.
std::span<const ProgramKey> program_section_keys();        // [program:x]
std::span<const ProgramKey> eventlistener_section_keys();  // [eventlistener:x]
std::span<const ProgramKey> fcgi_program_section_keys();   // [fcgi-program:x]
std::span<const ProgramKey> group_section_keys();          // [group:x]
// Each entry of the four tables once: what equality compares and
// getAllConfigInfo reads.
std::span<const ProgramKey> all_program_like_keys();

// When a changed [supervisord] or server setting takes effect.
enum class OnUpdate : uint8_t {
  NextStart,  // set up once (logger, pidfile, sockets, privileges, limits):
              // update logs that tend must be started again for it
  Live,       // the running supervisor takes the new value (Supervisor::set_config
              // copies it over)
};

// A key of [supervisord], [unix_http_server], [inet_http_server],
// [supervisorctl] or [include], read into `Model`.
template <typename Model>
struct SettingKey {
  std::string_view name;
  std::string_view default_text = {};  // what load() parses when the key is absent
  bool here = true;                    // %(here)s expands, besides ENV_*
  // nullptr: the loader reads the key elsewhere (see the entry's comment).
  Status (*load)(config_detail::SettingScope& scope, const config_detail::Value& v, Model& out) = nullptr;
  bool (*same)(const Model& a, const Model& b) = nullptr;  // nullptr: not compared
  OnUpdate on_update = OnUpdate::NextStart;
};

std::span<const SettingKey<SupervisordConfig>> supervisord_keys();
std::span<const SettingKey<HttpServerConfig>> unix_http_server_keys();
std::span<const SettingKey<HttpServerConfig>> inet_http_server_keys();
std::span<const SettingKey<CtlConfig>> supervisorctl_keys();
std::span<const SettingKey<Config>> include_keys();

// The settings of `next` that differ from `cur` but take effect only when tend
// starts again (OnUpdate::NextStart): [supervisord] keys by name, then
// "[unix_http_server]/[inet_http_server]" when any server differs.
std::vector<std::string> settings_needing_restart(const Config& cur, const Config& next);

}  // namespace tend
