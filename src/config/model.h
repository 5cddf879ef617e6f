// The typed configuration: what a supervisord.conf means once parsed, expanded
// and validated. Produced by config/loader, consumed by the supervisor core,
// the RPC layer and tendctl. Plain data; equality compares every field (used
// by reread/update to find changed programs).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tend {

// Where a value came from, for messages ("file:line").
struct SourcePos {
  std::string file;
  int line = 0;
  bool operator==(const SourcePos&) const = default;
};

enum class AutoRestart { Never, Unexpected, Always };

// A log target: none (NONE/OFF), automatic (AUTO: a file in childlogdir), syslog, or a path.
struct LogTarget {
  enum class Kind { None, Auto, Syslog, Path };
  Kind kind = Kind::Auto;
  // The file tend opens. Kind::Path: absolute (a relative path is resolved
  // against the directory tend loaded the config in); Kind::Auto: filled in
  // when the process is added.
  std::string path;
  // Kind::Path: the path as the config wrote it (after %(name)s and ~
  // expansion), relative or not; "" = as `path`.
  std::string written = {};
  // What getAllConfigInfo and getProcessInfo show: supervisord keeps the
  // configured text and opens it relative to its working directory.
  const std::string& shown() const { return written.empty() ? path : written; }
  bool operator==(const LogTarget&) const = default;
};

struct ChannelConfig {  // one of stdout / stderr of a program
  LogTarget logfile;
  int64_t logfile_maxbytes = 50 * 1024 * 1024;
  int logfile_backups = 10;
  int64_t capture_maxbytes = 0;
  bool events_enabled = false;
  bool syslog = false;
  bool operator==(const ChannelConfig&) const = default;
};

using EnvList = std::vector<std::pair<std::string, std::string>>;  // ordered; later wins

// Applies `overrides` to `base` (replacing existing names in place, appending new ones).
void env_merge(EnvList& base, const EnvList& overrides);
// The last value of `name`, else `fallback`.
std::string env_get(const EnvList& env, const std::string& name, const std::string& fallback = "");

// A check tend runs against a program: readiness (ready=) or health
// (healthcheck=). tend additions, documented in docs/config.md.
struct ProbeSpec {
  enum class Kind {
    None,     // no check (healthcheck unset)
    Running,  // ready = running: supervisord's rule, startsecs (the default)
    Notify,   // sd_notify READY=1 on $NOTIFY_SOCKET
    Fd,       // s6 notification-fd: a newline on fd `fd`
    Tcp,      // a connection to host:port is accepted
    Http,     // GET http://host:port/target answers 2xx or 3xx
    Exec,     // the command `target` exits 0
    File,     // the file `target` exists
  } kind = Kind::None;
  std::string host;    // Tcp, Http: a name, an IPv4 address, or an IPv6 address (without brackets)
  int port = 0;        // Tcp, Http
  int fd = -1;         // Fd
  std::string target;  // Http: path (and query), starting with '/'; Exec: command line; File: absolute path
  bool operator==(const ProbeSpec&) const = default;
};

inline ProbeSpec running_probe() {
  ProbeSpec p;
  p.kind = ProbeSpec::Kind::Running;
  return p;
}

// One entry of depends_on=: a program (or a group: each of its processes)
// and what of it must hold before this program starts.
struct Dependency {
  enum class Condition { Ready, Started, Healthy, Completed };
  std::string name;
  Condition condition = Condition::Ready;
  bool operator==(const Dependency&) const = default;
};

enum class HealthAction { Restart, Stop, Shutdown, None };

// One resource limit of a program (an rlimit_* key): the soft and the hard
// value, each a number (bytes, seconds or a count, as the resource counts) or
// k_unlimited. The kernel's RLIM64_INFINITY is the same all-ones value.
struct ResourceLimit {
  static constexpr uint64_t k_unlimited = UINT64_MAX;
  uint64_t soft = 0;
  uint64_t hard = 0;
  bool operator==(const ResourceLimit&) const = default;
};

