#include "core/exit_policy.h"

#include <fmt/format.h>

#include "core/dependency_scheduler.h"
#include "core/supervisor.h"
#include "sys/exit_status.h"

namespace tend {

namespace {

// A process that runs or will run by itself.
bool is_active(const Process& p) {
  switch (p.fsm().fsm_state()) {
    case FsmState::Starting:
    case FsmState::Running:
    case FsmState::Backoff:
    case FsmState::Stopping:
    case FsmState::RestartWait:
    case FsmState::FailedStart:
    case FsmState::Unknown:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool is_main_program(const ProcessConfig& pc, const std::string& main_program) {
  return !main_program.empty() && (pc.name == main_program || pc.group + ":" + pc.name == main_program);
}

int exit_status_of(const Process& p) {
  // An earlier run's exit is not this end's status when the last start never made a process.
  return p.has_exited() && !p.fsm().last_spawn_failed() ? exit_code_of(p.last_wait_status()) : 127;
}

ExitPolicy::ExitPolicy(Supervisor& sup) : m_sup(sup), m_all_exited(sup.loop(), [this] { check_all_exited(); }) {
  m_sub = sup.bus().subscribe(mask_of(EventKind::ProcessState),
                              [this](const Event& e) { on_state(std::get<ProcessStateChanged>(e)); });
}

void ExitPolicy::on_state(const ProcessStateChanged& e) {
  if (m_sup.state() != SupervisorState::Running) {
    return;
  }
  const Process& p = *e.process;
  const ProcessConfig& cfg = p.config();
  const SupervisordConfig& sd = m_sup.config().supervisord;
  bool fatal = e.to == ProcessState::Fatal;
  bool exited = e.to == ProcessState::Exited;
  if ((fatal || exited) && is_main_program(cfg, sd.main_program)) {
    end(p, "main program");
    return;
  }
  // FATAL, or an exit autorestart does not follow with a restart; a
  // completed one-shot did what it is for.
  bool ended = fatal || (exited && p.fsm().ended_for_good() && !p.fsm().completed());
  if (ended && !m_first_failure && (fatal || !p.exited_expected())) {
    m_first_failure = exit_status_of(p);
  }
  if (ended && cfg.critical) {
    end(p, "critical program");
    return;
  }
  if (ended && sd.exit_when == SupervisordConfig::ExitWhen::AnyExited && cfg.schedule.empty()) {
    end(p, "program (exit_when = any_exited)");
    return;
  }
  if (sd.exit_when == SupervisordConfig::ExitWhen::AllExited && is_stopped_state(e.to)) {
    m_all_exited.request();
  }
}

void ExitPolicy::check_all_exited() {
  if (m_sup.state() != SupervisorState::Running ||
      m_sup.config().supervisord.exit_when != SupervisordConfig::ExitWhen::AllExited) {
    return;
  }
  if (m_sup.dependencies().settling()) {
    m_all_exited.request();  // after the scheduler has started what it releases
    return;
  }
  bool pending = false;
  m_sup.table().for_each([&](const Group&, const Process& p) {
    // A held process cannot start once nothing else runs: what it waits
    // for will not change by itself.
    pending = pending || is_active(p) || !p.config().schedule.empty();
  });
  if (pending) {
    return;
  }
  int code = m_first_failure.value_or(0);
  m_sup.set_exit_code(code);
  m_sup.request_shutdown(fmt::format("every program has exited (exit_when = all_exited), exit status {}", code));
}

void ExitPolicy::end(const Process& p, const char* why) {
  int code = exit_status_of(p);
  m_sup.set_exit_code(code);
  m_sup.request_shutdown(fmt::format("{} {} ended ({}), exit status {}", why, p.name(),
                                     code == 127 && p.fsm().last_spawn_failed()
                                         ? p.fsm().spawnerr()
                                         : describe_wait_status(p.last_wait_status()),
                                     code));
}

}  // namespace tend
