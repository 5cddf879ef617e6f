#include "config/rlimits.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/datatypes.h"
#include "config/unicode.h"

namespace tend {

namespace {

std::string q(std::string_view s) { return unicode::repr(s); }

// One side of a limit: a number in the kind's unit, or unlimited.
Result<uint64_t> parse_side(std::string_view side, const RlimitKind& kind) {
  std::string_view text = unicode::strip(side);
  if (unicode::lower(text) == "unlimited") {
    return ResourceLimit::k_unlimited;
  }
  bool bytes = kind.unit == RlimitKind::Unit::Bytes;
  Result<int64_t> n = bytes ? parse_byte_size(text) : parse_integer(text);
  if (!n) {
    return make_error(fmt::format("not a limit: {} (a whole number{}, or unlimited)", q(text),
                                  bytes ? ", optionally followed by KB, MB or GB" : ""));
  }
  if (*n < 0) {
    return make_error(fmt::format("a limit cannot be negative: {}", q(text)));
  }
  return static_cast<uint64_t>(*n);
}

}  // namespace

const RlimitKind* find_rlimit_kind(int resource) {
  auto it = std::find_if(k_rlimit_kinds.begin(), k_rlimit_kinds.end(),
                         [resource](const RlimitKind& k) { return k.resource == resource; });
  return it == k_rlimit_kinds.end() ? nullptr : &*it;
}

Result<std::optional<ResourceLimit>> parse_rlimit(std::string_view text, const RlimitKind& kind) {
  std::string_view all = unicode::strip(text);
  if (all.empty()) {
    return std::optional<ResourceLimit>();
  }
  size_t colon = all.find(':');
  if (colon != std::string_view::npos && all.find(':', colon + 1) != std::string_view::npos) {
    return make_error(fmt::format("not a limit: {} (N, SOFT:HARD or unlimited)", q(all)));
  }
  Result<uint64_t> soft = parse_side(all.substr(0, colon), kind);
  if (!soft) {
    return Error{soft.error()};
  }
  Result<uint64_t> hard = colon == std::string_view::npos ? soft : parse_side(all.substr(colon + 1), kind);
  if (!hard) {
    return Error{hard.error()};
  }
  ResourceLimit limit{*soft, *hard};
  if (limit.soft > limit.hard) {
    return make_error(fmt::format("the soft limit {} is above the hard limit {}",
                                  format_rlimit({limit.soft, limit.soft}), format_rlimit({limit.hard, limit.hard})));
  }
  if (kind.resource == RLIMIT_NOFILE && limit.hard == ResourceLimit::k_unlimited) {
    return make_error(
        "open files cannot be unlimited: the kernel caps them at fs.nr_open (/proc/sys/fs/nr_open); give a number");
  }
  return std::optional<ResourceLimit>(limit);
}

std::string format_rlimit(const ResourceLimit& limit) {
  auto side = [](uint64_t v) { return v == ResourceLimit::k_unlimited ? std::string("unlimited") : std::to_string(v); };
  if (limit.soft == limit.hard) {
    return side(limit.soft);
  }
  return fmt::format("{}:{}", side(limit.soft), side(limit.hard));
}

}  // namespace tend
