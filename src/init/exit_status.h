// Exit status of init mode, from the main child's wait status.
//
// Rule (shell and tini convention): the child's exit code, or 128+N when it was
// killed by signal N (sys/exit_status.h exit_code_of); then any code listed
// with -e becomes 0. A failed exec is an ordinary exit of the forked child with
// 127 (not found) or 126 (found but not executable), so -e applies to those too.
#pragma once

#include <set>

namespace tend::init {

int apply_remap(int code, const std::set<int>& remap_to_zero);
// The exit code a forked child uses when execvp fails with `err`.
int exec_failure_code(int err);

}  // namespace tend::init
