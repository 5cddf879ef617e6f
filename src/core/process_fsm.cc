#include "core/process_fsm.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

#include <fmt/format.h>

#include "util/signals.h"

namespace tend {

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
  return p;
}

namespace {
// A process that keeps exiting after passing startsecs is restarted at most
// this often. supervisord's 1 s tick gives the same cadence by accident; here
// it is explicit, so a crash loop costs no CPU worth measuring.
constexpr double k_min_restart_interval_s = 1.0;
}  // namespace

ProcessFsm::ProcessFsm(FsmParams params, ProcessOps& ops, const Clock& clock)
    : m_params(std::move(params)), m_ops(ops), m_clock(clock) {}

void ProcessFsm::change_state(ProcessState to) {
  ProcessState from = m_state;
  if (from == to) {
    return;
  }
  m_state = to;
  m_ops.state_changed(from, to);
}

// --- events ---------------------------------------------------------------

void ProcessFsm::added() {
  if (m_state == ProcessState::Stopped && !m_ever_started && m_params.autostart && !m_shutting_down) {
    spawn();
  }
}

bool ProcessFsm::start() {
  switch (m_state) {
    case ProcessState::Stopped:
    case ProcessState::Exited:
    case ProcessState::Fatal:
    case ProcessState::Backoff:
      spawn();
      return true;
    default:
      return false;
  }
}

Status ProcessFsm::stop() {
  if (m_state == ProcessState::Backoff) {
    m_ops.log(Level::Debug, fmt::format("Attempted to kill {}, which is in BACKOFF state.", m_params.name));
    m_deadline.reset();
    change_state(ProcessState::Stopped);
    return ok_status();
  }
  if (m_state == ProcessState::Exited && m_restart_pending) {
    // An autorestart was waiting; an admin stop cancels it.
    m_restart_pending = false;
    m_deadline.reset();
    change_state(ProcessState::Stopped);
    return ok_status();
  }
  if (m_pid == 0 || !(m_state == ProcessState::Running || m_state == ProcessState::Starting)) {
    std::string msg = fmt::format("attempted to kill {} with sig {} but it wasn't running", m_params.name,
                                  signal_name(m_params.stopsignal));
    m_ops.log(Level::Debug, msg);
    return make_error(msg);
  }
  kill(m_params.stopsignal);
  return ok_status();
}

void ProcessFsm::stop_for_shutdown() {
  m_shutting_down = true;
  if (m_state == ProcessState::Backoff) {
    give_up();
  } else if (m_state == ProcessState::Exited && m_restart_pending) {
    m_restart_pending = false;
    m_deadline.reset();
  } else if (m_state == ProcessState::Running || m_state == ProcessState::Starting) {
    kill(m_params.stopsignal);
  }
}

void ProcessFsm::exited(int wait_status) {
  MonoTime now = m_clock.now();
  std::string status_text = describe_wait_status(wait_status);
  int es = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  bool expected = exit_expected(wait_status);
  bool too_quickly = now - m_laststart < seconds_d(m_params.startsecs);
  m_laststop_wall = m_clock.wall_now();
  m_pid = 0;
  m_deadline.reset();

  if (m_killing) {
    // The answer to a stop request.
    m_killing = false;
    m_exitstatus = es;
    m_ops.log(expected ? Level::Info : Level::Warn, fmt::format("stopped: {} ({})", m_params.name, status_text));
    change_state(ProcessState::Stopped);
    return;
  }
  if (m_state == ProcessState::Starting && too_quickly) {
    m_exitstatus = 0;
    m_spawnerr = "Exited too quickly (process log may have details)";
    m_ops.log(Level::Warn, fmt::format("exited: {} ({}; not expected)", m_params.name, status_text));
    enter_backoff();
    return;
  }
  // It was up long enough: an exit on its own.
  m_backoff = 0;
  m_exitstatus = es;
  if (m_state == ProcessState::Starting) {
    // Exited in the instant its startsecs ran out, before the timer fired.
    change_state(ProcessState::Running);
  }
  if (expected) {
    m_ops.log(Level::Info, fmt::format("exited: {} ({}; expected)", m_params.name, status_text));
  } else {
    m_spawnerr = fmt::format("Bad exit code {}", es);
    m_ops.log(Level::Warn, fmt::format("exited: {} ({}; not expected)", m_params.name, status_text));
  }
  change_state(ProcessState::Exited);
  schedule_restart_if_wanted();
}

