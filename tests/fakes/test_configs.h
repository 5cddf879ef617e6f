// Small builders of configurations for supervisor tests: one program per
// group, no log files, no console output.
#pragma once

#include <string>
#include <vector>

#include "config/model.h"

namespace tend::test_support {

// A program `name` in its own group `name`.
inline ProcessConfig program_config(const std::string& name, const std::string& command, int priority = 999,
                                    int startsecs = 0) {
  ProcessConfig p;
  p.name = name;
  p.group = name;
  p.program = name;
  p.command = command;
  p.priority = priority;
  p.startsecs = startsecs;
  p.stdout_ch.logfile.kind = LogTarget::Kind::None;
  p.stderr_ch.logfile.kind = LogTarget::Kind::None;
  return p;
}

// One group per program, each with the program's priority.
inline Config config_of(std::vector<ProcessConfig> procs, double shutdown_grace = 2.0) {
  Config c;
  c.supervisord.shutdown_grace = shutdown_grace;
  c.supervisord.console_output = SupervisordConfig::ConsoleOutput::Off;
  for (auto& p : procs) {
    GroupConfig g;
    g.name = p.group;
    g.priority = p.priority;
    g.processes.push_back(p);
    c.groups.push_back(g);
  }
  return c;
}

}  // namespace tend::test_support
