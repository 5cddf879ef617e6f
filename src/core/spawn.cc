#include "core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "config/rlimits.h"
#include "core/spawn_child.h"
#include "util/passwd.h"
#include "util/shlex.h"

extern char** environ;

namespace tend {

namespace {

constexpr const char* k_default_path = "/bin:/usr/bin:/usr/local/bin";

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

// Only for the parent's ends of fresh pipes, whose other status flags are all clear.
void set_nonblock(int fd) { fcntl(fd, F_SETFL, O_NONBLOCK); }

static_assert(k_rlimit_kinds.size() <= ChildPlan::k_max_limits);

std::string limit_message(const ChildPlan::Limit& l, const char* why) {
  const RlimitKind* kind = find_rlimit_kind(l.resource);
  return fmt::format("unable to set {} to {}: {}", kind != nullptr ? kind->key : "a resource limit",
                     format_rlimit({l.soft, l.hard}), why);
}

std::string step_message(const ChildFailure& f, const ChildPlan& plan, const SpawnSpec& spec,
                         const ResolvedCommand& cmd, const std::string& user_name) {
  const char* why = strerror(f.err);
  switch (f.step) {
    case ChildStep::Setpgid:
      return fmt::format("unable to create a process group: {}", why);
    case ChildStep::Dup:
      return fmt::format("unable to set up stdio: {}", why);
    case ChildStep::Rlimit:
      return limit_message(plan.limits[f.limit < plan.limit_count ? f.limit : 0], why);
    case ChildStep::Groups:
      return fmt::format("couldn't set supplementary groups for user {}: {}", user_name, why);
    case ChildStep::Setgid:
      return fmt::format("couldn't setgid for user {}: {}", user_name, why);
    case ChildStep::Setuid:
      return fmt::format("couldn't setuid to {} ({}): {}", user_name, spec.uid ? *spec.uid : 0, why);
    case ChildStep::Chdir:
      return fmt::format("couldn't chdir to {}: {}", spec.directory.value_or(""), why);
    case ChildStep::Exec:
      return fmt::format("couldn't exec {}: {}", cmd.filename, why);
    case ChildStep::None:
      break;
  }
  return fmt::format("child setup failed: {}", why);
}

}  // namespace

void plan_limits(const ResourceLimits& limits, ChildPlan& plan) {
  for (const RlimitKind& kind : k_rlimit_kinds) {
    if (const std::optional<ResourceLimit>& l = limits.*kind.member) {
      plan.limits[plan.limit_count++] = {kind.resource, l->soft, l->hard};
    }
  }
}

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

  // Everything the child needs is prepared here: the child may not allocate.
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
  env_merge(env, spec.extra_env);
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

  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  Status st = spec.stdin_fd >= 0 ? ok_status() : make_pipe(in_r, in_w);
  if (st) st = make_pipe(out_r, out_w);
  if (st && !spec.redirect_stderr) st = make_pipe(err_r, err_w);
  if (!st) {
    return make_error(st.error());
  }

  ChildPlan plan;
  plan.filename = cmd->filename.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.stdin_fd = spec.stdin_fd >= 0 ? spec.stdin_fd : in_r.get();
  plan.stdout_fd = out_w.get();
  plan.stderr_fd = spec.redirect_stderr ? out_w.get() : err_w.get();
  if (spec.uid) {
    plan.set_user = true;
    plan.uid = *spec.uid;
    plan.gid = gid;
    plan.groups = groups.data();
    plan.group_count = groups.size();
  }
  std::vector<SpawnSpec::ExtraFd> extras = spec.extra_fds;
  std::sort(extras.begin(), extras.end(), [](const auto& a, const auto& b) { return a.child_fd < b.child_fd; });
  if (extras.size() > ChildPlan::k_max_extra_fds) {
    return make_error(fmt::format("unable to pass {} extra fds: at most {}", extras.size(), ChildPlan::k_max_extra_fds));
  }
  for (size_t i = 0; i < extras.size(); ++i) {
    if (extras[i].child_fd <= 2 || (i > 0 && extras[i].child_fd == extras[i - 1].child_fd)) {
      return make_error(fmt::format("unable to pass fd {} to the child: fds 0-2 are its stdio, and each number once",
                                    extras[i].child_fd));
    }
    plan.extra_fd[i] = extras[i].fd;
    plan.extra_child_fd[i] = extras[i].child_fd;
  }
  plan.extra_count = extras.size();
  plan_limits(spec.rlimits, plan);
  plan.directory = spec.directory ? spec.directory->c_str() : nullptr;
  if (spec.umask) {
    plan.set_umask = true;
    plan.umask = *spec.umask;
  }
  Result<LaunchResult> launched = launch_child(plan);
  if (!launched) {
    return make_error(launched.error());
  }
  if (launched->failure.step != ChildStep::None) {
    return make_error(step_message(launched->failure, plan, spec, *cmd, user_name));
  }
  pid_t pid = launched->pid;
  in_r.close();
  out_w.close();
  err_w.close();
  Spawned out;
  out.pid = pid;
  if (in_w) {
    set_nonblock(in_w.get());
  }
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
