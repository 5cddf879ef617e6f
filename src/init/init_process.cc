#include "util/io.h"
#include "init/init_process.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

#include "sys/descendants.h"
#include "init/exit_status.h"
#include "init/signals.h"
#include "init/tree_stop.h"

namespace tend::init {

namespace {

// How long tend waits for SIGKILLed processes to be reaped before it gives up
// on them (they can only survive in uninterruptible sleep) and exits anyway.
constexpr std::chrono::seconds k_kill_wait{2};
// Rounds of scan+KILL per pass: each round can only find processes forked by
// not-yet-killed ones in the previous round, so a few rounds settle it.
constexpr int k_kill_rounds = 4;

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by {}", signal_name(WTERMSIG(status)));
  }
  return fmt::format("exited with status {}", WEXITSTATUS(status));
}

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
    : m_loop(loop), m_opt(options), m_log(log), m_self(getpid()) {}

Status InitProcess::start(SpawnedChild child) {
  for (int sig : catchable_signals()) {
    Status s = m_loop.handle_signal(sig, [this](const signalfd_siginfo& info) { on_signal(info); });
    if (!s.ok()) {
      return s;
    }
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
  if (static_cast<pid_t>(info.ssi_pid) == m_self && sig != SIGCHLD &&
      (info.ssi_code == SI_USER || info.ssi_code == SI_TKILL)) {
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
      forward(sig);
      begin_stop(signal_name(sig).c_str());
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
  bool main_exited = false;
  bool reaped_other = false;
  bool no_children = false;
  while (true) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
    if (pid > 0) {
      if (pid == m_main) {
        m_main = 0;
        m_main_status = status;
        main_exited = true;
      } else {
        reaped_other = true;
        std::string msg = fmt::format("reaped orphan pid {} ({})", pid, describe_status(status));
        if (m_opt.warn_on_reap) {
          m_log.warn(msg);
        } else {
          m_log.debug(msg);
        }
      }
      continue;
    }
    if (pid < 0 && errno == EINTR) {
      continue;
    }
    no_children = pid < 0;  // ECHILD: nothing at all is left below tend
    break;
  }
  if (main_exited) {
    on_main_exited(*m_main_status, no_children);
  }
  if (m_loop.stopping()) {
    return;
  }
  if (no_children && m_main_status) {
    finish();
    return;
  }
  if (m_killing) {
    kill_pass();
  } else if (m_stopping && (reaped_other || main_exited)) {
    term_pass(true);
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
    m_log.info(fmt::format("main child {} {}", command_name(), describe_status(status)));
  }
  if (no_children || m_stopping) {
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

void InitProcess::begin_stop(const char* why) {
  if (m_stopping) {
    return;
  }
  m_stopping = true;
  m_log.info(fmt::format("stopping the process tree ({}); grace {}s", why, m_opt.grace_seconds));
  m_grace_timer = m_loop.add_timer_after(seconds_d(m_opt.grace_seconds), [this] { on_grace_expired(); });
  term_pass(false);
}

void InitProcess::term_pass(bool orphans_only) {
  Result<std::vector<ProcEntry>> tree = list_descendant_entries(m_self);
  if (!tree.ok()) {
    if (!m_proc_warned) {
      m_proc_warned = true;
      m_log.warn(fmt::format("unable to list descendants: {}", tree.error()));
    }
    // As PID 1, kill(-1) reaches exactly the namespace: the whole tree.
    if (m_self == 1 && !orphans_only) {
      kill(-1, SIGTERM);
      kill(-1, SIGCONT);
    }
    return;
  }
  StopContext ctx{m_self, m_main, m_opt.group && m_main != 0 ? m_main : 0};
  TermTargets t = select_term_targets(*tree, ctx, m_signalled, orphans_only);
  for (pid_t p : t.covered) {
    m_signalled.insert(p);
  }
  for (pid_t p : t.term) {
    kill(p, SIGTERM);
    m_signalled.insert(p);
  }
  for (pid_t p : t.cont) {
    kill(p, SIGCONT);
  }
  if (!t.term.empty()) {
    m_log.info(fmt::format("sent SIGTERM to {} process(es): {}", t.term.size(), pid_list(t.term)));
  }
}

void InitProcess::kill_pass() {
  std::unordered_set<pid_t> killed;
  for (int round = 0; round < k_kill_rounds; ++round) {
    Result<std::vector<ProcEntry>> tree = list_descendant_entries(m_self);
    if (!tree.ok()) {
      if (m_self == 1) {
        kill(-1, SIGKILL);
      }
      return;
    }
    std::vector<pid_t> fresh;
    for (pid_t p : select_kill_targets(*tree)) {
      if (killed.insert(p).second) {
        kill(p, SIGKILL);
        fresh.push_back(p);
      }
    }
    if (fresh.empty()) {
      return;
    }
    if (round == 0 || m_log.enabled(3)) {
      m_log.warn(fmt::format("sent SIGKILL to {} process(es) still running after the grace: {}", fresh.size(),
                             pid_list(fresh)));
    }
  }
}

void InitProcess::on_grace_expired() {
  m_grace_timer = 0;
  m_killing = true;
  kill_pass();
  m_last_resort_timer = m_loop.add_timer_after(k_kill_wait, [this] {
    m_last_resort_timer = 0;
    m_log.warn("processes survived SIGKILL; exiting without them");
    if (!m_main_status) {
      m_main_status = W_EXITCODE(0, SIGKILL);
    }
    finish();
  });
}

void InitProcess::finish() {
  m_loop.cancel_timer(m_grace_timer);
  m_loop.cancel_timer(m_last_resort_timer);
  m_grace_timer = 0;
  m_last_resort_timer = 0;
  int code = apply_remap(exit_code_from_wait_status(*m_main_status), m_opt.remap_to_zero);
  m_log.info(fmt::format("exiting with status {}", code));
  m_loop.stop(code);
}

}  // namespace tend::init
