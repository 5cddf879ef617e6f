// The rlimit_* keys of a program (tend additions; docs/config.md, "Resource
// limits"): which resource each one sets, what its numbers count, and how its
// text reads. The key tables, the spawn and its error messages all use this
// one table.
#pragma once

#include <sys/resource.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/model.h"
#include "util/result.h"

namespace tend {

struct RlimitKind {
  enum class Unit : uint8_t {
    Count,    // a plain number
    Bytes,    // a number, or one with a KB, MB or GB suffix (the byte-size datatype)
    Seconds,  // a plain number of CPU seconds
  };
  std::string_view key;  // the config key, e.g. "rlimit_nofile"
  int resource;          // RLIMIT_NOFILE
  Unit unit;
  std::optional<ResourceLimit> ResourceLimits::*member;
};

// In the order the child sets them (that of the table in docs/config.md).
inline constexpr std::array<RlimitKind, 8> k_rlimit_kinds = {{
    {"rlimit_nofile", RLIMIT_NOFILE, RlimitKind::Unit::Count, &ResourceLimits::nofile},
    {"rlimit_nproc", RLIMIT_NPROC, RlimitKind::Unit::Count, &ResourceLimits::nproc},
    {"rlimit_core", RLIMIT_CORE, RlimitKind::Unit::Bytes, &ResourceLimits::core},
    {"rlimit_memlock", RLIMIT_MEMLOCK, RlimitKind::Unit::Bytes, &ResourceLimits::memlock},
    {"rlimit_stack", RLIMIT_STACK, RlimitKind::Unit::Bytes, &ResourceLimits::stack},
    {"rlimit_as", RLIMIT_AS, RlimitKind::Unit::Bytes, &ResourceLimits::as},
    {"rlimit_cpu", RLIMIT_CPU, RlimitKind::Unit::Seconds, &ResourceLimits::cpu},
    {"rlimit_fsize", RLIMIT_FSIZE, RlimitKind::Unit::Bytes, &ResourceLimits::fsize},
}};

// The entry for `resource`, or nullptr.
const RlimitKind* find_rlimit_kind(int resource);

// The value of an rlimit_* key: `N` (soft and hard), `SOFT:HARD`, or
// `unlimited` (any case) for either side or both. Numbers are whole and not
// negative; Unit::Bytes also takes the KB/MB/GB suffixes of the byte-size
// datatype (1KB = 1024). "" (or only spaces) is nullopt: tend's own limit is
// kept. Errors: a soft limit above the hard one, and an unlimited
// rlimit_nofile (the kernel caps open files at fs.nr_open).
Result<std::optional<ResourceLimit>> parse_rlimit(std::string_view text, const RlimitKind& kind);

// "4096" when soft and hard agree, else "1024:4096"; "unlimited" for either.
std::string format_rlimit(const ResourceLimit& limit);

}  // namespace tend
