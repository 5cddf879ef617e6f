// The configuration `tend --sample-config` (and `echo_supervisord_conf`, the name supervisor's users
// call) prints: a working start in supervisord's format, every common key shown with its default.
#pragma once

#include <string_view>

namespace tend {

std::string_view sample_config();

}  // namespace tend
