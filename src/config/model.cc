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

}  // namespace tend
