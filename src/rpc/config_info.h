// The getAllConfigInfo struct of one process: supervisor.getAllConfigInfo's
// is supervisord 4.2.5's, member for member (tests/blackbox/test_rpc.py
// compares the two); tend.getAllConfigInfo's adds tend's own keys after them.
#pragma once

#include <cstdint>

#include "config/model.h"
#include "rpc/value.h"

namespace tend {
class Supervisor;
}

namespace tend::rpc {

// Which members a struct has.
enum class ConfigMembers : uint8_t {
  Supervisord,  // supervisord's, exactly: supervisor.getAllConfigInfo
  WithTend,     // those, then each tend key the process's section kind has,
                // under the key's name, in reading order: tend.getAllConfigInfo
};

// `inuse`: the group is in the running set. `running`: the configuration the
// process runs with, when its group runs exactly `g` (its AUTO log paths are
// resolved then); nullptr otherwise.
Value config_info(const GroupConfig& g, const ProcessConfig& p, bool inuse, const ProcessConfig* running,
                  ConfigMembers members = ConfigMembers::Supervisord);

// One struct per process of the configuration last read
// (Supervisor::configured_groups()), sorted by process name as supervisord
// sorts them (stably: equal names keep the groups' order).
Array all_config_info(const Supervisor& sup, ConfigMembers members);

}  // namespace tend::rpc