void ProcessFsm::timer() {
  if (!m_deadline) {
    return;
  }
  MonoTime now = m_clock.now();
  if (now < *m_deadline) {
    return;  // early wake-up; the owner re-arms for deadline()
  }
  m_deadline.reset();
  switch (m_state) {
    case ProcessState::Starting:
      m_backoff = 0;
      change_state(ProcessState::Running);
      m_ops.log(Level::Info,
                fmt::format("success: {} entered RUNNING state, process has stayed up for > than {} seconds (startsecs)",
                            m_params.name, m_params.startsecs));
      break;
    case ProcessState::Backoff:
      if (!m_shutting_down) {
        spawn();
      }
      break;
    case ProcessState::Stopping:
      m_ops.log(Level::Warn, fmt::format("killing '{}' ({}) with SIGKILL", m_params.name, m_pid));
      kill(SIGKILL);
      break;
    case ProcessState::Exited:
      if (m_restart_pending && !m_shutting_down) {
        m_restart_pending = false;
        spawn();
      }
      break;
    default:
      break;
  }
}

Status ProcessFsm::signal(int sig) {
  if (m_pid == 0 || !is_signallable_state(m_state)) {
    return make_error(fmt::format("attempted to send {} sig {} but it wasn't running", m_params.name, signal_name(sig)));
  }
  m_ops.log(Level::Debug, fmt::format("sending {} (pid {}) sig {}", m_params.name, m_pid, signal_name(sig)));
  return m_ops.send_signal(m_pid, sig, false);
}

// --- transitions ------------------------------------------------------------

void ProcessFsm::spawn() {
  if (m_pid != 0) {
    m_ops.log(Level::Warn, fmt::format("process '{}' already running", m_params.name));
    return;
  }
  m_killing = false;
  m_restart_pending = false;
  m_spawnerr.clear();
  m_exitstatus = 0;
  m_laststart = m_clock.now();
  m_laststart_wall = m_clock.wall_now();
  m_ever_started = true;
  m_deadline.reset();
  change_state(ProcessState::Starting);
  Result<pid_t> pid = m_ops.spawn();
  if (!pid) {
    m_spawnerr = pid.error();
    m_ops.log(Level::Info, fmt::format("spawnerr: {}", m_spawnerr));
    enter_backoff();
    return;
  }
  m_pid = *pid;
  m_ops.log(Level::Info, fmt::format("spawned: '{}' with pid {}", m_params.name, m_pid));
  if (m_params.startsecs <= 0) {
    m_backoff = 0;
    change_state(ProcessState::Running);
    m_ops.log(Level::Info,
              fmt::format("success: {} entered RUNNING state, process has stayed up for > than {} seconds (startsecs)",
                          m_params.name, m_params.startsecs));
  } else {
    m_deadline = m_laststart + seconds_d(m_params.startsecs);
  }
}

void ProcessFsm::enter_backoff() {
  ++m_backoff;
  change_state(ProcessState::Backoff);
  if (m_backoff > m_params.startretries) {
    m_ops.log(Level::Info,
              fmt::format("gave up: {} entered FATAL state, too many start retries too quickly", m_params.name));
    give_up();
    return;
  }
  if (m_shutting_down) {
    give_up();
    return;
  }
  m_deadline = m_clock.now() + seconds_d(m_backoff);
}

void ProcessFsm::give_up() {
  m_deadline.reset();
  m_backoff = 0;
  change_state(ProcessState::Fatal);
}

void ProcessFsm::kill(int sig) {
  bool group = m_state == ProcessState::Stopping ? m_params.killasgroup : m_params.stopasgroup;
  m_ops.log(Level::Debug, fmt::format("killing {} (pid {}) {}with signal {}", m_params.name, m_pid,
                                         group ? "process group " : "", signal_name(sig)));
  m_killing = true;
  m_deadline = m_clock.now() + seconds_d(m_params.stopwaitsecs);
  change_state(ProcessState::Stopping);
  Status st = m_ops.send_signal(m_pid, sig, group);
  if (!st) {
    m_ops.log(Level::Critical, fmt::format("unknown problem killing {} ({}):{}", m_params.name, m_pid, st.error()));
    m_killing = false;
    m_deadline.reset();
    change_state(ProcessState::Unknown);
  }
}

bool ProcessFsm::exit_expected(int wait_status) const {
  if (!WIFEXITED(wait_status)) {
    return false;  // a death by signal is never expected
  }
  int code = WEXITSTATUS(wait_status);
  return std::find(m_params.exitcodes.begin(), m_params.exitcodes.end(), code) != m_params.exitcodes.end();
}

void ProcessFsm::schedule_restart_if_wanted() {
  if (m_shutting_down) {
    return;
  }
  bool wanted = m_params.autorestart == AutoRestart::Always ||
                (m_params.autorestart == AutoRestart::Unexpected &&
                 std::find(m_params.exitcodes.begin(), m_params.exitcodes.end(), m_exitstatus) ==
                     m_params.exitcodes.end());
  if (!wanted) {
    return;
  }
  MonoTime earliest = m_laststart + seconds_d(k_min_restart_interval_s);
  if (m_clock.now() >= earliest) {
    spawn();
    return;
  }
  m_restart_pending = true;
  m_deadline = earliest;
}

}  // namespace tend