// The rlimit_* keys of a program (tend additions): the child sets each one
// that is present before it drops privileges and execs; an absent one keeps
// tend's. config/rlimits.h ties each member to its key and resource.
struct ResourceLimits {
  std::optional<ResourceLimit> nofile;
  std::optional<ResourceLimit> nproc;
  std::optional<ResourceLimit> core;
  std::optional<ResourceLimit> memlock;
  std::optional<ResourceLimit> stack;
  std::optional<ResourceLimit> as;
  std::optional<ResourceLimit> cpu;
  std::optional<ResourceLimit> fsize;
  bool operator==(const ResourceLimits&) const = default;
};

// One process (a [program:x] with numprocs=N gives N of these).
struct ProcessConfig {
  std::string name;        // process_name after expansion
  std::string group;       // group name
  std::string program;     // the section's program name (x of [program:x])
  std::string command;     // raw expanded command line (shlex-split at spawn)
  int process_num = 0;
  int priority = 999;
  bool autostart = true;
  AutoRestart autorestart = AutoRestart::Unexpected;
  int startsecs = 1;
  int startretries = 3;  // -1: never give up (tend)
  // Restart policy (tend additions, docs/config.md): 0 = supervisord's linear
  // backoff and immediate restarts after startsecs.
  double backoff_max = 0;
  double backoff_reset = 60;
  double restartpause = 0;
  std::vector<int> exitcodes{0};
  int stopsignal = 15;  // SIGTERM
  int stopwaitsecs = 10;
  bool stopasgroup = false;
  bool killasgroup = false;
  std::optional<uid_t> uid;  // user=, resolved
  std::string user;          // user= as written (for messages / getAllConfigInfo)
  std::optional<std::string> directory;
  std::optional<mode_t> umask;
  bool redirect_stderr = false;
  ChannelConfig stdout_ch;
  ChannelConfig stderr_ch;
  EnvList environment;      // [program] environment only (global env is in SupervisordConfig)
  // The variables of the environment_file= (or envFiles=) files as read at
  // load time (config/env_file.h); environment= wins over them.
  EnvList environment_file;
  std::string serverurl;    // "" = default (AUTO)
  // Event listeners ([eventlistener:x]); empty for programs.
  std::vector<std::string> events;
  int buffer_size = 10;
  // Start order, readiness and health (tend additions).
  std::vector<Dependency> depends_on;
  ProbeSpec ready = running_probe();
  double ready_timeout = 60;
  double ready_interval = 0.1;
  double watchdog_sec = 0;  // 0: no watchdog
  ProbeSpec healthcheck;    // Kind::None: no health check
  double healthcheck_interval = 10;
  double healthcheck_timeout = 5;
  int healthcheck_retries = 3;
  double healthcheck_start_period = 0;
  HealthAction healthcheck_action = HealthAction::Restart;
  ResourceLimits rlimits;  // tend addition: rlimit_* keys
  // Lifecycle policies (tend additions, docs/config.md).
  bool critical = false;  // its end for good ends tend with its exit status
  bool oneshot = false;   // runs to completion: an expected exit is success
  std::string schedule;   // schedule= as written (trimmed; "" = none); implies oneshot
  SourcePos pos;  // the section header

  // Every field except pos (moving a section within its file changes nothing):
  // the identity fields here, the others as the key tables of config/keys.h
  // compare them.
  bool operator==(const ProcessConfig& o) const;
};

struct GroupConfig {
  std::string name;
  int priority = 999;
  enum class Kind { Program, Group, EventListener, FcgiProgram } kind = Kind::Program;
  std::vector<ProcessConfig> processes;  // sorted by (priority, name)
  SourcePos pos;
  // [fcgi-program:x] only: the socket tend binds and passes to every process as fd 0.
  struct FcgiSocket {
    std::string url;                   // "unix:///abs/path" or "tcp://host:port"
    int backlog = 0;                   // 0 = SOMAXCONN
    std::optional<uid_t> owner_uid;    // unix only; chown after bind
    std::optional<gid_t> owner_gid;
    mode_t mode = 0700;                // unix only
    bool operator==(const FcgiSocket&) const = default;
  };
  std::optional<FcgiSocket> fcgi_socket;
  std::string result_handler;  // [eventlistener:x] only: the built-in handler, "module:attr"

