// ExitPolicy: when tend ends by itself, and with which status (tend additions,
// docs/config.md "Lifecycle policies"). A subscriber of process state changes;
// it acts only while the supervisor runs normally, by asking for a shutdown
// (every other program is stopped gracefully, in order) with an exit code.
//
//   main_program = x   x's exit or FATAL, whatever its autorestart (which is
//                      forced off: its exit ends tend instead)
//   critical = true    the program goes FATAL or exits for good (autorestart
//                      does not restart it); a one-shot that completed is
//                      not an end
//   exit_when = any_exited   any program that is not scheduled ends as a
//                      critical one would
//   exit_when = all_exited   no process runs, starts, backs off, stops or
//                      waits to restart, and no program is scheduled; the
//                      status is the first failure's (FATAL or an unexpected
//                      exit), else 0
//
// The status of one program: its exit code, 128+N when signal N killed it,
// 127 when it could not be spawned at all.
#pragma once

#include <optional>
#include <string>

#include "config/model.h"
#include "core/event_bus.h"
#include "sys/coalesced_call.h"

namespace tend {

class Supervisor;
class Process;

// Whether `pc` is the main program named by `main_program` ("name" or "group:name").
bool is_main_program(const ProcessConfig& pc, const std::string& main_program);

// The status tend exits with when `p`'s end ends tend.
int exit_status_of(const Process& p);

class ExitPolicy {
 public:
  explicit ExitPolicy(Supervisor& sup);

 private:
  void on_state(const ProcessStateChanged& e);
  void check_all_exited();
  void end(const Process& p, const char* why);

  Supervisor& m_sup;
  EventBus::Subscription m_sub;
  CoalescedCall m_all_exited;
  std::optional<int> m_first_failure;  // exit status of the first program that failed
};

}  // namespace tend
