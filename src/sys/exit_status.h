// Wait statuses, read the same way in both modes: the exit code tend reports
// for a child, and the words each mode logs it with. Tests compare the words,
// so each mode keeps its own.
#pragma once

#include <string>

namespace tend {

// 0..255 for a status of a terminated process (shell and tini convention):
// the exit code, or 128+N when signal N killed it. 1 for a status that is not a
// termination (stopped, continued): callers only pass reaped ones.
int exit_code_of(int wait_status);

// Config mode's words (supervisord's): "exit status 3", "terminated by
// SIGTERM", "terminated by SIGSEGV (core dumped)".
std::string describe_wait_status(int wait_status);

// Init mode's words, a phrase that follows a name: "exited with status 3",
// "was killed by SIGTERM".
std::string wait_status_phrase(int wait_status);

}  // namespace tend
