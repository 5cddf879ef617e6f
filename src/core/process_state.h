// Process states, numbered as supervisord numbers them (they are on the wire).
#pragma once

namespace tend {

enum class ProcessState : int {
  Stopped = 0,
  Starting = 10,
  Running = 20,
  Backoff = 30,
  Stopping = 40,
  Exited = 100,
  Fatal = 200,
  Unknown = 1000,
};

const char* state_name(ProcessState s);

// STOPPED, EXITED, FATAL, UNKNOWN: nothing is running and nothing will start by itself soon.
inline bool is_stopped_state(ProcessState s) {
  return s == ProcessState::Stopped || s == ProcessState::Exited || s == ProcessState::Fatal ||
         s == ProcessState::Unknown;
}
// STARTING, RUNNING, BACKOFF: the process is wanted up.
inline bool is_running_state(ProcessState s) {
  return s == ProcessState::Starting || s == ProcessState::Running || s == ProcessState::Backoff;
}
// STARTING, RUNNING, STOPPING: there is a live pid to signal.
inline bool is_signallable_state(ProcessState s) {
  return s == ProcessState::Starting || s == ProcessState::Running || s == ProcessState::Stopping;
}

}  // namespace tend
