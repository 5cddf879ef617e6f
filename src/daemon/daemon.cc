#include "util/passwd.h"
#include "daemon/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sys/event_loop.h"
#include "sys/signal_takeover.h"
#include "util/fd.h"
#include "log/auto_log.h"
#include "log/logger.h"
#include "daemon/config_remarks.h"
#include "daemon/control_plane.h"
#include "util/version.h"
#include "events/listener_pools.h"
#include "health/checks.h"
#include "core/job_scheduler.h"

namespace tend {

namespace {

int startup_error(const std::string& msg) {
  main_logger().flush_pending_to(2);
  fmt::print(stderr, "Error: {}\n", msg);
  return 2;
}

Status drop_privileges(const SupervisordConfig& sc) {
  if (!sc.uid) {
    return ok_status();
  }
  uid_t uid = *sc.uid;
  if (getuid() == uid) {
    return ok_status();
  }
  if (getuid() != 0) {
    return make_error(fmt::format("unable to switch to user {}: tend is not running as root", sc.user));
  }
  std::optional<UserEntry> pw = find_user(uid);
  if (!pw) {
    return make_error(fmt::format("unable to switch to user {}: not in /etc/passwd", sc.user));
  }
  std::vector<gid_t> groups = groups_of(pw->name, pw->gid);
  if (setgroups(groups.size(), groups.data()) != 0 || setgid(pw->gid) != 0 || setuid(uid) != 0) {
    return make_error(fmt::format("unable to switch to user {}: {}", sc.user, strerror(errno)));
  }
  main_logger().info("Set uid to user {} succeeded", uid);
  return ok_status();
}

Status raise_limit(int resource, const char* name, rlim_t wanted) {
  struct rlimit rl {};
  if (getrlimit(resource, &rl) != 0) {
    return make_error(fmt::format("unable to read {}: {}", name, strerror(errno)));
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted) {
    struct rlimit next = rl;
    next.rlim_cur = wanted;
    if (next.rlim_max != RLIM_INFINITY && next.rlim_max < wanted) {
      next.rlim_max = wanted;  // only root may do this
    }
    if (setrlimit(resource, &next) != 0) {
      return make_error(fmt::format("unable to raise {} to {} (soft {}, hard {}): {}", name, wanted, rl.rlim_cur,
                                    rl.rlim_max, strerror(errno)));
    }
    main_logger().info("Increased {} limit to {}", name, wanted);
  }
  return ok_status();
}

// The classic double-fork-free daemonize of supervisord: fork, the parent
// exits, the child starts a new session. Never called as PID 1.
// A failure after the fork is the child's to report: the parent has exited 0,
// and the error reaches the stderr tend was started with (0-2 are redirected
// last, and only once /dev/null is open).
Status daemonize(const SupervisordConfig& sc) {
  main_logger().info("daemonizing the tend process");
  pid_t pid = fork();
  if (pid < 0) {
    return make_error(fmt::format("unable to fork: {}", strerror(errno)));
  }
  if (pid > 0) {
    _exit(0);
  }
  if (sc.directory && chdir(sc.directory->c_str()) != 0) {
    return make_error(fmt::format("unable to chdir to {}: {}", *sc.directory, strerror(errno)));
  }
  // Without a session of its own, the terminal's hang-up would reach tend.
  // (The child of a fork is never a group leader, so this fails only in theory.)
  if (setsid() < 0) {
    return make_error(fmt::format("unable to start a new session: {}", strerror(errno)));
  }
  umask(sc.umask);
  Fd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull) {
    return make_error(fmt::format("unable to open /dev/null: {}", strerror(errno)));
  }
  for (int target : {0, 1, 2}) {
    if (dup2(devnull.get(), target) < 0) {
      return make_error(fmt::format("unable to redirect fd {} to /dev/null: {}", target, strerror(errno)));
    }
  }
  return ok_status();
}

Status write_pidfile(const std::string& path) {
  if (path.empty()) {
    return ok_status();
  }
  std::string text = fmt::format("{}\n", getpid());
  Fd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd || write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return make_error(fmt::format("unable to write pidfile {}: {}", path, strerror(errno)));
  }
  return ok_status();
}

}  // namespace

