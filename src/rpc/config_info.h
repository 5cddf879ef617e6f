// The getAllConfigInfo struct of one process, member for member as
// supervisord 4.2.5 builds it (tests/blackbox/test_rpc.py compares the two).
#pragma once

#include "config/model.h"
#include "rpc/value.h"

namespace tend::rpc {

// `inuse`: the group is in the running set. `running`: the configuration the
// process runs with, when its group runs exactly `g` (its AUTO log paths are
// resolved then); nullptr otherwise.
Value config_info(const GroupConfig& g, const ProcessConfig& p, bool inuse, const ProcessConfig* running);

}  // namespace tend::rpc
