#include "init/init_process.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "init/exit_status.h"
#include "init/signals.h"
#include "sys/exit_status.h"
#include "sys/signal_takeover.h"
#include "util/io.h"

namespace tend::init {

namespace {

std::string pid_list(const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t p : pids) {
    out += out.empty() ? "" : " ";
    out += std::to_string(p);
  }
  return out;
}

}  // namespace

void InitLog::write_line(int level, const std::string& msg) const {
  if (m_verbosity < level) {
    return;
  }
  write_all(STDERR_FILENO, fmt::format("tend: {}\n", msg));
}

InitProcess::InitProcess(EventLoop& loop, const InitOptions& options, const InitLog& log)
    : m_loop(loop), m_opt(options), m_log(log), m_self(getpid()), m_tree_stop(loop, stop_events()) {}

TreeStop::Events InitProcess::stop_events() {
  TreeStop::Events ev;
  ev.signalled = [this](int sig, const std::vector<pid_t>& pids, int round) { on_stop_signalled(sig, pids, round); };
  ev.scan_failed = [this](const std::string& error, int, bool) {
    m_log.warn(fmt::format("unable to list descendants: {}", error));
  };
  ev.done = [this] { finish(); };
  ev.abandoned = [this] { on_stop_abandoned(); };
  return ev;
}

Status InitProcess::start(SpawnedChild child) {
  Status s = route_catchable_signals(m_loop, [this](const signalfd_siginfo& info) { on_signal(info); });
  if (!s.ok()) {
    return s;
  }
  m_main = child.pid;
  m_exec_error = std::move(child.exec_error);
  m_log.info(fmt::format("started {} as pid {}", command_name(), m_main));
  return ok_status();
}

std::string InitProcess::command_name() const { return m_opt.command.empty() ? "?" : m_opt.command[0]; }

void InitProcess::inject_signal(int sig) { handle(sig); }

void InitProcess::on_signal(const signalfd_siginfo& info) {
  int sig = static_cast<int>(info.ssi_signo);
  // A signal tend raised against itself (SIGPIPE from writing to a closed
  // stderr) is tend's business, not the child's.
  if (raised_by_self(info, m_self)) {
    m_log.debug(fmt::format("ignored self-inflicted {}", signal_name(sig)));
    return;
  }
  handle(sig);
}

void InitProcess::handle(int sig) {
  switch (signal_action(sig)) {
    case SignalAction::k_reap:
      reap();
      return;
    case SignalAction::k_drop:
      m_log.debug(fmt::format("dropped {} (never forwarded)", signal_name(sig)));
      return;
    case SignalAction::k_forward:
      forward(sig);
      return;
    case SignalAction::k_forward_and_stop:
      if (m_tree_stop.phase() == TreeStop::Phase::k_idle) {
        begin_stop(signal_name(sig).c_str(), sig);  // forwards it after the stop's first scan
      } else {
        forward(sig);
      }
      return;
  }
}

bool InitProcess::forward(int sig) {
  if (m_main == 0) {
    m_log.debug(fmt::format("{} not forwarded: the main child is gone", signal_name(sig)));
    return false;
  }
  pid_t target = m_opt.group ? -m_main : m_main;
  if (kill(target, sig) != 0) {
    m_log.debug(fmt::format("unable to forward {} to {}: {}", signal_name(sig), target, strerror(errno)));
    return false;
  }
  m_log.debug(fmt::format("forwarded {} to {}", signal_name(sig), target));
  return true;
}

void InitProcess::reap() {
  ReapBatch batch = reap_children();
  bool was_stopping = m_tree_stop.active();
  bool main_exited = false;
  for (const ReapedChild& c : batch.children) {
    if (c.pid == m_main) {
      m_main = 0;
      m_main_status = c.status;
      main_exited = true;
      continue;
    }
    std::string msg = fmt::format("reaped orphan pid {} ({})", c.pid, wait_status_phrase(c.status));
    if (m_opt.warn_on_reap) {
      m_log.warn(msg);
    } else {
      m_log.debug(msg);
    }
  }
  if (main_exited) {
    on_main_exited(*m_main_status, batch.no_children);
  }
  if (m_loop.stopping()) {
    return;
  }
  if (was_stopping) {
    m_tree_stop.on_reaped(batch);  // finishes through its `done` event on ECHILD
  } else if (batch.no_children && m_main_status) {
    finish();
  }
}

void InitProcess::on_main_exited(int status, bool no_children) {
  int err = read_exec_error(m_exec_error);
  if (err != 0) {
    const std::string& cmd = command_name();
    const char* path = getenv("PATH");
    std::string where = path != nullptr ? fmt::format("PATH={}", path) : "PATH unset, searched /bin:/usr/bin";
    if (cmd.find('/') != std::string::npos) {
      m_log.error(fmt::format("unable to run {}: {}", cmd, strerror(err)));
    } else if (err == ENOENT) {
      m_log.error(fmt::format("unable to run {}: not found in {}", cmd, where));
    } else {
      m_log.error(fmt::format("unable to run {}: {} ({})", cmd, strerror(err), where));
    }
  } else {
    m_log.info(fmt::format("main child {} {}", command_name(), wait_status_phrase(status)));
  }
  if (no_children || m_tree_stop.phase() != TreeStop::Phase::k_idle) {
    return;  // reap() finishes, or the running stop continues
  }
  switch (m_opt.on_main_exit) {
    case MainExitPolicy::k_exit:
      m_log.info("other processes remain; exiting now (--on-main-exit=exit)");
      finish();
      return;
    case MainExitPolicy::k_wait:
      m_log.info("waiting for the remaining processes to exit (--on-main-exit=wait)");
      return;
    case MainExitPolicy::k_sweep:
      begin_stop("the main child exited");
      return;
  }
}

void InitProcess::begin_stop(const char* why, int forward_sig) {
  if (m_tree_stop.phase() != TreeStop::Phase::k_idle) {
    return;
  }
  m_log.info(fmt::format("stopping the process tree ({}); grace {}s", why, m_opt.grace_seconds));
  TreeStop::Options opt;
  opt.grace = seconds_d(m_opt.grace_seconds);
  opt.main_pid = m_main;
  opt.main_pgrp = m_opt.group ? m_main : 0;  // the child leads its own group (spawn.h)
  if (forward_sig != 0) {
    opt.forward = [this, forward_sig] { forward(forward_sig); };
  }
  m_tree_stop.begin(opt);
}

void InitProcess::on_stop_signalled(int sig, const std::vector<pid_t>& pids, int round) {
  if (sig != SIGKILL) {
    m_log.info(fmt::format("sent {} to {} process(es): {}", signal_name(sig), pids.size(), pid_list(pids)));
  } else if (round == 0 || m_log.enabled(3)) {
    m_log.warn(
        fmt::format("sent SIGKILL to {} process(es) still running after the grace: {}", pids.size(), pid_list(pids)));
  }
}

void InitProcess::on_stop_abandoned() {
  m_log.warn("processes survived SIGKILL; exiting without them");
  if (!m_main_status) {
    m_main_status = W_EXITCODE(0, SIGKILL);
  }
  finish();
}

void InitProcess::finish() {
  int code = apply_remap(exit_code_of(*m_main_status), m_opt.remap_to_zero);
  m_log.info(fmt::format("exiting with status {}", code));
  m_loop.stop(code);
}

}  // namespace tend::init
