// ProcessFsm: the life of one supervised process, as supervisord defines it,
// driven by events and one deadline instead of a 1 s polling tick.
//
// Pure: it never makes a syscall. It asks ProcessOps to spawn, signal and log,
// and reads time from a Clock. Its owner feeds it events and, after each one,
// arms a timer for deadline() if there is one.
//
// The whole behaviour is the table k_table in process_fsm.cc: one row per
// state, one column per event, one named action per cell; every cell has a
// unit test. The states are supervisord's (their numbers are on the wire),
// plus RestartWait: an EXITED process whose automatic restart waits (for the
// minimum restart interval, restartpause, or the backoff of a crash loop). It
// reports EXITED, what supervisord shows between an exit and its restart; that
// it will restart by itself is explicit instead of a flag beside the state.
//
// Restart policy (tend's keys; without them supervisord's rules hold): a
// failed start waits 1, 2, 3... s before the next attempt, or, with
// backoff_max, 1, 2, 4... s capped at backoff_max, each within +-10 % (the
// jitter comes from ProcessOps, so tests choose it). startretries = -1 never
// gives up. With backoff_max, a run that ends within backoff_reset seconds
// of its start is a crash: the n-th crash in a row waits as the n-th failed
// start would, and a longer run resets the count. restartpause is the least
// wait before any automatic restart.
//
// Readiness is an attribute, not a state. Without a readiness check a process
// is ready once RUNNING (startsecs passed). With one (notify_ready: sd_notify,
// a notification fd, a probe), STARTING lasts until the Ready event, which
// makes it RUNNING and ready; if ready_timeout passes first, the start has
// failed: the process is stopped (FailedStart, reported as STOPPING) and goes
// to BACKOFF once it is down, so startretries and FATAL apply as to a process
// that exited too quickly.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/model.h"
#include "core/process_state.h"
#include "log/level.h"
#include "util/clock.h"
#include "util/result.h"

namespace tend {

enum class FsmState : uint8_t {
  Stopped,
  Starting,
  Running,
  Backoff,
  Stopping,
  Exited,
  RestartWait,  // EXITED, restarting once the minimum interval has passed
  Fatal,
  Unknown,
  FailedStart,  // STOPPING a process that was not ready in time; BACKOFF once down
};
constexpr int k_fsm_states = 10;
enum class FsmEvent : uint8_t { Added, Start, Stop, Shutdown, Exit, Timer, Ready, Signal };
constexpr int k_fsm_events = 8;

// The state reported over XML-RPC and in events (RestartWait is EXITED).
ProcessState wire_state(FsmState s);
const char* fsm_state_name(FsmState s);
const char* fsm_event_name(FsmEvent e);

// What an event did. Done: acted (the state may or may not have changed;
// look at it). The others say why nothing was done.
enum class FsmAnswer : uint8_t {
  Done,
  Ignored,         // the event means nothing in this state
  AlreadyStarted,  // Start while STARTING, RUNNING or BACKOFF
  StillStopping,   // Start while STOPPING: the old pid is still there
  UnknownState,    // Start while UNKNOWN
  NotRunning,      // Stop or Signal without a process to act on
  Failed,          // Signal: kill(2) failed (error says why)
};
struct FsmReply {
  FsmAnswer answer = FsmAnswer::Done;
  std::string error;  // Failed, NotRunning: supervisord's wording
  bool done() const { return answer == FsmAnswer::Done; }
};

// One change of the reported state, with what supervisord's events carry.
struct StateChange {
  ProcessState from;
  ProcessState to;
  pid_t pid;      // the live pid, or the one that just exited
  int tries;      // spawn attempts of the current BACKOFF series
  bool expected;  // to == EXITED: the exit code is in exitcodes
};

// The outside world, as the state machine sees it.
class ProcessOps {
 public:
  virtual ~ProcessOps() = default;
  // Creates the process. The error text becomes the spawnerr ("can't find command 'x'").
  virtual Result<pid_t> spawn() = 0;
  // A signal to pid, or to its process group when `group`. ESRCH counts as
  // success (the exit will be reaped); any other failure is returned as text.
  // `wake`: a stop signal, to be followed by SIGCONT so that a stopped
  // (SIGSTOP'ed) process runs and can act on it.
  virtual Status send_signal(pid_t pid, int sig, bool group, bool wake) = 0;
  virtual void log(Level level, const std::string& message) = 0;
  // After every change of the reported state.
  virtual void state_changed(const StateChange& change) = 0;
  // After every change of ready().
  virtual void readiness_changed(bool ready) = 0;
  // A uniformly random number in [-1, 1]: where in its +-10 % band an
  // exponential backoff wait falls.
  virtual double jitter() = 0;
};

struct FsmParams {
  std::string name;
  bool autostart = true;
  AutoRestart autorestart = AutoRestart::Unexpected;
  int startsecs = 1;
  int startretries = 3;  // -1: no limit, never FATAL
  std::vector<int> exitcodes{0};
  int stopsignal = 15;
  int stopwaitsecs = 10;
  bool stopasgroup = false;
  bool killasgroup = false;
  // A readiness check decides when STARTING ends (the Ready event), not
  // startsecs; not ready within ready_timeout seconds is a failed start.
  bool notify_ready = false;
  double ready_timeout = 60;
  // Restart policy (the file comment; docs/config.md). 0: supervisord's
  // linear backoff, and a crash after startsecs restarts at once.
  double backoff_max = 0;
  double backoff_reset = 60;
  double restartpause = 0;
  // A one-shot program stays STARTING while it runs; an exit with a code in
  // exitcodes completes it (EXITED, never restarted), any other exit is a
  // failed start (BACKOFF, then FATAL after startretries). startsecs and
  // autorestart do not apply.
  bool oneshot = false;

