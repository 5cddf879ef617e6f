// Building blocks of the key tables (keys_program.cc, keys_settings.cc).
// Not part of the public API: use config/keys.h.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "config/keys.h"
#include "config/loader_internal.h"

namespace tend::config_detail {

// The member a path of member pointers leads to: field_of<&A::b, &B::c>(a) is a.b.c.
template <auto First, auto... Rest, typename T>
constexpr auto& field_of(T& obj) {
  if constexpr (sizeof...(Rest) == 0) {
    return obj.*First;
  } else {
    return field_of<Rest...>(obj.*First);
  }
}

// Parses v's text with `parse` into `out`; an error names file, line and key.
template <typename Parse, typename T>
Status parse_into(const Value& v, Parse&& parse, T& out) {
  auto r = convert(v, std::forward<Parse>(parse));
  if (!r) {
    return Error{r.error()};
  }
  out = std::move(*r);
  return ok_status();
}

// Same, into an optional that stays empty when the key is absent.
template <typename Parse, typename T>
Status parse_if_present(const Value& v, Parse&& parse, std::optional<T>& out) {
  if (!v.present) {
    return ok_status();
  }
  T value{};
  if (Status st = parse_into(v, std::forward<Parse>(parse), value); !st) {
    return st;
  }
  out = std::move(value);
  return ok_status();
}

// Reads every key of a [supervisord], server or [supervisorctl] table into
// `out`, in table order (entries without load() are read elsewhere).
template <typename Model>
Status read_settings(SettingScope& s, std::span<const SettingKey<Model>> keys, Model& out) {
  const Expansions with_here = with_names(s.ctx.environ_expansions, {{"here", s.ctx.cfg.here}});
  for (const SettingKey<Model>& k : keys) {
    if (k.load == nullptr) {
      continue;
    }
    Result<Value> v =
        get_value(s.ctx, s.section, std::string(k.name), k.default_text, k.here ? with_here : s.ctx.environ_expansions);
    if (!v) {
      return Error{v.error()};
    }
    if (Status st = k.load(s, *v, out); !st) {
      return st;
    }
  }
  return ok_status();
}

}  // namespace tend::config_detail
