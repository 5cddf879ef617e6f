// TreeStop: the graceful stop of every process below tend, on the EventLoop.
// Init mode runs it on TERM/INT or when the main child exits; config mode runs
// it as the shutdown sweep once every program is down. Targets are chosen by
// sys/tree_stop_policy.h; this object adds the signals, the timers and the end.
//
//   idle         begin() not called yet
//   terminating  begin(): the stop signal to every descendant but the main
//                child, SIGCONT to the stopped ones; after each reap, the same
//                for processes that became tend's own children meanwhile
//   killing      grace expired: SIGKILL to every descendant, in rounds (a
//                round finds what not-yet-killed processes forked during the
//                previous one), again after each reap, since a killed parent's
//                unseen children come back to tend
//   finished     done (ECHILD: nothing below tend is left) or abandoned (the
//                last-resort deadline, kill_wait after the first SIGKILL, has
//                passed with something left: only a process in uninterruptible
//                sleep survives SIGKILL that long). tend never waits forever.
//
// Descendants come from /proc (sys/descendants.h). Without a /proc for tend's
// PID namespace, tend as PID 1 signals kill(-1, sig), which reaches exactly
// the namespace; otherwise it can only wait for its own children.
//
// Contract: the owner reaps (sys/reaper.h) and hands every batch to
// on_reaped() while active(). Events run synchronously from begin(),
// on_reaped() and the timers; they may stop the loop but must not destroy the
// TreeStop. Time comes only from the loop's timers.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "sys/event_loop.h"
#include "sys/reaper.h"
#include "util/clock.h"
#include "util/result.h"

namespace tend {

class TreeStop {
 public:
  enum class Phase { k_idle, k_terminating, k_killing, k_finished };

  struct Options {
    int signal = SIGTERM;
    Duration grace = std::chrono::seconds(5);      // stop signal -> SIGKILL
    Duration kill_wait = std::chrono::seconds(2);  // first SIGKILL -> abandoned
    // Init mode: the main child, which got the forwarded signal already (so
    // only a SIGCONT if stopped); 0 = none. Forgotten once reaped.
    pid_t main_pid = 0;
    // Init -g: the group that got the forwarded signal with the main child;
    // its members are not signalled again while the main child lives.
    pid_t main_pgrp = 0;
    // Called once by begin(), after the first scan and before its signals:
    // init mode forwards the signal it received to the main child here. Sent
    // before the scan, it can end the main child while the walk runs, and
    // the children it leaves re-parent to tend behind the walk: unseen, and
    // with -g then signalled a second time once they are tend's.
    std::function<void()> forward;
  };

  // Every member is optional. The words are the caller's: sys does not log.
  struct Events {
    // `pids` were just sent `sig`: the stop signal (round 0), or SIGKILL in
    // kill round `round` (0 = the first round of a pass).
    std::function<void(int sig, const std::vector<pid_t>& pids, int round)> signalled;
    // The first failed /proc scan of this stop. `broadcast`: tend is PID 1 and
    // used kill(-1, sig) instead.
    std::function<void(const std::string& error, int sig, bool broadcast)> scan_failed;
    std::function<void()> killing;    // the grace has passed: the SIGKILL phase begins
    std::function<void()> done;       // no child left: the stop is complete
    std::function<void()> abandoned;  // last-resort deadline passed with children left
  };

  TreeStop(EventLoop& loop, Events events);
  ~TreeStop();
  TreeStop(const TreeStop&) = delete;
  TreeStop& operator=(const TreeStop&) = delete;

  // Starts the stop (idle only; later calls are ignored): the first pass and
  // the grace timer. Calls `done` before returning when tend has no child.
  void begin(const Options& options);
  // Records pids that already got a stop signal from the caller (config mode:
  // a program's group leftovers): no stop signal from this stop.
  void note_signalled(pid_t pid) { m_signalled.insert(pid); }
  // After each reap while active(): forgets a reaped main child, finishes on
  // ECHILD, else re-scans (terminating: only after a reap; killing: always).
  void on_reaped(const ReapBatch& batch);

  Phase phase() const { return m_phase; }
  bool active() const { return m_phase == Phase::k_terminating || m_phase == Phase::k_killing; }

 private:
  void term_pass(bool orphans_only);
  void kill_pass();
  void on_grace_expired();
  void on_last_resort();
  void finish();
  void report_scan_failure(const std::string& error, int sig, bool broadcast);

  EventLoop& m_loop;
  Events m_events;
  Options m_opt;
  pid_t m_self;
  Phase m_phase = Phase::k_idle;
  bool m_scan_reported = false;
  std::unordered_set<pid_t> m_signalled;  // got the stop signal (or the group signal) in this stop
  EventLoop::TimerId m_grace_timer = 0;
  EventLoop::TimerId m_last_resort_timer = 0;
};

// Sends `sig` to pid, or to its process group when `group`, and then SIGCONT
// when needed so that a stopped process acts on it now instead of when someone
// continues it: for a single pid only if /proc shows it stopped (or /proc is
// unusable), for a group always (a running process ignores SIGCONT unless it
// handles it). No SIGCONT after SIGKILL, SIGCONT or a stop signal. For stop
// requests only: a signal a user sends on purpose (SIGSTOP included) goes out
// as is. ESRCH (already gone) is success; any other error is the bare reason,
// for the caller's own message.
Status send_stop_signal(pid_t pid, int sig, bool group);

}  // namespace tend
