#include "init/exit_status.h"

#include <errno.h>

namespace tend::init {

int apply_remap(int code, const std::set<int>& remap_to_zero) { return remap_to_zero.count(code) != 0 ? 0 : code; }

int exec_failure_code(int err) { return err == ENOENT || err == ENOTDIR ? 127 : 126; }

}  // namespace tend::init
