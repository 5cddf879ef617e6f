// Building blocks of the key tables (keys_program.cc, keys_settings.cc).
// Not part of the public API: use config/keys.h.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "config/datatypes.h"
#include "config/env_file.h"
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

// environment_file= of a program or of [supervisord]: the variables of the
// files `v` names, a relative path being relative to the directory of the
// config file that sets the key (what %(here)s is there).
inline Status load_env_files(const LoadContext& ctx, const Value& v, EnvList& out) {
  std::string base = normalize_path(py_dirname(v.pos.file));
  return parse_into(
      v, [&](std::string_view text) { return read_env_files(text, base, ctx.home); }, out);
}

// envfiles= (ochinchina's envFiles, lower-cased like every key) is another
// spelling of environment_file=: read as it when present; both at once is an error.
inline Status check_envfiles_alias(const LoadContext& ctx, const Value& alias) {
  if (alias.present && ctx.doc.get(alias.section, "environment_file") != nullptr) {
    return error_at(alias.pos, fmt::format("[{}] sets both environment_file and envFiles, which are the same key "
                                           "(envFiles is ochinchina's spelling): keep one",
                                           alias.section));
  }
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
