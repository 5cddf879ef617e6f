#include "config/model.h"

#include "config/keys.h"

namespace tend {

bool ProcessConfig::operator==(const ProcessConfig& o) const {
  // group and program come from section names, not from keys.
  if (group != o.group || program != o.program) {
    return false;
  }
  for (const ProgramKey& k : all_program_like_keys()) {
    if (k.same_process != nullptr && !k.same_process(*this, o)) {
      return false;
    }
  }
  return true;
}

bool GroupConfig::same_settings(const GroupConfig& o) const {
  // name and kind come from the section's name.
  if (name != o.name || kind != o.kind) {
    return false;
  }
  for (const ProgramKey& k : all_program_like_keys()) {
    if (k.same_group != nullptr && !k.same_group(*this, o)) {
      return false;
    }
  }
  return true;
}

void env_merge(EnvList& base, const EnvList& overrides) {
  for (const auto& [k, v] : overrides) {
    bool found = false;
    for (auto& [bk, bv] : base) {
      if (bk == k) {
        bv = v;
        found = true;
      }
    }
    if (!found) {
      base.emplace_back(k, v);
    }
  }
}

std::string env_get(const EnvList& env, const std::string& name, const std::string& fallback) {
  const std::string* found = nullptr;
  for (const auto& [k, v] : env) {
    if (k == name) {
      found = &v;
    }
  }
  return found ? *found : fallback;
}

EnvList configured_environment(const SupervisordConfig& sd, const ProcessConfig& p) {
  EnvList env = sd.environment_file;
  env_merge(env, sd.environment);
  env_merge(env, p.environment_file);
  env_merge(env, p.environment);
  return env;
}

}  // namespace tend
