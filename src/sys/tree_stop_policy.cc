#include "sys/tree_stop_policy.h"

namespace tend {

TermTargets select_term_targets(const std::vector<ProcEntry>& descendants, const StopContext& ctx,
                                const std::unordered_set<pid_t>& signalled, bool orphans_only) {
  TermTargets out;
  for (const ProcEntry& e : descendants) {
    bool stopped = e.state == 'T' || e.state == 't';
    if (e.state == 'Z' || e.state == 'X' || signalled.count(e.pid) != 0 || (orphans_only && e.ppid != ctx.self)) {
      continue;
    }
    if (e.pid == ctx.main_pid || (ctx.skip_pgrp != 0 && e.pgrp == ctx.skip_pgrp)) {
      // Reached by the forwarded signal already; a stopped one needs CONT to act on it.
      if (e.pid != ctx.main_pid) {
        out.covered.push_back(e.pid);
      }
      if (stopped) {
        out.cont.push_back(e.pid);
      }
      continue;
    }
    out.term.push_back(e.pid);
    if (stopped) {
      out.cont.push_back(e.pid);
    }
  }
  return out;
}

std::vector<pid_t> select_kill_targets(const std::vector<ProcEntry>& descendants) {
  std::vector<pid_t> out;
  for (const ProcEntry& e : descendants) {
    if (e.state != 'Z' && e.state != 'X') {
      out.push_back(e.pid);
    }
  }
  return out;
}

}  // namespace tend
