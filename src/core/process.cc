#include "core/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "log/logger.h"
#include "sys/tree_stop.h"

namespace tend {

namespace {
// All pipes share one read buffer: reads happen on the loop thread only, and each
// chunk is handed on before the next read. Its pages are touched only once a
// program writes that much in one go.
constexpr size_t k_read_chunk = 128 * 1024;
alignas(4096) char g_read_buffer[k_read_chunk];
// Reads per readiness event: enough to empty a grown pipe in a few events, few
// enough that a chatty program cannot starve the others.
constexpr int k_reads_per_event = 4;
// A read that finds at least the default capacity (64 KiB) waiting means the
// writer outpaces us; such a pipe grows to k_busy_pipe_size so the writer runs
// ahead instead of blocking every 64 KiB (each block costs both sides a sleep
// and a wake-up: about half of the context switches of a 1 GiB copy go away).
// 256 KiB measured faster than 1 MiB (1 GiB to a file: 2.8 vs 2.1 GB/s median),
// presumably because the ring and the read buffer then stay in cache. Quiet
// pipes keep the default: an unprivileged user's pipes share a 64 MiB budget
// (pipe-user-pages-soft), and growing every pipe would use it up.
constexpr int k_default_pipe_size = 64 * 1024;
constexpr int k_busy_pipe_size = 256 * 1024;

void grow_busy_pipe(int fd) {
  int size = fcntl(fd, F_GETPIPE_SZ);
  if (size >= 0 && size < k_busy_pipe_size) {
    // EPERM (over the per-user budget) or EBUSY leave the pipe as it is: only slower.
    (void)fcntl(fd, F_SETPIPE_SZ, k_busy_pipe_size);
  }
}
}  // namespace

Process::Process(ProcessConfig cfg, Setup setup, EventLoop& loop, ProcessHost& host,
                 std::unique_ptr<OutputChannel> out, std::unique_ptr<OutputChannel> err)
    : m_cfg(std::move(cfg)),
      m_loop(loop),
      m_host(host),
      m_fsm(std::move(setup.fsm), *this, loop.clock()),
      m_stdin_socket(setup.stdin_socket),
      m_auto_log_filled(setup.auto_log_filled) {
  m_sinks[0] = std::move(out);
  m_sinks[1] = std::move(err);
  // Output events carry the bytes as read, without capture-mode tokens (a
  // block's bytes included, as in supervisord's PROCESS_LOG events); blocks
  // come as Communication events.
  for (auto& sink : m_sinks) {
    if (!sink) {
      continue;
    }
    sink->set_hook([this](std::string_view, Stream c, std::string_view data) {
      EventBus& bus = m_host.bus();
      if (bus.wanted(EventKind::Output)) {
        bus.publish(ProcessOutput{this, c, data});
      }
    });
    sink->set_block_hook([this](Stream c, std::string_view block) {
      m_host.bus().publish(ProcessCommunication{this, c, block});
    });
  }
}

ProcessConfig Process::configured() const {
  ProcessConfig c = m_cfg;
  if (m_auto_log_filled[0]) {
    c.stdout_ch.logfile.path.clear();
  }
  if (m_auto_log_filled[1]) {
    c.stderr_ch.logfile.path.clear();
  }
  return c;
}

Process::~Process() {
  m_loop.cancel_timer(m_timer);
  for (Pipe& p : m_pipes) {
    m_loop.remove_fd(p.fd.get());
  }
  for (Pipe& p : m_lingering) {
    m_loop.remove_fd(p.fd.get());
  }
}

bool Process::exited_expected() const {
  if (m_fsm.fsm_state() != FsmState::Exited || !m_has_exited || !WIFEXITED(m_last_status)) {
    return false;
  }
  const std::vector<int>& codes = m_fsm.params().exitcodes;
  return std::find(codes.begin(), codes.end(), WEXITSTATUS(m_last_status)) != codes.end();
}

void Process::sync_timer() {
  m_loop.cancel_timer(m_timer);
  m_timer = 0;
  if (std::optional<MonoTime> d = m_fsm.deadline()) {
    m_timer = m_loop.add_timer(*d, [this] {
      m_timer = 0;
      m_fsm.timer();
      sync_timer();
    });
  }
}

void Process::reaped(int wait_status) {
  // Drain what the child wrote before it died, so its last lines are logged
  // before "exited:"/"stopped:". A pipe still held open by a descendant stays
  // watched (lingering) and keeps feeding the same sink until EOF.
  std::vector<Pipe> pipes = std::move(m_pipes);
  m_pipes.clear();
  for (Pipe& p : pipes) {
    bool open = true;
    while (open) {
      ssize_t before_eof = read(p.fd.get(), g_read_buffer, sizeof g_read_buffer);
      if (before_eof > 0) {
        deliver(p.channel, std::string_view(g_read_buffer, static_cast<size_t>(before_eof)));
        continue;
      }
      if (before_eof < 0 && errno == EINTR) {
        continue;
      }
      open = before_eof < 0 && errno == EAGAIN;  // nothing now, but a writer remains
      break;
    }
    if (open) {
      m_lingering.push_back(std::move(p));
    } else {
      m_loop.remove_fd(p.fd.get());
    }
  }
  for (auto& s : m_sinks) {
    if (s) {
      s->on_eof();
    }
  }
  m_stdin.reset();
  m_stdin_fd.close();
  m_last_status = wait_status;
  m_has_exited = true;
  m_fsm.exited(wait_status);
  sync_timer();
}

void Process::drain_all() {
  for (auto* list : {&m_pipes, &m_lingering}) {
    std::vector<int> fds;
    for (const Pipe& p : *list) {
      fds.push_back(p.fd.get());
    }
    for (int fd : fds) {
      Stream c = Stream::Stdout;
      for (const Pipe& p : *list) {
        if (p.fd.get() == fd) {
          c = p.channel;
        }
      }
      bool open = true;
      for (int i = 0; i < 1024 && open; ++i) {  // bounded: a writer might still exist
        ssize_t n = read(fd, g_read_buffer, sizeof g_read_buffer);
        if (n > 0) {
          deliver(c, std::string_view(g_read_buffer, static_cast<size_t>(n)));
        } else if (!(n < 0 && errno == EINTR)) {
          open = n < 0 && errno == EAGAIN;
          break;
        }
      }
      if (!open) {
        close_pipe(fd);
      }
    }
  }
  for (auto& s : m_sinks) {
    if (s) {
      s->on_eof();
    }
  }
}

Status Process::write_stdin(std::string_view data) {
  if (m_fsm.pid() == 0) {
    return make_error("not running");
  }
  if (!m_stdin && !m_stdin_fd) {
    return make_error("its stdin is the fcgi socket");
  }
  if (!m_stdin) {
    m_stdin = std::make_unique<PipeWriter>(m_loop, std::move(m_stdin_fd), fmt::format("the stdin of {}", m_cfg.name));
    m_stdin->set_on_closed([this](const std::string& reason, size_t dropped) {
      main_logger().warn("unable to write to the stdin of {}: {} ({} bytes dropped)", m_cfg.name, reason, dropped);
    });
  }
  return m_stdin->write(data);
}

void Process::deliver(Stream c, std::string_view data) { m_sinks[static_cast<int>(c)]->on_data(data); }

bool Process::read_available(int fd, Stream c) {
  bool busy = false;
  for (int i = 0; i < k_reads_per_event; ++i) {
    ssize_t n = read(fd, g_read_buffer, sizeof g_read_buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      bool open = n < 0 && errno == EAGAIN;  // else EOF or a read error: the caller closes it
      if (open && busy) {
        grow_busy_pipe(fd);
      }
      return open;
    }
    deliver(c, std::string_view(g_read_buffer, static_cast<size_t>(n)));
    busy = busy || n >= k_default_pipe_size;
    if (static_cast<size_t>(n) < sizeof g_read_buffer) {
      break;  // the pipe is (almost surely) empty: skip the read that would say EAGAIN
    }
  }
  if (busy) {
    grow_busy_pipe(fd);
  }
  return true;
}

void Process::watch(Fd fd, Stream c, bool lingering) {
  int raw = fd.get();
  Status st = m_loop.add_fd(raw, EPOLLIN, [this, raw, c](uint32_t) {
    if (!read_available(raw, c)) {
      close_pipe(raw);
    }
  });
  if (!st) {
    main_logger().error("unable to watch output of {}: {}", m_cfg.name, st.error());
  }
  (lingering ? m_lingering : m_pipes).push_back(Pipe{std::move(fd), c});
}

void Process::close_pipe(int fd) {
  m_loop.remove_fd(fd);
  for (auto* list : {&m_pipes, &m_lingering}) {
    for (auto it = list->begin(); it != list->end(); ++it) {
      if (it->fd.get() == fd) {
        if (list == &m_lingering) {
          m_sinks[static_cast<int>(it->channel)]->on_eof();
        }
        list->erase(it);
        return;
      }
    }
  }
}

// --- ProcessOps ---------------------------------------------------------------

Result<pid_t> Process::spawn() {
  for (auto& s : m_sinks) {
    if (s) {
      if (Status st = s->open(); !st) {
        return make_error(st.error());
      }
    }
  }
  SpawnSpec spec;
  spec.command = m_cfg.command;
  spec.inherited = m_host.inherited_environment(m_cfg);
  spec.configured = m_host.configured_environment(m_cfg);
  spec.uid = m_cfg.uid;
  spec.directory = m_cfg.directory;
  spec.umask = m_cfg.umask;
  spec.rlimits = m_cfg.rlimits;
  spec.redirect_stderr = m_cfg.redirect_stderr;
  if (m_stdin_socket != nullptr) {
    spec.stdin_fd = m_stdin_socket->fd();
  }
  spec.search_path = env_get(spec.configured, "PATH", env_get(spec.inherited, "PATH"));
  m_host.prepare_spawn(*this, spec);
  Result<Spawned> child = m_host.runtime().spawn(spec);
  if (!child) {
    return make_error(child.error());
  }
  m_stdin_fd = std::move(child->stdin_w);
  for (auto& s : m_sinks) {
    if (s) {
      s->set_pid(child->pid);
    }
  }
  watch(std::move(child->stdout_r), Stream::Stdout, false);
  if (child->stderr_r) {
    watch(std::move(child->stderr_r), Stream::Stderr, false);
  }
  m_host.process_spawned(*this, child->pid);
  return child->pid;
}

Status Process::send_signal(pid_t pid, int sig, bool group, bool wake) {
  ProcessRuntime& rt = m_host.runtime();
  if (wake) {
    return rt.stop_signal(pid, sig, group);
  }
  if (int err = rt.kill(group ? -pid : pid, sig); err != 0 && err != ESRCH) {
    return make_error(strerror(err));
  }
  return ok_status();
}

void Process::log(Level level, const std::string& message) { main_logger().log(level, message); }

void Process::state_changed(const StateChange& change) {
  m_host.bus().publish(ProcessStateChanged{this, change.from, change.to, change.pid, change.tries, change.expected});
}

void Process::readiness_changed(bool ready) { m_host.bus().publish(ProcessReadiness{this, ready}); }

double Process::jitter() {
  // One generator for every process (the loop thread only), seeded once per
  // tend: the point is that processes crashing together do not restart together.
  static std::minstd_rand g_jitter_source{std::random_device{}()};
  return std::uniform_real_distribution<double>(-1.0, 1.0)(g_jitter_source);
}

Status ProcessRuntime::stop_signal(pid_t pid, int sig, bool group) {
  pid_t target = group ? -pid : pid;
  if (int err = kill(target, sig); err != 0 && err != ESRCH) {
    return make_error(strerror(err));
  }
  // A stopped process would sit on its stop signal until SIGKILL.
  if (sig != SIGKILL && sig != SIGCONT) {
    (void)kill(target, SIGCONT);
  }
  return ok_status();
}

int PosixRuntime::kill(pid_t target, int sig) { return ::kill(target, sig) == 0 ? 0 : errno; }

Status PosixRuntime::stop_signal(pid_t pid, int sig, bool group) { return send_stop_signal(pid, sig, group); }

}  // namespace tend
