// Who may talk to a program's readiness channel: the program's own process
// (the pid tend spawned) or any process below it (a shell wrapper's
// `systemd-notify --ready`, a worker). Everyone else is a stranger: a message
// from a leftover of an earlier run (re-parented to tend) or from an
// unrelated process that found the socket's name is dropped.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace tend::health {

// A process's parent pid, or nullopt when the process is gone.
using ParentOf = std::function<std::optional<pid_t>(pid_t)>;

enum class Sender {
  Program,     // the program's main pid
  Descendant,  // below the main pid
  Stranger,    // alive, not below the main pid
  Gone,        // exited before its ancestry could be read: cannot be vouched for
};
const char* sender_name(Sender s);

// Walks sender's parent chain until it meets `main` (Descendant), reaches
// pid 1 or 0, or a process that is gone. `main` 0 (nothing running) makes
// every sender a Stranger. Bounded: a torn chain that loops is a Stranger.
Sender classify_sender(pid_t sender, pid_t main, const ParentOf& parent_of);

// parent_of from /proc (sys/descendants.h: read_proc_entry).
ParentOf proc_parent_of(std::string proc_root = "/proc");

}  // namespace tend::health
