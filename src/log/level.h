// Log levels, numbered as supervisord numbers them; a message is kept when its
// level is at or above the configured threshold.
#pragma once

namespace tend {

enum class Level : int {
  Blather = 3,
  Trace = 5,
  Debug = 10,
  Info = 20,
  Warn = 30,
  Error = 40,
  Critical = 50,
};

}  // namespace tend
