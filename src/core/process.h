// Process: one supervised process as the daemon sees it. Owns the state
// machine, the child's pipes and its output channels, and the one loop timer
// that stands for the state machine's deadline. Implements ProcessOps with
// the host's ProcessRuntime and the main logger, and publishes what happens
// to it (state changes, readiness, output) on the host's EventBus.
//
// Only core changes a Process: the command layer (core/commands.h), the
// supervisor and its parts. Everyone else reads it through const access.
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "config/model.h"
#include "core/event_bus.h"
#include "core/process_fsm.h"
#include "core/spawn.h"
#include "log/output_channel.h"
#include "sys/event_loop.h"
#include "sys/pipe_writer.h"
#include "sys/shared_socket.h"
#include "util/fd.h"

namespace tend {

// How processes are created and signalled. Production uses PosixRuntime;
// supervisor tests substitute one that records instead.
class ProcessRuntime {
 public:
  virtual ~ProcessRuntime() = default;
  virtual Result<Spawned> spawn(const SpawnSpec& spec) = 0;
  // kill(2): 0, or the errno it failed with.
  virtual int kill(pid_t target, int sig) = 0;
  // A stop request: `sig` to pid (or its group), then SIGCONT so that a
  // stopped process acts on it. ESRCH is success; other failures say why.
  virtual Status stop_signal(pid_t pid, int sig, bool group);
};

class PosixRuntime final : public ProcessRuntime {
 public:
  Result<Spawned> spawn(const SpawnSpec& spec) override { return spawn_process(spec); }
  int kill(pid_t target, int sig) override;
  // SIGCONT only where needed (sys/tree_stop.h: send_stop_signal).
  Status stop_signal(pid_t pid, int sig, bool group) override;
};

// What the layers above core say about a process (readiness and health
// checks, the dependency scheduler), stored with it and shown in its
// description and in the tend.* XML-RPC namespace. Core only keeps it.
struct ProcessNotes {
  std::string waiting_for;  // e.g. "db (ready)": held back until that holds
  std::string status;       // the program's last sd_notify STATUS=
  enum class Health { Unknown, Healthy, Unhealthy } health = Health::Unknown;
  std::string health_detail;  // e.g. "3 failures: connection refused"
  double next_run = 0;        // a scheduled program's next run (unix seconds; 0: none)
  std::string next_run_text;  // the same on tend's wall clock: "2026-12-03 12:05:00"
  uint64_t skipped_runs = 0;  // scheduled runs skipped because a run was still going
  bool operator==(const ProcessNotes&) const = default;
};

// What a Process needs from its owner (the Supervisor).
class ProcessHost {
 public:
  virtual ~ProcessHost() = default;
  // The inherited part of the child's environment (tend's env + SUPERVISOR_*).
  virtual EnvList inherited_environment(const ProcessConfig& cfg) = 0;
  // What the configuration adds on top of it: configured_environment()
  // (config/model.h) of the current [supervisord] settings and `cfg`.
  virtual EnvList configured_environment(const ProcessConfig& cfg) = 0;
  // The new pid belongs to `p` (the reaper dispatches by pid).
  virtual void process_spawned(class Process& p, pid_t pid) = 0;
  virtual ProcessRuntime& runtime() = 0;
  virtual EventBus& bus() = 0;
  // Lets the layers above core add to a spawn (SpawnSpec::extra_env,
  // extra_fds) right before it happens.
  virtual void prepare_spawn(const class Process& p, SpawnSpec& spec) = 0;
};

class Process final : private ProcessOps {
 public:
  // `stdin_socket`: an fcgi group's socket, which every child gets as fd 0
  // instead of a stdin pipe; owned by the group, which outlives its processes.
  // How the supervisor made it: the state machine's parameters (they may
  // differ from the config: main_program never restarts by itself), which
  // AUTO log paths it filled in, and the fcgi socket, if any.
  struct Setup {
    FsmParams fsm;
    std::array<bool, 2> auto_log_filled{};  // by Stream
    const SharedSocket* stdin_socket = nullptr;
  };
  // `cfg`: as configured, with the AUTO log paths filled in.
  Process(ProcessConfig cfg, Setup setup, EventLoop& loop, ProcessHost& host, std::unique_ptr<OutputChannel> out,
          std::unique_ptr<OutputChannel> err);
  ~Process() override;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // --- read-only view (anyone) ---
  // As configured, AUTO log paths filled in.
  const ProcessConfig& config() const { return m_cfg; }
  // Exactly as configured (what an update compares with a new configuration).
  ProcessConfig configured() const;
  const ProcessFsm& fsm() const { return m_fsm; }
  ProcessState state() const { return m_fsm.state(); }
  pid_t pid() const { return m_fsm.pid(); }
  bool ready() const { return m_fsm.ready(); }
  const std::string& group() const { return m_cfg.group; }
  const std::string& name() const { return m_cfg.name; }
  const OutputChannel* sink(Stream c) const { return m_sinks[static_cast<int>(c)].get(); }
  // Pipes of earlier runs still held open by descendants; drained until EOF.
  size_t lingering_pipes() const { return m_lingering.size(); }
  const ProcessNotes& notes() const { return m_notes; }
  // The wait status of the last exit (valid when has_exited()).
  int last_wait_status() const { return m_last_status; }
  bool has_exited() const { return m_has_exited; }
  // EXITED with an exit code in its exitcodes, and no restart pending (a
  // one-shot job that completed; depends_on's `completed`).
  bool exited_expected() const;
  // False once the child's stdin is gone (not running, or the reader closed
  // it), and always for an fcgi program (its fd 0 is the socket).
  bool stdin_open() const { return m_stdin ? !m_stdin->closed() : m_stdin_fd.valid(); }

