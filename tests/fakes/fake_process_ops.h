// FakeProcessOps: records what the state machine asked for; spawn results are scripted.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "core/process_fsm.h"

namespace tend {

class FakeProcessOps final : public ProcessOps {
 public:
  struct Sent {
    pid_t pid;
    int sig;
    bool group;
    bool wake = false;  // a stop signal (the runtime follows it with SIGCONT)
    bool operator==(const Sent&) const = default;
  };

  Result<pid_t> spawn() override {
    ++spawns;
    if (!spawn_errors.empty()) {
      std::string e = spawn_errors.front();
      spawn_errors.pop_front();
      if (!e.empty()) {
        return make_error(e);
      }
    }
    return next_pid++;
  }
  Status send_signal(pid_t pid, int sig, bool group, bool wake) override {
    sent.push_back({pid, sig, group, wake});
    if (!signal_error.empty()) {
      return make_error(signal_error);
    }
    return ok_status();
  }
  void log(Level level, const std::string& message) override {
    if (level >= Level::Info) {
      logs.push_back(message);
    }
  }
  void state_changed(const StateChange& c) override {
    transitions.push_back({c.from, c.to});
    changes.push_back(c);
  }
  void readiness_changed(bool ready) override { readiness.push_back(ready); }
  // Scripted: each call takes the next value, then `jitter_value` once they run out.
  double jitter() override {
    ++jitter_calls;
    if (!jitters.empty()) {
      double j = jitters.front();
      jitters.pop_front();
      return j;
    }
    return jitter_value;
  }

  bool logged(const std::string& fragment) const {
    for (const auto& l : logs) {
      if (l.find(fragment) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  int spawns = 0;
  pid_t next_pid = 100;
  std::deque<std::string> spawn_errors;  // "" = success for that attempt
  std::string signal_error;
  std::vector<Sent> sent;
  std::vector<std::string> logs;
  std::vector<std::pair<ProcessState, ProcessState>> transitions;
  std::vector<StateChange> changes;
  std::vector<bool> readiness;
  std::deque<double> jitters;
  double jitter_value = 0;
  int jitter_calls = 0;
};

}  // namespace tend