  // One of tend's restart keys is in use (then descriptions show the waits).
  bool tend_restart_policy() const { return backoff_max > 0 || restartpause > 0 || startretries < 0; }

  static FsmParams from(const ProcessConfig& c);
};

// Seconds to wait before automatic restart `n` (1: the first) of a series of
// failed starts or crashes: n (linear), or, with backoff_max, 2^(n-1) capped
// at backoff_max and scaled by 1 + jitter/10 (jitter in [-1, 1]); never less
// than restartpause.
double restart_delay(const FsmParams& p, int n, double jitter);

class ProcessFsm {
 public:
  ProcessFsm(FsmParams params, ProcessOps& ops, const Clock& clock);

  // --- events (the columns of the table) ---
  // The process was added to the supervisor: autostart if never started.
  FsmReply added() { return dispatch(FsmEvent::Added, {}); }
  // Administrative start.
  FsmReply start() { return dispatch(FsmEvent::Start, {}); }
  // Administrative stop (RPC, update): also cancels a BACKOFF or a waiting restart.
  FsmReply stop() { return dispatch(FsmEvent::Stop, {}); }
  // Shutdown or restart of the supervisor: BACKOFF gives up (FATAL), a
  // waiting restart is dropped, a live process is stopped.
  FsmReply stop_for_shutdown() { return dispatch(FsmEvent::Shutdown, {}); }
  // The pid was reaped with this wait status. The owner drains the pipes first.
  FsmReply exited(int wait_status) { return dispatch(FsmEvent::Exit, {wait_status, 0}); }
  // deadline() has passed (an early call is ignored).
  FsmReply timer();
  // The program reported that it is ready.
  FsmReply ready_reported() { return dispatch(FsmEvent::Ready, {}); }
  // Sends an arbitrary signal (signalProcess); no state change.
  FsmReply signal(int sig) { return dispatch(FsmEvent::Signal, {0, sig}); }
  // sd_notify's EXTEND_TIMEOUT_USEC: while STARTING with a readiness check,
  // the ready deadline becomes at least now + seconds (never earlier than it
  // was). Not an event of the table: no state changes, only the one deadline
  // STARTING has moves. False (and nothing changes) in any other case.
  bool extend_ready_deadline(double seconds);

  // An input from the supervisor, not a state of this process: while the
  // supervisor stops, nothing is (re)started automatically.
  void set_shutting_down(bool v) { m_shutting_down = v; }

