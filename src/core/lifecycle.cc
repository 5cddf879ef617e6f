#include "core/lifecycle.h"

namespace tend {

using L = Lifecycle;

// clang-format off
const Lifecycle::Action Lifecycle::k_table[k_supervisor_states][k_lifecycle_events] = {
  //                Shutdown             Restart                ProcessDown    SweepKilling   SweepDone
  /* Running */    {&L::begin_stopping,  &L::begin_restarting,  &L::ignore,    &L::ignore,    &L::ignore},
  /* Restarting */ {&L::begin_stopping,  &L::ignore,            &L::advance,   &L::ignore,    &L::ignore},
  /* Stopping */   {&L::ignore,          &L::ignore,            &L::advance,   &L::ignore,    &L::ignore},
  /* Sweeping */   {&L::ignore,          &L::ignore,            &L::ignore,    &L::escalate,  &L::end},
  /* Killing */    {&L::ignore,          &L::ignore,            &L::ignore,    &L::ignore,    &L::end},
  /* Done */       {&L::ignore,          &L::ignore,            &L::ignore,    &L::ignore,    &L::ignore},
};
// clang-format on

bool Lifecycle::handle(LifecycleEvent e) {
  Action a = k_table[static_cast<int>(m_state)][static_cast<int>(e)];
  return (this->*a)();
}

void Lifecycle::enter(SupervisorState to) {
  SupervisorState from = m_state;
  if (from == to) {
    return;
  }
  m_state = to;
  m_hooks.entered(from, to);
}

bool Lifecycle::begin_stopping() {
  enter(SupervisorState::Stopping);
  return advance();
}

bool Lifecycle::begin_restarting() {
  enter(SupervisorState::Restarting);
  return advance();
}

bool Lifecycle::advance() {
  if (std::optional<StopStage> stage = m_hooks.live_stage()) {
    m_hooks.stop_stage(*stage);
    return true;
  }
  if (m_state == SupervisorState::Restarting) {
    enter(SupervisorState::Running);
    m_hooks.restart_now();
    return true;
  }
  enter(SupervisorState::Sweeping);
  m_hooks.begin_sweep();
  return true;
}

bool Lifecycle::escalate() {
  enter(SupervisorState::Killing);
  return true;
}

bool Lifecycle::end() {
  enter(SupervisorState::Done);
  m_hooks.finish();
  return true;
}

}  // namespace tend
