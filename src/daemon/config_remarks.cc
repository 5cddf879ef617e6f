#include "daemon/config_remarks.h"

namespace tend {

void log_config_warnings(const Config& cfg, Logger& log) {
  // ConfigWarning::message is complete: tend's own remarks start with their
  // "<file>:<line>: ", supervisord's (includes, logfile keys) keep its wording,
  // which names no line. The included and unmatched files are among them.
  for (const ConfigWarning& w : cfg.warnings) {
    Level l = w.level == "CRIT" ? Level::Critical : w.level == "INFO" ? Level::Info : Level::Warn;
    log.log(l, w.message);
  }
}

}  // namespace tend
