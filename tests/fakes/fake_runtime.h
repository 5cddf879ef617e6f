// FakeRuntime: a ProcessRuntime that starts nothing. spawn() hands out fake
// pids with real pipes (so output and stdin paths work) and kill() records.
// A test ends a "process" by calling Supervisor::child_exited(pid, status).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "core/process.h"

namespace tend {

class FakeRuntime final : public ProcessRuntime {
 public:
  struct Kill {
    pid_t target;
    int sig;
    bool operator==(const Kill&) const = default;
  };

  Result<Spawned> spawn(const SpawnSpec& spec) override {
    if (auto it = fail.find(spec.command); it != fail.end()) {
      return make_error(it->second);
    }
    int in[2];
    int out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC | O_NONBLOCK) != 0) {
      return make_error("pipe failed");
    }
    Spawned s;
    s.pid = next_pid++;
    s.stdin_w = Fd(in[1]);
    s.stdout_r = Fd(out[0]);
    child_stdin[s.pid] = Fd(in[0]);
    child_stdout[s.pid] = Fd(out[1]);
    spawned.push_back(s.pid);
    commands[s.pid] = spec.command;
    extra_env[s.pid] = spec.extra_env;
    for (const SpawnSpec::ExtraFd& e : spec.extra_fds) {
      extra_fds[s.pid][e.child_fd] = Fd(fcntl(e.fd, F_DUPFD_CLOEXEC, 3));
    }
    return s;
  }
  int kill(pid_t target, int sig) override {
    kills.push_back({target, sig});
    return 0;
  }
  // The signals sent to `pid` (or its group), in order.
  std::vector<int> signals_to(pid_t pid) const {
    std::vector<int> out;
    for (const Kill& k : kills) {
      if (k.target == pid || k.target == -pid) {
        out.push_back(k.sig);
      }
    }
    return out;
  }

  pid_t next_pid = 10000;
  std::map<std::string, std::string> fail;  // command -> spawn error
  std::vector<pid_t> spawned;
  std::map<pid_t, std::string> commands;
  std::map<pid_t, Fd> child_stdin;   // the child's ends, kept open like a live child would
  std::map<pid_t, Fd> child_stdout;
  std::map<pid_t, EnvList> extra_env;                 // SpawnSpec::extra_env of each spawn
  std::map<pid_t, std::map<int, Fd>> extra_fds;       // the child's copy of each extra fd, by its number there
  std::vector<Kill> kills;
};

}  // namespace tend
