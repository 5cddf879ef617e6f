#include "util/passwd.h"
#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/shlex.h"

extern char** environ;

namespace tend {

namespace {

constexpr const char* k_default_path = "/bin:/usr/bin:/usr/local/bin";

// What the child writes to the report pipe when a step fails: the step and errno.
struct ChildFailure {
  int step;
  int err;
};
enum Step { k_step_setpgid = 1, k_step_dup, k_step_groups, k_step_setgid, k_step_setuid, k_step_chdir, k_step_exec };

Status make_pipe(Fd& r, Fd& w) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    if (errno == EMFILE || errno == ENFILE) {
      return make_error(fmt::format("unable to create pipe: too many open files ({})", strerror(errno)));
    }
    return make_error(fmt::format("unable to create pipe: {}", strerror(errno)));
  }
  r = Fd(p[0]);
  w = Fd(p[1]);
  return ok_status();
}

void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

[[noreturn]] void child_fail(int report_fd, Step step) {
  ChildFailure f{step, errno};
  ssize_t ignored = write(report_fd, &f, sizeof f);
  (void)ignored;
  _exit(127);
}

// signal() refuses glibc's reserved signals (32, 33), yet they can arrive
// ignored from whoever started tend; the raw system call resets every one.
void reset_disposition(int sig) {
  struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
  } act{SIG_DFL, 0, nullptr, 0};
  syscall(SYS_rt_sigaction, sig, &act, nullptr, sizeof act.mask);
}

void close_fds_from(int first) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, ~0U, 0) == 0) {
    return;
  }
#endif
  long max = sysconf(_SC_OPEN_MAX);
  for (int fd = first; fd < max; ++fd) {
    close(fd);
  }
}

std::string step_message(const ChildFailure& f, const SpawnSpec& spec, const ResolvedCommand& cmd,
                         const std::string& user_name) {
  const char* why = strerror(f.err);
  switch (f.step) {
    case k_step_setpgid:
      return fmt::format("unable to create a process group: {}", why);
    case k_step_dup:
      return fmt::format("unable to set up stdio: {}", why);
    case k_step_groups:
      return fmt::format("couldn't set supplementary groups for user {}: {}", user_name, why);
    case k_step_setgid:
      return fmt::format("couldn't setgid for user {}: {}", user_name, why);
    case k_step_setuid:
      return fmt::format("couldn't setuid to {} ({}): {}", user_name, spec.uid ? *spec.uid : 0, why);
    case k_step_chdir:
      return fmt::format("couldn't chdir to {}: {}", spec.directory.value_or(""), why);
    case k_step_exec:
      return fmt::format("couldn't exec {}: {}", cmd.filename, why);
    default:
      return fmt::format("child setup failed: {}", why);
  }
}

}  // namespace

