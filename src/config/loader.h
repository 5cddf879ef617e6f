// Loads a supervisord.conf (and its [include]s) into the typed Config of
// config/model.h: parse, expand %(name)s, validate every key. All-or-nothing:
// any error returns the first one as "<file>:<line>: <what>" and no Config.
#pragma once

#include <map>
#include <string>

#include "config/model.h"
#include "util/result.h"

namespace tend {

struct LoadOptions {
  std::string path;                            // the main config file (made absolute by the loader)
  std::map<std::string, std::string> environ;  // the environment for ENV_* names
  std::string host_node_name;                  // uname nodename; filled by the loader when empty
  bool for_client = false;                     // tendctl: no [supervisord] needed, [include] ignored;
                                               // the servers are read, and dropped if one is wrong
};

Result<Config> load_config(const LoadOptions& opts);

// The current process environment as a map (for LoadOptions::environ).
std::map<std::string, std::string> current_environ();

}  // namespace tend