  // --- state ---
  FsmState fsm_state() const { return m_state; }
  ProcessState state() const { return wire_state(m_state); }
  pid_t pid() const { return m_pid; }
  bool ready() const { return m_ready; }
  // A Start event would spawn now: STOPPED, EXITED (a waiting restart
  // included) or FATAL.
  bool accepts_start() const {
    return m_state == FsmState::Stopped || m_state == FsmState::Exited || m_state == FsmState::RestartWait ||
           m_state == FsmState::Fatal;
  }
  // The next moment timer() must be called, if any.
  std::optional<MonoTime> deadline() const { return m_deadline; }
  const std::string& spawnerr() const { return m_spawnerr; }
  // The last start attempt could not create the process (no exit to report).
  bool last_spawn_failed() const { return m_spawn_failed; }
  int exitstatus() const { return m_exitstatus; }  // 0 when none
  double laststart_wall() const { return m_laststart_wall; }
  double laststop_wall() const { return m_laststop_wall; }
  bool ever_started() const { return m_ever_started; }
  // Processes created so far (spawn attempts that failed not counted); the
  // ones after the first are restarts, automatic or asked for.
  uint64_t spawns() const { return m_spawns; }
  // Failed starts of the current BACKOFF series (supervisord's tries).
  int backoff() const { return m_backoff; }
  // Runs in a row that ended within backoff_reset of their start (counted
  // with backoff_max only); an administrative start begins a new count.
  int crashes() const { return m_crashes; }
  // EXITED by itself and no automatic restart follows: a one-shot that
  // completed, or an exit autorestart does not restart. False while tend
  // shuts down (every exit then is final) and in any other state.
  bool ended_for_good() const;
  // A one-shot program that completed: EXITED with an expected exit.
  bool completed() const { return m_params.oneshot && m_state == FsmState::Exited && m_last_expected; }
  // Seconds until the automatic restart that BACKOFF or RestartWait waits
  // for (0 once due); nullopt in any other state.
  std::optional<double> restart_in() const;
  const FsmParams& params() const { return m_params; }
  // Replace the parameters (same name); takes effect from the next event.
  void set_params(FsmParams p) { m_params = std::move(p); }

 private:
  struct Input {
    int wait_status = 0;
    int sig = 0;
  };
  using Action = FsmReply (ProcessFsm::*)(const Input&);
  static const Action k_table[k_fsm_states][k_fsm_events];

  FsmReply dispatch(FsmEvent e, const Input& in);

  // --- actions (the cells) ---
  FsmReply ignore(const Input&);
  FsmReply refuse_started(const Input&);
  FsmReply refuse_stopping(const Input&);
  FsmReply refuse_unknown(const Input&);
  FsmReply refuse_stop(const Input&);
  FsmReply refuse_signal(const Input&);
  FsmReply autostart(const Input&);
  FsmReply spawn_now(const Input&);
  FsmReply stop_process(const Input&);
  FsmReply cancel_backoff(const Input&);
  FsmReply cancel_restart(const Input&);
  FsmReply give_up_backoff(const Input&);
  FsmReply drop_restart(const Input&);
  FsmReply exit_while_stopping(const Input&);
  FsmReply exit_while_starting(const Input&);
  FsmReply exit_while_up(const Input&);
  FsmReply oneshot_exited(const Input&);
  FsmReply startsecs_passed(const Input&);
  FsmReply retry_spawn(const Input&);
  FsmReply escalate_to_kill(const Input&);
  FsmReply ready_timed_out(const Input&);
  FsmReply exit_after_failed_start(const Input&);
  FsmReply abandon_retry(const Input&);
  FsmReply restart_now(const Input&);
  FsmReply ready_while_starting(const Input&);
  FsmReply ready_while_running(const Input&);
  FsmReply signal_process(const Input&);

  // --- shared steps ---
  void enter(FsmState to, std::optional<MonoTime> deadline = std::nullopt);
  void set_ready(bool ready);
  void spawn();
  void enter_backoff();
  void enter_running(const std::string& why);
  void kill(int sig, FsmState as = FsmState::Stopping);
  void record_exit(int wait_status);
  void restart_if_wanted();
  double wait_before_restart(int n);  // restart_delay with a jitter from m_ops
  bool exit_code_expected(int code) const;
  bool restart_wanted() const;  // autorestart's answer for the exit just recorded

  FsmParams m_params;
  ProcessOps& m_ops;
  const Clock& m_clock;
  FsmState m_state = FsmState::Stopped;
  pid_t m_pid = 0;
  pid_t m_last_pid = 0;         // the pid that exited last (for its events)
  bool m_last_expected = false; // that exit's code was in exitcodes
  bool m_ready = false;
  bool m_shutting_down = false;
  bool m_ever_started = false;
  bool m_spawn_failed = false;
  int m_backoff = 0;
  int m_crashes = 0;
  int m_exitstatus = 0;
  uint64_t m_spawns = 0;
  std::string m_spawnerr;
  MonoTime m_laststart{};
  double m_laststart_wall = 0;
  double m_laststop_wall = 0;
  std::optional<MonoTime> m_deadline;
};

}  // namespace tend
