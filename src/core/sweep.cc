#include "core/sweep.h"

#include <signal.h>
#include <unistd.h>

#include "log/logger.h"
#include "sys/descendants.h"
#include "util/signals.h"

namespace tend {

Sweep::~Sweep() { m_loop.cancel_timer(m_grace_timer); }

void Sweep::signal_group_leftovers(const std::vector<std::pair<pid_t, int>>& groups) {
  // Whatever is left in a program's group descends from the program, and its
  // orphans come back to us (PID 1 or a child subreaper): our own tree holds
  // them all, and walking it is cheaper than reading every process on the machine.
  Result<std::vector<ProcEntry>> table = list_descendant_entries(getpid());
  if (!table) {
    return;
  }
  for (const ProcEntry& e : *table) {
    for (const auto& [pgid, sig] : groups) {
      if (e.pgrp == pgid && e.pid != pgid && e.state != 'Z' && m_swept.count(e.pid) == 0) {
        if (::kill(e.pid, sig) == 0) {
          m_swept.insert(e.pid);
          main_logger().info("sent {} to pid {}, left behind in the process group of pid {}", signal_name(sig), e.pid,
                             pgid);
        }
      }
    }
  }
}

void Sweep::begin(double grace_s) {
  if (m_active) {
    return;
  }
  m_active = true;
  m_grace = grace_s;
}

void Sweep::arm() {
  if (m_done || m_grace_timer != 0) {
    return;
  }
  main_logger().info("all programs stopped; waiting up to {}s for leftover processes", m_grace);
  m_grace_timer = m_loop.add_timer_after(seconds_d(m_grace), [this] {
    m_grace_timer = 0;
    if (m_cb.killing) {
      m_cb.killing();
    }
    kill_rest();
  });
}

void Sweep::reaped(bool no_children) {
  if (!m_active || m_done) {
    return;
  }
  if (!no_children) {
    signal_new(SIGTERM);  // no children means no descendants: nothing to scan for
    return;
  }
  m_done = true;
  m_loop.cancel_timer(m_grace_timer);
  m_grace_timer = 0;
  m_cb.done();
}

void Sweep::signal_new(int sig) {
  Result<std::vector<ProcEntry>> entries = list_descendant_entries(getpid());
  if (!entries) {
    // No usable /proc (a PID namespace without its own /proc mounted). As
    // PID 1 every process in the namespace is ours to stop.
    if (m_is_pid1 && m_swept.insert(-1).second) {
      main_logger().warn("unable to list leftover processes ({}); signalling all with {}", entries.error(),
                         signal_name(sig));
      ::kill(-1, sig);
    }
    return;
  }
  for (const ProcEntry& e : *entries) {
    if (e.state == 'Z' || m_swept.count(e.pid) != 0) {
      continue;
    }
    if (::kill(e.pid, sig) == 0) {
      m_swept.insert(e.pid);
      main_logger().info("sent {} to leftover process {}", signal_name(sig), e.pid);
    }
  }
}

void Sweep::kill_rest() {
  Result<std::vector<ProcEntry>> entries = list_descendant_entries(getpid());
  if (!entries) {
    if (m_is_pid1) {
      ::kill(-1, SIGKILL);
    }
    return;
  }
  for (const ProcEntry& e : *entries) {
    if (e.state != 'Z') {
      main_logger().warn("killing leftover process {} with SIGKILL (shutdown_grace of {}s elapsed)", e.pid, m_grace);
      ::kill(e.pid, SIGKILL);
    }
  }
}

}  // namespace tend