 private:
  // Only these change a process: requests from outside arrive through
  // Commands; the supervisor, its updater and its dependency scheduler drive
  // the rest.
  friend class Commands;
  friend class Supervisor;
  friend class Updater;
  friend class DependencyScheduler;

  // Events, each followed by re-arming the deadline timer.
  FsmReply added() { return fire(&ProcessFsm::added); }
  FsmReply start() { return fire(&ProcessFsm::start); }
  FsmReply stop() { return fire(&ProcessFsm::stop); }
  FsmReply stop_for_shutdown() { return fire(&ProcessFsm::stop_for_shutdown); }
  FsmReply ready_reported() { return fire(&ProcessFsm::ready_reported); }
  void extend_ready_deadline(double seconds) {
    if (m_fsm.extend_ready_deadline(seconds)) {
      sync_timer();
    }
  }
  FsmReply signal(int sig) { return m_fsm.signal(sig); }
  void set_shutting_down(bool v) { m_fsm.set_shutting_down(v); }
  // The reaper collected our pid: drain the pipes, then tell the state machine.
  void reaped(int wait_status);
  // Sends to the child's stdin (sendProcessStdin): what the pipe does not take
  // waits in tend (PipeWriter). Error when not running, when the child closed
  // its stdin, or when the bytes do not fit in what may wait.
  Status write_stdin(std::string_view data);
  OutputChannel* sink(Stream c) { return m_sinks[static_cast<int>(c)].get(); }
  // Reads every pipe (this run's and lingering ones) until it would block or
  // ends. Called once every writer is known to be gone (tend exiting).
  void drain_all();

  // --- ProcessOps ---
  Result<pid_t> spawn() override;
  Status send_signal(pid_t pid, int sig, bool group, bool wake) override;
  void log(Level level, const std::string& message) override;
  void state_changed(const StateChange& change) override;
  void readiness_changed(bool ready) override;
  double jitter() override;

  FsmReply fire(FsmReply (ProcessFsm::*event)()) {
    FsmReply r = (m_fsm.*event)();
    sync_timer();
    return r;
  }
  // Hands a chunk to its sink, whose hooks publish ProcessOutput and
  // ProcessCommunication (set up in the constructor).
  void deliver(Stream c, std::string_view data);
  struct Pipe {
    Fd fd;
    Stream channel;
  };
  void sync_timer();
  void watch(Fd fd, Stream c, bool lingering);
  // Reads what is available; returns false at EOF or error.
  bool read_available(int fd, Stream c);
  void close_pipe(int fd);

  ProcessConfig m_cfg;
  EventLoop& m_loop;
  ProcessHost& m_host;
  ProcessFsm m_fsm;
  std::array<std::unique_ptr<OutputChannel>, 2> m_sinks;
  const SharedSocket* m_stdin_socket;   // fcgi: every child's fd 0; nullptr: a stdin pipe
  std::array<bool, 2> m_auto_log_filled;
  ProcessNotes m_notes;
  // This run's stdin: the bare fd until the first write makes it a
  // PipeWriter (most programs are never written to: no writer, no memory);
  // both dropped, with any queue, when the run is reaped.
  Fd m_stdin_fd;
  std::unique_ptr<PipeWriter> m_stdin;
  std::vector<Pipe> m_pipes;      // this run's stdout/stderr read ends
  std::vector<Pipe> m_lingering;  // earlier runs' pipes still open elsewhere
  EventLoop::TimerId m_timer = 0;
  int m_last_status = 0;
  bool m_has_exited = false;
};

}  // namespace tend
