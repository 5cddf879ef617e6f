// LoopProber: the real probes, on the event loop. Connections are
// non-blocking sockets watched by the loop; an exec probe is a child started
// with core's spawn_process whose exit the supervisor's one reaper reports
// (WatchChild); a file probe is one stat(2). Nothing here blocks or polls.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "health/probe.h"
#include "sys/event_loop.h"

namespace tend::health {

class LoopProber final : public Prober {
 public:
  // Hands a child's pid to the reaper; `on_exit` gets its wait status
  // (Supervisor::watch_child). It may run after the attempt is gone.
  using WatchChild = std::function<void(pid_t pid, std::function<void(int wait_status)> on_exit)>;
  LoopProber(EventLoop& loop, WatchChild watch, std::string hosts_path = "/etc/hosts");

  std::unique_ptr<ProbeAttempt> start(const ProbeSpec& spec, const ProbeContext& ctx, Duration timeout,
                                      ProbeDone done) override;

 private:
  EventLoop& m_loop;
  WatchChild m_watch;
  std::string m_hosts_path;
};

}  // namespace tend::health