EnvList process_environ() {
  EnvList env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    env.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

void env_merge(EnvList& base, const EnvList& overrides) {
  for (const auto& [k, v] : overrides) {
    bool found = false;
    for (auto& [bk, bv] : base) {
      if (bk == k) {
        bv = v;
        found = true;
      }
    }
    if (!found) {
      base.emplace_back(k, v);
    }
  }
}

std::string env_get(const EnvList& env, const std::string& name, const std::string& fallback) {
  const std::string* found = nullptr;
  for (const auto& [k, v] : env) {
    if (k == name) {
      found = &v;
    }
  }
  return found ? *found : fallback;
}

Result<ResolvedCommand> resolve_command(const std::string& command, const std::string& search_path) {
  Result<std::vector<std::string>> words = shlex_split(command);
  if (!words) {
    return make_error(fmt::format("can't parse command '{}': {}", command, words.error()));
  }
  if (words->empty()) {
    return make_error("command is empty");
  }
  ResolvedCommand out;
  out.argv = std::move(*words);
  const std::string& program = out.argv[0];
  struct stat st {};
  bool found = false;
  if (program.find('/') != std::string::npos) {
    out.filename = program;
    found = stat(program.c_str(), &st) == 0;
  } else {
    std::string path = search_path.empty() ? k_default_path : search_path;
    size_t start = 0;
    while (start <= path.size() && !found) {
      size_t end = path.find(':', start);
      if (end == std::string::npos) {
        end = path.size();
      }
      std::string dir = path.substr(start, end - start);
      std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
      if (stat(candidate.c_str(), &st) == 0) {
        out.filename = candidate;
        found = true;
      }
      start = end + 1;
    }
    if (!found) {
      return make_error(fmt::format("can't find command '{}' in PATH={}", program, path));
    }
  }
  if (!found) {
    return make_error(fmt::format("can't find command '{}'", program));
  }
  if (S_ISDIR(st.st_mode)) {
    return make_error(fmt::format("command at '{}' is a directory", out.filename));
  }
  if ((st.st_mode & 0111) == 0) {
    return make_error(fmt::format("command at '{}' is not executable", out.filename));
  }
  if (access(out.filename.c_str(), X_OK) != 0) {
    return make_error(fmt::format("no permission to run command '{}'", out.filename));
  }
  return out;
}

Result<Spawned> spawn_process(const SpawnSpec& spec) {
  Result<ResolvedCommand> cmd = resolve_command(spec.command, spec.search_path);
  if (!cmd) {
    return make_error(cmd.error());
  }

  // Everything the child needs is prepared here, before fork.
  std::string user_name;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  // Child environment: inherited, then the target user's identity (user=), then
  // what the config sets explicitly, which wins.
  EnvList env = spec.inherited;
  if (spec.uid) {
    if (geteuid() != 0 && *spec.uid != geteuid()) {
      return make_error(fmt::format("couldn't setuid to {}: tend is not running as root", *spec.uid));
    }
    std::optional<UserEntry> pw = find_user(*spec.uid);
    if (!pw) {
      return make_error(fmt::format("couldn't setuid to {}: no such user in /etc/passwd", *spec.uid));
    }
    user_name = pw->name;
    gid = pw->gid;
    groups = groups_of(pw->name, pw->gid);
    env_merge(env, {{"HOME", pw->home}, {"USER", pw->name}, {"LOGNAME", pw->name}});
  }
  env_merge(env, spec.configured);
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> argv;
  for (auto& a : cmd->argv) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  Fd in_r, in_w, out_r, out_w, err_r, err_w, rep_r, rep_w;
  Status st = make_pipe(in_r, in_w);
  if (st) st = make_pipe(out_r, out_w);
  if (st && !spec.redirect_stderr) st = make_pipe(err_r, err_w);
  if (st) st = make_pipe(rep_r, rep_w);
  if (!st) {
    return make_error(st.error());
  }

  pid_t pid = fork();
  if (pid < 0) {
    if (errno == EAGAIN) {
      return make_error("Too many processes in process table to spawn");
    }
    return make_error(fmt::format("unable to fork: {}", strerror(errno)));
  }
  if (pid == 0) {
    // Child. Single-threaded parent, so libc calls are safe here.
    int rep = rep_w.get();
    if (setpgid(0, 0) != 0) {
      child_fail(rep, k_step_setpgid);
    }
    int err_fd = spec.redirect_stderr ? out_w.get() : err_w.get();
    if (dup2(in_r.get(), 0) < 0 || dup2(out_w.get(), 1) < 0 || dup2(err_fd, 2) < 0) {
      child_fail(rep, k_step_dup);
    }
    // Keep the report pipe above 2, close everything else from 3 up.
    int rep_high = fcntl(rep, F_DUPFD_CLOEXEC, 3);
    if (rep_high != 3 && rep_high >= 0) {
      dup3(rep_high, 3, O_CLOEXEC);
    }
    rep = 3;
    close_fds_from(4);
    if (spec.uid) {
      if (setgroups(groups.size(), groups.data()) != 0) {
        child_fail(rep, k_step_groups);
      }
      if (setgid(gid) != 0) {
        child_fail(rep, k_step_setgid);
      }
      if (setuid(*spec.uid) != 0) {
        child_fail(rep, k_step_setuid);
      }
    }
    if (spec.directory && chdir(spec.directory->c_str()) != 0) {
      child_fail(rep, k_step_chdir);
    }
    if (spec.umask) {
      umask(*spec.umask);
    }
    // Default dispositions and an empty mask: the program starts as if from a
    // fresh shell, not with tend's blocked signals (nor Python's ignored SIGPIPE).
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) {
        reset_disposition(sig);
      }
    }
    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, nullptr);
    execve(cmd->filename.c_str(), argv.data(), envp.data());
    child_fail(rep, k_step_exec);
  }

  // Parent.
  setpgid(pid, pid);  // also done by the child; whichever runs first wins the race harmlessly
  rep_w.close();
  in_r.close();
  out_w.close();
  err_w.close();
  ChildFailure failure{};
  ssize_t n;
  do {
    n = read(rep_r.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    // The child failed before execve and has exited: collect it here so the
    // reaper never sees a pid nobody spawned.
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return make_error(step_message(failure, spec, *cmd, user_name));
  }
  Spawned out;
  out.pid = pid;
  set_nonblock(in_w.get());
  set_nonblock(out_r.get());
  if (err_r) {
    set_nonblock(err_r.get());
  }
  out.stdin_w = std::move(in_w);
  out.stdout_r = std::move(out_r);
  out.stderr_r = std::move(err_r);
  return out;
}

}  // namespace tend
