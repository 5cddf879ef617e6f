#include "core/process_fsm.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <climits>
#include <cmath>

#include <fmt/format.h>

#include "sys/exit_status.h"
#include "util/signals.h"

namespace tend {

namespace {
// A process that keeps exiting after passing startsecs is restarted at most
// this often. supervisord's 1 s tick gives the same cadence by accident; here
// it is explicit, so a crash loop costs no CPU worth measuring.
constexpr double k_min_restart_interval_s = 1.0;
}  // namespace

using F = ProcessFsm;

// The state machine. Rows: states; columns: events.
// clang-format off
const ProcessFsm::Action ProcessFsm::k_table[k_fsm_states][k_fsm_events] = {
  //               Added         Start              Stop                 Shutdown             Exit                     Timer                  Ready                    Signal
  /* Stopped */   {&F::autostart, &F::spawn_now,     &F::refuse_stop,     &F::ignore,          &F::ignore,              &F::ignore,            &F::ignore,              &F::refuse_signal},
  /* Starting */  {&F::ignore,    &F::refuse_started, &F::stop_process,   &F::stop_process,    &F::exit_while_starting, &F::ready_timed_out,   &F::ready_while_starting, &F::signal_process},
  /* Running */   {&F::ignore,    &F::refuse_started, &F::stop_process,   &F::stop_process,    &F::exit_while_up,       &F::ignore,            &F::ready_while_running, &F::signal_process},
  /* Backoff */   {&F::ignore,    &F::refuse_started, &F::cancel_backoff, &F::give_up_backoff, &F::ignore,              &F::retry_spawn,       &F::ignore,              &F::refuse_signal},
  /* Stopping */  {&F::ignore,    &F::refuse_stopping, &F::refuse_stop,   &F::ignore,          &F::exit_while_stopping, &F::escalate_to_kill,  &F::ignore,              &F::signal_process},
  /* Exited */    {&F::ignore,    &F::spawn_now,     &F::refuse_stop,     &F::ignore,          &F::ignore,              &F::ignore,            &F::ignore,              &F::refuse_signal},
  /* RestartWait */{&F::ignore,   &F::spawn_now,     &F::cancel_restart,  &F::drop_restart,    &F::ignore,              &F::restart_now,       &F::ignore,              &F::refuse_signal},
  /* Fatal */     {&F::ignore,    &F::spawn_now,     &F::refuse_stop,     &F::ignore,          &F::ignore,              &F::ignore,            &F::ignore,              &F::refuse_signal},
  /* Unknown */   {&F::ignore,    &F::refuse_unknown, &F::refuse_stop,    &F::ignore,          &F::exit_while_up,       &F::ignore,            &F::ignore,              &F::refuse_signal},
  /* FailedStart */{&F::ignore,   &F::refuse_stopping, &F::abandon_retry,  &F::abandon_retry,   &F::exit_after_failed_start, &F::escalate_to_kill, &F::ignore,          &F::signal_process},
};
// clang-format on

ProcessState wire_state(FsmState s) {
  switch (s) {
    case FsmState::Stopped:
      return ProcessState::Stopped;
    case FsmState::Starting:
      return ProcessState::Starting;
    case FsmState::Running:
      return ProcessState::Running;
    case FsmState::Backoff:
      return ProcessState::Backoff;
    case FsmState::Stopping:
    case FsmState::FailedStart:
      return ProcessState::Stopping;
    case FsmState::Exited:
    case FsmState::RestartWait:
      return ProcessState::Exited;
    case FsmState::Fatal:
      return ProcessState::Fatal;
    case FsmState::Unknown:
      return ProcessState::Unknown;
  }
  return ProcessState::Unknown;
}

const char* fsm_state_name(FsmState s) {
  switch (s) {
    case FsmState::RestartWait:
      return "EXITED (restart pending)";
    case FsmState::FailedStart:
      return "STOPPING (not ready in time)";
    default:
      return state_name(wire_state(s));
  }
}

const char* fsm_event_name(FsmEvent e) {
  static constexpr const char* k_names[k_fsm_events] = {"added", "start", "stop", "shutdown",
                                                        "exit",  "timer", "ready", "signal"};
  return k_names[static_cast<int>(e)];
}

const char* state_name(ProcessState s) {
  switch (s) {
    case ProcessState::Stopped:
      return "STOPPED";
    case ProcessState::Starting:
      return "STARTING";
    case ProcessState::Running:
      return "RUNNING";
    case ProcessState::Backoff:
      return "BACKOFF";
    case ProcessState::Stopping:
      return "STOPPING";
    case ProcessState::Exited:
      return "EXITED";
    case ProcessState::Fatal:
      return "FATAL";
    case ProcessState::Unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

FsmParams FsmParams::from(const ProcessConfig& c) {
  FsmParams p;
  p.name = c.name;
  p.autostart = c.autostart;
  p.autorestart = c.autorestart;
  p.startsecs = c.startsecs;
  p.startretries = c.startretries;
  p.exitcodes = c.exitcodes;
  p.stopsignal = c.stopsignal;
  p.stopwaitsecs = c.stopwaitsecs;
  p.stopasgroup = c.stopasgroup;
  p.killasgroup = c.killasgroup;
  p.notify_ready = c.ready.kind != ProbeSpec::Kind::Running && c.ready.kind != ProbeSpec::Kind::None;
  p.ready_timeout = c.ready_timeout;
  p.backoff_max = c.backoff_max;
  p.backoff_reset = c.backoff_reset;
  p.restartpause = c.restartpause;
  p.oneshot = c.oneshot;
  return p;
}

double restart_delay(const FsmParams& p, int n, double jitter) {
  double wait = n;
  if (p.backoff_max > 0) {
    // 2^(n-1) is past any cap (a year at most) long before n reaches 62.
    wait = std::min(std::ldexp(1.0, std::clamp(n, 1, 62) - 1), p.backoff_max);
    wait *= 1 + std::clamp(jitter, -1.0, 1.0) / 10;
  }
  return std::max(wait, p.restartpause);
}

ProcessFsm::ProcessFsm(FsmParams params, ProcessOps& ops, const Clock& clock)
    : m_params(std::move(params)), m_ops(ops), m_clock(clock) {}

FsmReply ProcessFsm::dispatch(FsmEvent e, const Input& in) {
  Action action = k_table[static_cast<int>(m_state)][static_cast<int>(e)];
  return (this->*action)(in);
}

FsmReply ProcessFsm::timer() {
  if (!m_deadline || m_clock.now() < *m_deadline) {
    return {FsmAnswer::Ignored, {}};  // early wake-up; the owner re-arms for deadline()
  }
  m_deadline.reset();
  return dispatch(FsmEvent::Timer, {});
}

// --- refusals ------------------------------------------------------------------

FsmReply ProcessFsm::ignore(const Input&) { return {FsmAnswer::Ignored, {}}; }

FsmReply ProcessFsm::refuse_started(const Input&) { return {FsmAnswer::AlreadyStarted, {}}; }

FsmReply ProcessFsm::refuse_stopping(const Input&) {
  // supervisord tries to spawn, finds the old pid and only warns.
  m_ops.log(Level::Warn, fmt::format("process '{}' already running", m_params.name));
  return {FsmAnswer::StillStopping, {}};
}

FsmReply ProcessFsm::refuse_unknown(const Input&) { return {FsmAnswer::UnknownState, {}}; }

FsmReply ProcessFsm::refuse_stop(const Input&) {
  std::string msg = fmt::format("attempted to kill {} with sig {} but it wasn't running", m_params.name,
                                signal_name(m_params.stopsignal));
  m_ops.log(Level::Debug, msg);
  return {FsmAnswer::NotRunning, std::move(msg)};
}

FsmReply ProcessFsm::refuse_signal(const Input& in) {
  return {FsmAnswer::NotRunning,
          fmt::format("attempted to send {} sig {} but it wasn't running", m_params.name, signal_name(in.sig))};
}

// --- starting -------------------------------------------------------------------

FsmReply ProcessFsm::autostart(const Input& in) {
  if (m_ever_started || !m_params.autostart || m_shutting_down) {
    return ignore(in);
  }
  spawn();
  return {};
}

FsmReply ProcessFsm::spawn_now(const Input&) {
  m_crashes = 0;  // someone asked for this start: a new series
  spawn();
  return {};
}

FsmReply ProcessFsm::retry_spawn(const Input& in) {
  if (m_shutting_down) {
    return ignore(in);  // its stage's Shutdown event turns it FATAL
  }
  spawn();
  return {};
}

FsmReply ProcessFsm::restart_now(const Input&) {
  if (m_shutting_down) {
    enter(FsmState::Exited);
  } else {
    spawn();
  }
  return {};
}

FsmReply ProcessFsm::startsecs_passed(const Input&) {
  enter_running(fmt::format("process has stayed up for > than {} seconds (startsecs)", m_params.startsecs));
  return {};
}

FsmReply ProcessFsm::ready_timed_out(const Input& in) {
  if (!m_params.notify_ready) {
    return startsecs_passed(in);
  }
  m_spawnerr = fmt::format("not ready within {} seconds (ready_timeout)", m_params.ready_timeout);
  m_ops.log(Level::Warn, fmt::format("{} was {}; stopping it", m_params.name, m_spawnerr));
  kill(m_params.stopsignal, FsmState::FailedStart);
  return {};
}

FsmReply ProcessFsm::exit_after_failed_start(const Input& in) {
  std::string spawnerr = m_spawnerr;
  record_exit(in.wait_status);
  m_exitstatus = 0;
  m_spawnerr = spawnerr;
  m_ops.log(Level::Warn, fmt::format("exited: {} ({}; not ready in time)", m_params.name,
                                     describe_wait_status(in.wait_status)));
  enter_backoff();
  return {};
}

FsmReply ProcessFsm::abandon_retry(const Input&) {
  // Someone asked for the stop that is already under way: it ends STOPPED
  // (or, in a shutdown, without a retry) instead of in BACKOFF.
  m_state = FsmState::Stopping;
  return {};
}

bool ProcessFsm::extend_ready_deadline(double seconds) {
  if (m_state != FsmState::Starting || !m_params.notify_ready || !m_deadline || m_pid == 0) {
    return false;
  }
  MonoTime wanted = m_clock.now() + seconds_d(seconds);
  if (wanted > *m_deadline) {
    m_deadline = wanted;
  }
  return true;
}

FsmReply ProcessFsm::ready_while_starting(const Input&) {
  enter_running("process reported ready");
  set_ready(true);
  return {};
}

FsmReply ProcessFsm::ready_while_running(const Input&) {
  set_ready(true);
  return {};
}

// --- stopping -------------------------------------------------------------------

FsmReply ProcessFsm::stop_process(const Input&) {
  kill(m_params.stopsignal);
  return {};
}

FsmReply ProcessFsm::cancel_backoff(const Input&) {
  m_ops.log(Level::Debug, fmt::format("Attempted to kill {}, which is in BACKOFF state.", m_params.name));
  enter(FsmState::Stopped);
  return {};
}

FsmReply ProcessFsm::cancel_restart(const Input&) {
  enter(FsmState::Stopped);
  return {};
}

FsmReply ProcessFsm::give_up_backoff(const Input&) {
  m_backoff = 0;
  enter(FsmState::Fatal);
  return {};
}

FsmReply ProcessFsm::drop_restart(const Input&) {
  enter(FsmState::Exited);
  return {};
}

FsmReply ProcessFsm::escalate_to_kill(const Input&) {
  m_ops.log(Level::Warn, fmt::format("killing '{}' ({}) with SIGKILL", m_params.name, m_pid));
  kill(SIGKILL);
  return {};
}

FsmReply ProcessFsm::signal_process(const Input& in) {
  m_ops.log(Level::Debug, fmt::format("sending {} (pid {}) sig {}", m_params.name, m_pid, signal_name(in.sig)));
  Status st = m_ops.send_signal(m_pid, in.sig, false, false);
  if (!st) {
    return {FsmAnswer::Failed, st.error()};
  }
  return {};
}

// --- exits ----------------------------------------------------------------------

FsmReply ProcessFsm::exit_while_stopping(const Input& in) {
  record_exit(in.wait_status);
  m_ops.log(m_last_expected ? Level::Info : Level::Warn,
            fmt::format("stopped: {} ({})", m_params.name, describe_wait_status(in.wait_status)));
  enter(FsmState::Stopped);
  return {};
}

FsmReply ProcessFsm::exit_while_starting(const Input& in) {
  if (m_params.oneshot) {
    return oneshot_exited(in);
  }
  // With a readiness check, any exit before ready is a failed start.
  bool too_quickly = m_params.notify_ready || m_clock.now() - m_laststart < seconds_d(m_params.startsecs);
  if (!too_quickly) {
    return exit_while_up(in);  // exited in the instant startsecs ran out, before the timer ran
  }
  record_exit(in.wait_status);
  m_exitstatus = 0;
  m_spawnerr = "Exited too quickly (process log may have details)";
  m_ops.log(Level::Warn,
            fmt::format("exited: {} ({}; not expected)", m_params.name, describe_wait_status(in.wait_status)));
  enter_backoff();
  return {};
}

FsmReply ProcessFsm::oneshot_exited(const Input& in) {
  record_exit(in.wait_status);
  std::string status_text = describe_wait_status(in.wait_status);
  if (m_last_expected) {
    m_backoff = 0;
    m_ops.log(Level::Info, fmt::format("completed: {} ({})", m_params.name, status_text));
    enter(FsmState::Exited);
    return {};
  }
  m_spawnerr = fmt::format("one-shot run failed ({})", status_text);
  m_ops.log(Level::Warn, fmt::format("exited: {} ({}; not expected)", m_params.name, status_text));
  enter_backoff();
  return {};
}

FsmReply ProcessFsm::exit_while_up(const Input& in) {
  record_exit(in.wait_status);
  m_backoff = 0;
  if (m_state == FsmState::Starting) {
    enter(FsmState::Running);  // it did pass startsecs: show the RUNNING it reached
  }
  std::string status_text = describe_wait_status(in.wait_status);
  if (m_last_expected) {
    m_ops.log(Level::Info, fmt::format("exited: {} ({}; expected)", m_params.name, status_text));
  } else {
    m_spawnerr = fmt::format("Bad exit code {}", m_exitstatus);
    m_ops.log(Level::Warn, fmt::format("exited: {} ({}; not expected)", m_params.name, status_text));
  }
  enter(FsmState::Exited);
  restart_if_wanted();
  return {};
}

// --- shared steps -----------------------------------------------------------------

void ProcessFsm::enter(FsmState to, std::optional<MonoTime> deadline) {
  FsmState from = m_state;
  m_state = to;
  m_deadline = deadline;
  if (wire_state(from) != wire_state(to)) {
    m_ops.state_changed(StateChange{wire_state(from), wire_state(to), m_pid != 0 ? m_pid : m_last_pid, m_backoff,
                                    m_last_expected});
  }
}

void ProcessFsm::set_ready(bool ready) {
  if (m_ready != ready) {
    m_ready = ready;
    m_ops.readiness_changed(ready);
  }
}

void ProcessFsm::spawn() {
  m_spawnerr.clear();
  m_exitstatus = 0;
  m_laststart = m_clock.now();
  m_laststart_wall = m_clock.wall_now();
  m_ever_started = true;
  enter(FsmState::Starting);
  Result<pid_t> pid = m_ops.spawn();
  m_spawn_failed = !pid;
  if (!pid) {
    m_spawnerr = pid.error();
    m_ops.log(Level::Info, fmt::format("spawnerr: {}", m_spawnerr));
    enter_backoff();
    return;
  }
  m_pid = *pid;
  ++m_spawns;
  m_ops.log(Level::Info, fmt::format("spawned: '{}' with pid {}", m_params.name, m_pid));
  if (m_params.oneshot) {
    return;  // STARTING until it exits
  }
  if (m_params.notify_ready) {
    m_deadline = m_laststart + seconds_d(m_params.ready_timeout);
  } else if (m_params.startsecs <= 0) {
    startsecs_passed({});
  } else {
    m_deadline = m_laststart + seconds_d(m_params.startsecs);
  }
}

void ProcessFsm::enter_running(const std::string& why) {
  m_backoff = 0;
  enter(FsmState::Running);
  if (!m_params.notify_ready) {
    set_ready(true);
  }
  m_ops.log(Level::Info, fmt::format("success: {} entered RUNNING state, {}", m_params.name, why));
}

void ProcessFsm::enter_backoff() {
  if (m_backoff < INT_MAX) {
    ++m_backoff;
  }
  enter(FsmState::Backoff);
  if (m_params.startretries >= 0 && m_backoff > m_params.startretries) {
    m_ops.log(Level::Info,
              fmt::format("gave up: {} entered FATAL state, too many start retries too quickly", m_params.name));
    give_up_backoff({});
    return;
  }
  if (m_shutting_down) {
    give_up_backoff({});
    return;
  }
  m_deadline = m_clock.now() + seconds_d(wait_before_restart(m_backoff));
}

double ProcessFsm::wait_before_restart(int n) {
  return restart_delay(m_params, n, m_params.backoff_max > 0 ? m_ops.jitter() : 0);
}

std::optional<double> ProcessFsm::restart_in() const {
  if ((m_state != FsmState::Backoff && m_state != FsmState::RestartWait) || !m_deadline) {
    return std::nullopt;
  }
  return std::max(0.0, std::chrono::duration<double>(*m_deadline - m_clock.now()).count());
}

void ProcessFsm::kill(int sig, FsmState as) {
  // STOPPING already: this is the SIGKILL, which killasgroup governs.
  bool stopping = m_state == FsmState::Stopping || m_state == FsmState::FailedStart;
  bool group = stopping ? m_params.killasgroup : m_params.stopasgroup;
  if (stopping) {
    as = m_state;  // escalating keeps the kind of stop
  }
  m_ops.log(Level::Debug, fmt::format("killing {} (pid {}) {}with signal {}", m_params.name, m_pid,
                                      group ? "process group " : "", signal_name(sig)));
  enter(as, m_clock.now() + seconds_d(m_params.stopwaitsecs));
  Status st = m_ops.send_signal(m_pid, sig, group, true);
  if (!st) {
    m_ops.log(Level::Critical, fmt::format("unknown problem killing {} ({}):{}", m_params.name, m_pid, st.error()));
    enter(FsmState::Unknown);
  }
}

void ProcessFsm::record_exit(int wait_status) {
  m_laststop_wall = m_clock.wall_now();
  m_last_pid = m_pid;
  m_pid = 0;
  m_deadline.reset();
  m_exitstatus = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  // A death by signal is never expected.
  m_last_expected = WIFEXITED(wait_status) && exit_code_expected(m_exitstatus);
  set_ready(false);
}

bool ProcessFsm::restart_wanted() const {
  return !m_params.oneshot &&
         (m_params.autorestart == AutoRestart::Always ||
          (m_params.autorestart == AutoRestart::Unexpected && !exit_code_expected(m_exitstatus)));
}

bool ProcessFsm::ended_for_good() const {
  return m_state == FsmState::Exited && !m_shutting_down && (m_params.oneshot || !restart_wanted());
}

bool ProcessFsm::exit_code_expected(int code) const {
  return std::find(m_params.exitcodes.begin(), m_params.exitcodes.end(), code) != m_params.exitcodes.end();
}

void ProcessFsm::restart_if_wanted() {
  if (m_shutting_down) {
    return;
  }
  if (!restart_wanted()) {
    return;
  }
  MonoTime now = m_clock.now();
  // With backoff_max, a run shorter than backoff_reset continues the crash
  // series (and its backoff); a longer one ends it.
  if (m_params.backoff_max > 0 && now - m_laststart < seconds_d(m_params.backoff_reset)) {
    m_crashes = m_crashes < INT_MAX ? m_crashes + 1 : m_crashes;
  } else {
    m_crashes = 0;
  }
  double wait = m_crashes > 0 ? wait_before_restart(m_crashes) : m_params.restartpause;
  MonoTime earliest = std::max(m_laststart + seconds_d(k_min_restart_interval_s), now + seconds_d(wait));
  if (now >= earliest) {
    spawn();
    return;
  }
  enter(FsmState::RestartWait, earliest);
}

}  // namespace tend
