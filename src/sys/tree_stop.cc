#include "sys/tree_stop.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sys/descendants.h"
#include "sys/tree_stop_policy.h"

namespace tend {

namespace {

// Rounds of scan+KILL per pass: each round can only find processes forked by
// not-yet-killed ones during the previous round, so a few rounds settle it;
// what still slips through comes back to tend when its parent dies, and the
// reap that follows runs another pass.
constexpr int k_kill_rounds = 4;

bool is_stop_signal(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

}  // namespace

TreeStop::TreeStop(EventLoop& loop, Events events) : m_loop(loop), m_events(std::move(events)), m_self(getpid()) {}

TreeStop::~TreeStop() {
  m_loop.cancel_timer(m_grace_timer);
  m_loop.cancel_timer(m_last_resort_timer);
}

void TreeStop::begin(const Options& options) {
  if (m_phase != Phase::k_idle) {
    return;
  }
  m_opt = options;
  m_phase = Phase::k_terminating;
  m_grace_timer = m_loop.add_timer_after(m_opt.grace, [this] { on_grace_expired(); });
  term_pass(false);
  // Nobody left to send SIGCHLD: nothing will call on_reaped().
  if (has_no_children()) {
    finish();
  }
}

void TreeStop::on_reaped(const ReapBatch& batch) {
  if (!active()) {
    return;
  }
  if (batch.no_children) {
    finish();
    return;
  }
  for (const ReapedChild& c : batch.children) {
    if (c.pid == m_opt.main_pid) {
      m_opt.main_pid = 0;
    }
  }
  if (m_phase == Phase::k_killing) {
    kill_pass();
  } else if (!batch.children.empty()) {
    term_pass(true);
  }
}

void TreeStop::report_scan_failure(const std::string& error, int sig, bool broadcast) {
  if (m_scan_reported) {
    return;
  }
  m_scan_reported = true;
  if (m_events.scan_failed) {
    m_events.scan_failed(error, sig, broadcast);
  }
}

void TreeStop::term_pass(bool orphans_only) {
  Result<std::vector<ProcEntry>> tree = list_descendant_entries(m_self);
  if (!orphans_only && m_opt.forward) {
    m_opt.forward();
  }
  if (!tree.ok()) {
    // As PID 1, kill(-1) reaches exactly the namespace: the whole tree. A
    // re-scan would only repeat it.
    bool broadcast = m_self == 1 && !orphans_only;
    report_scan_failure(tree.error(), m_opt.signal, broadcast);
    if (broadcast) {
      kill(-1, m_opt.signal);
      kill(-1, SIGCONT);
    }
    return;
  }
  pid_t skip_pgrp = m_opt.main_pid != 0 ? m_opt.main_pgrp : 0;
  StopContext ctx{m_self, m_opt.main_pid, skip_pgrp};
  TermTargets t = select_term_targets(*tree, ctx, m_signalled, orphans_only);
  for (pid_t p : t.covered) {
    m_signalled.insert(p);
  }
  for (pid_t p : t.term) {
    kill(p, m_opt.signal);
    m_signalled.insert(p);
  }
  // After the stop signals, so that a continued process finds its signal
  // pending and acts on it at once.
  for (pid_t p : t.cont) {
    kill(p, SIGCONT);
  }
  if (!t.term.empty() && m_events.signalled) {
    m_events.signalled(m_opt.signal, t.term, 0);
  }
}

void TreeStop::kill_pass() {
  std::unordered_set<pid_t> killed;
  for (int round = 0; round < k_kill_rounds; ++round) {
    Result<std::vector<ProcEntry>> tree = list_descendant_entries(m_self);
    if (!tree.ok()) {
      report_scan_failure(tree.error(), SIGKILL, m_self == 1);
      if (m_self == 1) {
        kill(-1, SIGKILL);
      }
      return;
    }
    std::vector<pid_t> fresh;
    for (pid_t p : select_kill_targets(*tree)) {
      if (killed.insert(p).second) {
        kill(p, SIGKILL);
        fresh.push_back(p);
      }
    }
    if (fresh.empty()) {
      return;
    }
    if (m_events.signalled) {
      m_events.signalled(SIGKILL, fresh, round);
    }
  }
}

void TreeStop::on_grace_expired() {
  m_grace_timer = 0;
  m_phase = Phase::k_killing;
  m_last_resort_timer = m_loop.add_timer_after(m_opt.kill_wait, [this] { on_last_resort(); });
  if (m_events.killing) {
    m_events.killing();
  }
  kill_pass();
}

void TreeStop::on_last_resort() {
  m_last_resort_timer = 0;
  m_phase = Phase::k_finished;
  if (m_events.abandoned) {
    m_events.abandoned();
  }
}

void TreeStop::finish() {
  m_loop.cancel_timer(m_grace_timer);
  m_loop.cancel_timer(m_last_resort_timer);
  m_grace_timer = 0;
  m_last_resort_timer = 0;
  m_phase = Phase::k_finished;
  if (m_events.done) {
    m_events.done();
  }
}

Status send_stop_signal(pid_t pid, int sig, bool group) {
  pid_t target = group ? -pid : pid;
  if (kill(target, sig) != 0) {
    return errno == ESRCH ? ok_status() : make_error(strerror(errno));
  }
  if (sig == SIGKILL || sig == SIGCONT || is_stop_signal(sig)) {
    return ok_status();
  }
  if (!group) {
    Result<ProcEntry> e = read_proc_entry(pid);
    if (e.ok() && e->state != 'T' && e->state != 't') {
      return ok_status();
    }
  }
  kill(target, SIGCONT);
  return ok_status();
}

}  // namespace tend