  // Every field except processes and pos, compared as the key tables of
  // config/keys.h say: what makes update restart the whole group.
  bool same_settings(const GroupConfig& o) const;
  // Every field except pos.
  bool operator==(const GroupConfig& o) const { return same_settings(o) && processes == o.processes; }
};

struct HttpServerConfig {
  enum class Kind { Unix, Inet } kind = Kind::Unix;
  std::string section;  // e.g. "unix_http_server"
  std::string file;     // unix: absolute socket path
  mode_t chmod = 0700;
  std::optional<uid_t> chown_uid;
  std::optional<gid_t> chown_gid;
  std::string host;  // inet: "" = all interfaces
  int port = 0;
  std::string username;
  std::string password;  // plain, or "{SHA}" + hex sha1
  // inet without credentials on a non-loopback host: serve other hosts too
  // (supervisord's way) instead of answering them 401.
  bool allow_remote_without_auth = false;
  SourcePos pos;
};

struct SupervisordConfig {
  std::string logfile;  // absolute path, "syslog", or a special file such as /dev/stdout
  int64_t logfile_maxbytes = 50 * 1024 * 1024;
  int logfile_backups = 10;
  std::string loglevel = "info";  // critical error warn info debug trace blather
  std::string pidfile;
  mode_t umask = 022;
  bool nodaemon = false;
  bool silent = false;
  int minfds = 1024;
  int minprocs = 200;
  bool nocleanup = false;
  std::string childlogdir = "/tmp";
  std::optional<uid_t> uid;
  std::string user;
  std::optional<std::string> directory;
  bool strip_ansi = false;
  EnvList environment;
  EnvList environment_file;  // of environment_file= (or envFiles=), read at load time; environment= wins
  std::string identifier = "supervisor";
  // tend extensions (documented in docs/config.md)
  enum class ConsoleOutput { Auto, On, Off } console_output = ConsoleOutput::Auto;
  // How console_output writes the programs' lines: "name | line", or JSON lines.
  enum class ConsoleOutputFormat { Prefix, Json } console_output_format = ConsoleOutputFormat::Prefix;
  // The main log's lines: supervisord's text, or JSON lines (log/json_line.h).
  enum class LogFormat { Text, Json } log_format = LogFormat::Text;
  double shutdown_grace = 5.0;  // seconds between the sweep's SIGTERM and SIGKILL
  std::string main_program;     // a process whose exit ends tend with its status ("" = none)
  // When tend ends by itself: never (default), when any program has ended for
  // good, or when nothing runs or will start by itself (core/exit_policy.h).
  enum class ExitWhen { Never, AnyExited, AllExited } exit_when = ExitWhen::Never;
};

// What a process's configuration adds to the environment it inherits (tend's
// own, SUPERVISOR_*, user= HOME...), lowest first: [supervisord]
// environment_file, [supervisord] environment, the program's environment_file,
// the program's environment.
EnvList configured_environment(const SupervisordConfig& sd, const ProcessConfig& p);

struct CtlConfig {  // [supervisorctl]
  std::string serverurl = "http://localhost:9001";
  std::string username;
  std::string password;
  std::string prompt = "supervisor";
  std::string history_file;
  bool present = false;
};

// A non-fatal remark found while loading (unknown key, deprecated value...).
struct ConfigWarning {
  SourcePos pos;
  std::string level;  // "WARN", "INFO", "CRIT"
  std::string message;  // complete as it is: tend's own warnings start with "<file>:<line>: ",
                        // supervisor's (include, logfile) keep supervisor's wording
};

struct Config {
  std::string path;  // absolute path of the main file
  std::string here;  // its directory
  SupervisordConfig supervisord;
  std::vector<HttpServerConfig> http_servers;
  CtlConfig ctl;
  std::vector<GroupConfig> groups;  // sorted by (priority, name)
  std::vector<std::string> included_files;
  std::vector<std::string> unmatched_includes;
  std::vector<ConfigWarning> warnings;
  bool has_rpcinterface_supervisor = false;
};

}  // namespace tend
