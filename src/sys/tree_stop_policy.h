// Target selection of the graceful tree stop (sys/tree_stop.h), as pure
// functions over a /proc snapshot (sys/descendants.h), so the policy is
// testable without processes. The same rules hold in both modes.
//
// The stop: the main child (init mode) got the signal tend received
// (forwarded); every other descendant gets one stop signal (SIGTERM), stopped
// ones a SIGCONT after it so they can act on it; at the grace deadline every
// descendant left gets SIGKILL. While waiting, tend re-scans after each reap,
// but then only signals processes that became tend's own children (orphans
// reparented mid-stop, or processes that escaped the first scan and lost their
// parent). Grandchildren with a live parent are left to that parent: they may
// be the cleanup work the parent started on its TERM, and killing them would
// defeat the grace.
#pragma once

#include <sys/types.h>

#include <unordered_set>
#include <vector>

#include "sys/descendants.h"

namespace tend {

struct StopContext {
  pid_t self = 0;       // tend's pid
  pid_t main_pid = 0;   // init mode's main child; 0 once reaped, or in config mode
  pid_t skip_pgrp = 0;  // init -g: the group that already got the forwarded signal; 0 = none
};

struct TermTargets {
  std::vector<pid_t> term;     // send the stop signal (SIGTERM)
  std::vector<pid_t> cont;     // stopped ones among `term`, `covered` and main: SIGCONT after the TERMs
  std::vector<pid_t> covered;  // already reached by the group signal; record, do not signal
};

// `signalled`: pids that got their stop signal (or the group signal) earlier in
// this stop.
// `orphans_only`: the re-scan mode described above.
TermTargets select_term_targets(const std::vector<ProcEntry>& descendants, const StopContext& ctx,
                                const std::unordered_set<pid_t>& signalled, bool orphans_only);

// Every descendant that can still be killed (zombies are already dead).
std::vector<pid_t> select_kill_targets(const std::vector<ProcEntry>& descendants);

}  // namespace tend
