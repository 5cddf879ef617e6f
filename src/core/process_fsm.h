// ProcessFsm: the life of one supervised process, as supervisord defines it
// (STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL, UNKNOWN),
// but driven by events and one deadline instead of a 1 s polling tick.
//
// Pure: it never makes a syscall. It asks ProcessOps to spawn, signal and log,
// and reads time from a Clock. Its owner feeds it events (start, stop, exit,
// timer) and, after each one, arms a timer for deadline() if there is one.
// Every transition is in process_fsm.cc, in one place per event.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "config/model.h"
#include "util/clock.h"
#include "core/process_state.h"
#include "log/level.h"
#include "util/result.h"

namespace tend {

// The outside world, as the state machine sees it.
class ProcessOps {
 public:
  virtual ~ProcessOps() = default;
  // Creates the process. The error text becomes the spawnerr ("can't find command 'x'").
  virtual Result<pid_t> spawn() = 0;
  // kill(pid, sig), or kill(-pid, sig) when `group`. ESRCH counts as success
  // (the exit will be reaped); any other failure is returned as text.
  virtual Status send_signal(pid_t pid, int sig, bool group) = 0;
  virtual void log(Level level, const std::string& message) = 0;
  // Called after every state change (events, RPC waiters).
  virtual void state_changed(ProcessState from, ProcessState to) = 0;
};

struct FsmParams {
  std::string name;
  bool autostart = true;
  AutoRestart autorestart = AutoRestart::Unexpected;
  int startsecs = 1;
  int startretries = 3;
  std::vector<int> exitcodes{0};
  int stopsignal = 15;
  int stopwaitsecs = 10;
  bool stopasgroup = false;
  bool killasgroup = false;

  static FsmParams from(const ProcessConfig& c);
};

class ProcessFsm {
 public:
  ProcessFsm(FsmParams params, ProcessOps& ops, const Clock& clock);

  // --- events ---
  // Autostart when the process is added: STOPPED and never started -> spawn.
  void added();
  // Administrative start (RPC/ctl). Spawns from STOPPED, EXITED, FATAL or BACKOFF.
  // Returns false (and does nothing) in any other state.
  bool start();
  // Administrative stop. RUNNING/STARTING -> STOPPING (stop signal, kill deadline);
  // BACKOFF -> STOPPED with no signal. Error text when there is nothing to stop.
  Status stop();
  // Shutdown or reload: BACKOFF -> FATAL ("give up"), RUNNING/STARTING -> stop().
  void stop_for_shutdown();
  // The pid was reaped with this wait status. The owner drains the output pipes first.
  void exited(int wait_status);
  // deadline() has passed.
  void timer();
  // Send an arbitrary signal to the pid (RPC signalProcess); no state change.
  Status signal(int sig);
  // While shutting down nothing is (re)started automatically.
  void set_shutting_down(bool v) { m_shutting_down = v; }

  // --- state ---
  ProcessState state() const { return m_state; }
  pid_t pid() const { return m_pid; }
  // The next moment timer() must be called, if any.
  std::optional<MonoTime> deadline() const { return m_deadline; }
  const std::string& spawnerr() const { return m_spawnerr; }
  int exitstatus() const { return m_exitstatus; }  // 0 when none
  double laststart_wall() const { return m_laststart_wall; }
  double laststop_wall() const { return m_laststop_wall; }
  bool ever_started() const { return m_ever_started; }
  int backoff() const { return m_backoff; }
  const FsmParams& params() const { return m_params; }
  // Replace the parameters (same name); takes effect from the next event.
  void set_params(FsmParams p) { m_params = std::move(p); }

 private:
  void spawn();
  void change_state(ProcessState to);
  void enter_backoff();
  void give_up();
  void kill(int sig);
  bool exit_expected(int wait_status) const;
  void schedule_restart_if_wanted();

  FsmParams m_params;
  ProcessOps& m_ops;
  const Clock& m_clock;
  ProcessState m_state = ProcessState::Stopped;
  pid_t m_pid = 0;
  bool m_killing = false;          // a stop signal was sent; the exit is the answer
  bool m_shutting_down = false;
  bool m_ever_started = false;
  bool m_restart_pending = false;  // EXITED with a deferred autorestart
  int m_backoff = 0;
  int m_exitstatus = 0;
  std::string m_spawnerr;
  MonoTime m_laststart{};
  double m_laststart_wall = 0;
  double m_laststop_wall = 0;
  std::optional<MonoTime> m_deadline;
};

}  // namespace tend
