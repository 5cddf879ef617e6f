// MainProgram: tend's main_program= (a tend extension). When that process
// ends by itself (EXITED or FATAL) while tend runs normally, tend shuts down
// and exits with its status: 128+N when killed by signal N, 127 when it could
// not be spawned. A subscriber of process state changes.
#pragma once

#include <string>

#include "config/model.h"
#include "core/event_bus.h"

namespace tend {

class Supervisor;

// Whether `pc` is the main program named by `main_program` ("name" or "group:name").
bool is_main_program(const ProcessConfig& pc, const std::string& main_program);

class MainProgram {
 public:
  explicit MainProgram(Supervisor& sup);

 private:
  void on_state(const ProcessStateChanged& e);

  Supervisor& m_sup;
  EventBus::Subscription m_sub;
};

}  // namespace tend
