#include "core/sweep.h"

#include <signal.h>
#include <unistd.h>

#include "log/logger.h"
#include "sys/descendants.h"
#include "util/signals.h"

namespace tend {

Sweep::Sweep(EventLoop& loop, Callbacks cb)
    : m_cb(std::move(cb)),
      m_stop(loop, TreeStop::Events{
                       [this](int sig, const std::vector<pid_t>& pids, int) {
                         for (pid_t pid : pids) {
                           if (sig == SIGKILL) {
                             main_logger().warn("killing leftover process {} with SIGKILL (shutdown_grace of {}s elapsed)",
                                                pid, m_grace);
                           } else {
                             main_logger().info("sent {} to leftover process {}", signal_name(sig), pid);
                           }
                         }
                       },
                       [](const std::string& error, int sig, bool broadcast) {
                         if (broadcast) {
                           main_logger().warn("unable to list leftover processes ({}); signalling all with {}", error,
                                              signal_name(sig));
                         } else {
                           main_logger().warn("unable to list leftover processes: {}", error);
                         }
                       },
                       [this] { m_cb.killing(); },
                       [this] { m_cb.done(); },
                       [this] {
                         main_logger().warn(
                             "processes survived SIGKILL (uninterruptible sleep?); exiting without waiting for them");
                         m_cb.done();
                       }}) {}

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
      if (e.pgrp == pgid && e.pid != pgid && e.state != 'Z' && m_group_signalled.count(e.pid) == 0) {
        if (send_stop_signal(e.pid, sig, false)) {
          m_group_signalled.insert(e.pid);
          m_stop.note_signalled(e.pid);
          main_logger().info("sent {} to pid {}, left behind in the process group of pid {}", signal_name(sig), e.pid,
                             pgid);
        }
      }
    }
  }
}

void Sweep::begin(double grace_s) {
  m_grace = grace_s;
  main_logger().info("all programs stopped; waiting up to {}s for leftover processes", grace_s);
  TreeStop::Options o;
  o.grace = seconds_d(grace_s);
  m_stop.begin(o);
}

void Sweep::reaped(const ReapBatch& batch) {
  if (m_stop.active()) {
    m_stop.on_reaped(batch);
  }
}

}  // namespace tend