Status take_over_daemon_signals() {
  if (Result<OriginalSignalState> taken = take_over_signals(); !taken) {
    return make_error(fmt::format("unable to take over signals: {}", taken.error()));
  }
  return ok_status();
}

int run_daemon(Config cfg, Supervisor::ConfigLoader reload) {
  SupervisordConfig& sc = cfg.supervisord;
  bool pid1 = getpid() == 1;
  bool nodaemon = sc.nodaemon || pid1;
  std::optional<Level> level = parse_level(sc.loglevel);
  LoggerOptions lo;
  lo.logfile = sc.logfile;
  lo.maxbytes = sc.logfile_maxbytes;
  lo.backups = sc.logfile_backups;
  lo.level = level.value_or(Level::Info);
  lo.format = sc.log_format == SupervisordConfig::LogFormat::Json ? LogFormat::Json : LogFormat::Text;
  lo.echo_stdout = nodaemon && !sc.silent;
  if (Status st = main_logger().open(lo); !st) {
    return startup_error(st.error());
  }
  log_config_warnings(cfg, main_logger());
  if (pid1 && !sc.nodaemon) {
    main_logger().warn("nodaemon=false is ignored: as PID 1, tend stays in the foreground (daemonizing would end the container)");
  }
  if (Status st = drop_privileges(sc); !st) {
    return startup_error(st.error());
  }
  if (Status st = raise_limit(RLIMIT_NOFILE, "RLIMIT_NOFILE", static_cast<rlim_t>(sc.minfds)); !st) {
    return startup_error(st.error());
  }
  if (Status st = raise_limit(RLIMIT_NPROC, "RLIMIT_NPROC", static_cast<rlim_t>(sc.minprocs)); !st) {
    return startup_error(st.error());
  }
  if (!sc.nocleanup) {
    AutoLogCleanup cleaned = clean_auto_logs(sc.childlogdir, sc.identifier);
    for (const std::string& e : cleaned.errors) {
      main_logger().warn("{}", e);
    }
  }
  if (!nodaemon) {
    if (Status st = daemonize(sc); !st) {
      return startup_error(st.error());
    }
  }
  if (Status st = write_pidfile(sc.pidfile); !st) {
    main_logger().critical("{}", st.error());
  }
  main_logger().info("tend {} started with pid {}", version(), getpid());

  Result<std::unique_ptr<EventLoop>> loop = EventLoop::create();
  if (!loop) {
    return startup_error(loop.error());
  }
  std::string pidfile = sc.pidfile;
  int code = 0;
  {
    Supervisor sup(**loop, std::move(cfg), std::move(reload));
    // Before any group is added: the pools come with their groups' GroupAdded.
    events::ListenerPools listeners(sup);
    // Before any program spawns: its spawn hook adds NOTIFY_SOCKET and notification fds.
    health::Checks checks(sup);
    // Before the groups are added: it schedules them as their GroupAdded arrives.
    JobScheduler scheduler(sup);
    // The control servers come up before any program starts, so a port or
    // socket conflict stops tend before it has children to clean up.
    Result<std::unique_ptr<rpc::ControlPlane>> control =
        rpc::start_control_plane(**loop, sup, sup.config().http_servers, &listeners);
    if (!control) {
      if (!pidfile.empty()) {
        unlink(pidfile.c_str());
      }
      return startup_error(control.error());
    }
    if (Status st = sup.start(); !st) {
      // A group that cannot be added (an fcgi socket that cannot be bound):
      // supervisord dies of the exception, with status 1.
      main_logger().critical("{}", st.error());
      code = 1;
    } else {
      (*loop)->run();
      code = sup.exit_code();
    }
  }
  if (!pidfile.empty()) {
    unlink(pidfile.c_str());
  }
  main_logger().info("tend exiting with status {}", code);
  return code;
}

}  // namespace tend
