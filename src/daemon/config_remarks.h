// The remarks the loader made about a configuration (Config::warnings),
// written to the main log once it is open.
#pragma once

#include "config/model.h"
#include "log/logger.h"

namespace tend {

// Logs each of cfg.warnings once, at its level, in the loader's order.
void log_config_warnings(const Config& cfg, Logger& log);

}  // namespace tend
