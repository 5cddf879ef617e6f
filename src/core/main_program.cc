#include "core/main_program.h"

#include <fmt/format.h>

#include "core/supervisor.h"
#include "sys/exit_status.h"

namespace tend {


bool is_main_program(const ProcessConfig& pc, const std::string& main_program) {
  return !main_program.empty() && (pc.name == main_program || pc.group + ":" + pc.name == main_program);
}

MainProgram::MainProgram(Supervisor& sup) : m_sup(sup) {
  m_sub = sup.bus().subscribe(mask_of(EventKind::ProcessState),
                              [this](const Event& e) { on_state(std::get<ProcessStateChanged>(e)); });
}

void MainProgram::on_state(const ProcessStateChanged& e) {
  if (m_sup.state() != SupervisorState::Running ||
      (e.to != ProcessState::Exited && e.to != ProcessState::Fatal) ||
      !is_main_program(e.process->config(), m_sup.config().supervisord.main_program)) {
    return;
  }
  const Process& p = *e.process;
  int code = p.has_exited() ? exit_code_of(p.last_wait_status()) : 127;
  m_sup.set_exit_code(code);
  m_sup.request_shutdown(fmt::format("main program {} ended ({}), exit status {}", p.name(),
                                     p.has_exited() ? describe_wait_status(p.last_wait_status()) : p.fsm().spawnerr(),
                                     code));
}

}  // namespace tend
