// tend's version, as scripts/version.sh derived it from git when the build was
// configured (for example "1.2.3" or "1.2.3-4-g0123456789ab-dirty").
#pragma once

#include <string_view>

namespace tend {

// The string lives only in version.cc, so a new version recompiles that one file.
std::string_view version();

}  // namespace tend
