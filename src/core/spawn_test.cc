// Real-syscall tests: fork/exec, the child's environment, fds, mask and errors.
#include "core/spawn.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "config/rlimits.h"
#include "core/spawn_child.h"
#include "fakes/missing_tool.h"

namespace tend {
namespace {

// Reads a child's stdout until EOF and waits for it.
std::string run_and_collect(Spawned& s, int* status = nullptr) {
  int fd = s.stdout_r.get();
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  int st = 0;
  waitpid(s.pid, &st, 0);
  if (status != nullptr) {
    *status = st;
  }
  return out;
}

SpawnSpec shell(const std::string& script) {
  SpawnSpec spec;
  spec.command = "/bin/sh -c '" + script + "'";
  spec.inherited = {{"PATH", "/usr/bin:/bin"}};
  spec.search_path = "/usr/bin:/bin";
  spec.redirect_stderr = true;
  return spec;
}

TEST(ResolveCommand, SearchesPathAndKeepsArgv0) {
  auto r = resolve_command("sh -c 'echo hi'", "/nonexistent:/bin:/usr/bin");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->filename, "/bin/sh");
  EXPECT_EQ(r->argv, (std::vector<std::string>{"sh", "-c", "echo hi"}));
}

TEST(ResolveCommand, ErrorsNameTheCommandAndPath) {
  EXPECT_EQ(resolve_command("nope-not-here", "/bin:/usr/bin").error(),
            "can't find command 'nope-not-here' in PATH=/bin:/usr/bin");
  EXPECT_EQ(resolve_command("/no/such/file", "/bin").error(), "can't find command '/no/such/file'");
  EXPECT_EQ(resolve_command("/etc", "/bin").error(), "command at '/etc' is a directory");
  char plain[] = "/tmp/tend-spawn-test-XXXXXX";
  int fd = mkstemp(plain);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(resolve_command(plain, "/bin").error(), std::string("command at '") + plain + "' is not executable");
  unlink(plain);
  EXPECT_EQ(resolve_command("", "/bin").error(), "command is empty");
  EXPECT_EQ(resolve_command("echo 'open", "/bin").error(), "can't parse command 'echo 'open': No closing quotation");
}

TEST(Spawn, ChildGetsOnlyStdioAnEmptyMaskAndDefaultDispositions) {
  // The parent blocks and ignores signals the child must not inherit.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &old);
  struct sigaction ign {}, old_pipe {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe);

  SpawnSpec spec = shell("ls /proc/self/fd | sort -n | tr \"\\n\" \" \"; grep -E \"^Sig(Blk|Ign)\" /proc/self/status");
  auto s = spawn_process(spec);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  ASSERT_TRUE(s.ok()) << s.error();
  std::string out = run_and_collect(*s);
  // ls itself holds one extra fd for the directory it reads (3).
  EXPECT_EQ(out.substr(0, out.find('\n') == std::string::npos ? out.size() : out.find("Sig")), "0 1 2 3 ");
  EXPECT_NE(out.find("SigBlk:\t0000000000000000"), std::string::npos) << out;
  EXPECT_NE(out.find("SigIgn:\t0000000000000000"), std::string::npos) << out;
}

TEST(Spawn, AGivenStdinFdIsTheChildsFdZeroInsteadOfAPipe) {
  // An fcgi program: fd 0 is the group's listening socket (close-on-exec in
  // tend, blocking), and the child still has nothing beyond 0-2.
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  SpawnSpec spec = shell("test -S /proc/self/fd/0 && echo socket; ls /proc/self/fd | sort -n | tr \"\\n\" \" \"");
  spec.stdin_fd = sv[0];
  auto s = spawn_process(spec);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_FALSE(s->stdin_w.valid());
  EXPECT_EQ(run_and_collect(*s), "socket\n0 1 2 3 ");  // 3: the directory ls reads
  EXPECT_EQ(fcntl(sv[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);  // tend's own copy is untouched
  close(sv[0]);
  close(sv[1]);
}

TEST(Spawn, ExtraFdsArriveAtTheirNumbersAndNothingElse) {
  // A notification fd (s6 style) at 5 and another at 4; the sources' own
  // numbers collide with the targets on purpose (dup'd to 4 and 5 first).
  int a[2];
  int b[2];
  ASSERT_EQ(pipe2(a, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(b, O_CLOEXEC), 0);
  SpawnSpec spec = shell("echo one >&5; echo two >&4; ls /proc/self/fd | sort -n | tr \"\\n\" \" \"; echo $NOTIFY_SOCKET");
  spec.extra_fds = {{5, a[1]}, {4, b[1]}};
  spec.extra_env = {{"NOTIFY_SOCKET", "@tend-test"}};
  auto s = spawn_process(spec);
  ASSERT_TRUE(s.ok()) << s.error();
  close(a[1]);
  close(b[1]);
  std::string out = run_and_collect(*s);
  EXPECT_EQ(out, "0 1 2 3 4 5 @tend-test\n");  // 3: the directory ls reads
  char buf[16] = {};
  EXPECT_EQ(read(a[0], buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "one\n");
  char buf2[16] = {};
  EXPECT_EQ(read(b[0], buf2, sizeof buf2), 4);
  EXPECT_STREQ(buf2, "two\n");
  close(a[0]);
  close(b[0]);
}

TEST(Spawn, ExtraFdsMustBeAboveStdio) {
  int a[2];
  ASSERT_EQ(pipe2(a, O_CLOEXEC), 0);
  SpawnSpec spec = shell("true");
  spec.extra_fds = {{2, a[1]}};
  auto s = spawn_process(spec);
  EXPECT_FALSE(s.ok());
  close(a[0]);
  close(a[1]);
}

// Raw rt_sigaction, which (unlike sigaction) also reaches glibc's reserved 32 and 33.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

TEST(Spawn, ReservedSignalsAndHandlersDoNotReachTheChildNorLeaveTheParent) {
  // An ignored 33 and a caught SIGUSR1 in the parent: the child must start with
  // neither, and the parent must keep both (the child resets only its own).
  KernelSigaction ign{SIG_IGN, 0, nullptr, 0}, old33{};
  ASSERT_EQ(syscall(SYS_rt_sigaction, 33, &ign, &old33, sizeof ign.mask), 0);
  struct sigaction catcher {}, old_usr1 {}, now_usr1 {};
  catcher.sa_handler = [](int) {};
  sigaction(SIGUSR1, &catcher, &old_usr1);
  sigset_t usr2, before, after;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &usr2, &before);

  auto s = spawn_process(shell("cat /proc/self/status"));  // cat installs no handler (grep does)

  sigprocmask(SIG_SETMASK, &before, &after);
  sigaction(SIGUSR1, &old_usr1, &now_usr1);
  KernelSigaction now33{};
  syscall(SYS_rt_sigaction, 33, &old33, &now33, sizeof old33.mask);
  EXPECT_EQ(now33.handler, SIG_IGN);
  EXPECT_EQ(now_usr1.sa_handler, catcher.sa_handler);
  EXPECT_EQ(sigismember(&after, SIGUSR2), 1) << "the parent's mask changed";
  EXPECT_EQ(sigismember(&after, SIGTERM), sigismember(&before, SIGTERM));

  ASSERT_TRUE(s.ok()) << s.error();
  std::string out = run_and_collect(*s);
  EXPECT_NE(out.find("SigBlk:\t0000000000000000"), std::string::npos) << out;
  EXPECT_NE(out.find("SigIgn:\t0000000000000000"), std::string::npos) << out;
  EXPECT_NE(out.find("SigCgt:\t0000000000000000"), std::string::npos) << out;
}

TEST(Spawn, ExecFailureIsReportedWithPathAndErrno) {
  // Passes resolve_command (exists, executable) but execve fails: the
  // interpreter named on the #! line does not exist.
  char path[] = "/tmp/tend-spawn-test-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string body = "#!/no/such/interpreter\n";
  ASSERT_EQ(write(fd, body.data(), body.size()), static_cast<ssize_t>(body.size()));
  close(fd);
  chmod(path, 0755);
  SpawnSpec spec = shell("true");
  spec.command = path;
  auto s = spawn_process(spec);
  unlink(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), std::string("couldn't exec ") + path + ": No such file or directory");
}

TEST(Spawn, FailedChildIsCollectedBeforeReturning) {
  // The failing child has been waited for: no zombie is left for the reaper.
  pid_t self = getpid();
  auto zombies = [self] {
    int n = 0;
    std::ifstream children("/proc/" + std::to_string(self) + "/task/" + std::to_string(self) + "/children");
    pid_t pid;
    while (children >> pid) {
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
      size_t close_paren = text.rfind(')');
      if (close_paren != std::string::npos && text.compare(close_paren + 2, 1, "Z") == 0) {
        ++n;
      }
    }
    return n;
  };
  int before = zombies();
  SpawnSpec spec = shell("true");
  spec.directory = "/no/such/dir";
  ASSERT_FALSE(spawn_process(spec).ok());
  EXPECT_EQ(zombies(), before);
}

TEST(Spawn, ThreadsSpawnConcurrently) {
  // Each spawning thread has its own child stack and report.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&failures, t] {
      for (int i = 0; i < 10; ++i) {
        SpawnSpec spec = shell("echo ok");
        if (i % 2 == 1) {
          spec.directory = "/no/such/dir" + std::to_string(t);
          auto s = spawn_process(spec);
          if (s.ok() || s.error() != "couldn't chdir to " + *spec.directory + ": No such file or directory") {
            ++failures;
          }
          continue;
        }
        auto s = spawn_process(spec);
        if (!s.ok() || run_and_collect(*s) != "ok\n") {
          ++failures;
        }
      }
    });
  }
  for (std::thread& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
}

TEST(Spawn, ChildRunsInItsOwnProcessGroup) {
  auto s = spawn_process(shell("ps -o pgid= -p $$"));
  ASSERT_TRUE(s.ok()) << s.error();
  pid_t pid = s->pid;
  std::string out = run_and_collect(*s);
  EXPECT_EQ(std::atoi(out.c_str()), pid);
}

TEST(Spawn, EnvironmentLayersInheritedThenConfigured) {
  SpawnSpec spec = shell("echo $A-$B-$C");
  spec.inherited.push_back({"A", "inherited"});
  spec.inherited.push_back({"B", "inherited"});
  spec.configured = {{"B", "configured"}, {"C", "new"}};
  auto s = spawn_process(spec);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(run_and_collect(*s), "inherited-configured-new\n");
}

TEST(Spawn, DirectoryAndUmaskApply) {
  SpawnSpec spec = shell("pwd; umask");
  spec.directory = "/tmp";
  spec.umask = 077;
  auto s = spawn_process(spec);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(run_and_collect(*s), "/tmp\n0077\n");
}

TEST(Spawn, ChdirFailureIsReportedWithPathAndErrno) {
  SpawnSpec spec = shell("true");
  spec.directory = "/no/such/dir";
  auto s = spawn_process(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "couldn't chdir to /no/such/dir: No such file or directory");
}

TEST(Spawn, StderrSeparateUnlessRedirected) {
  SpawnSpec spec = shell("echo out; echo err >&2");
  spec.redirect_stderr = false;
  auto s = spawn_process(spec);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->stderr_r.valid());
  int fd = s->stderr_r.get();
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  EXPECT_EQ(run_and_collect(*s), "out\n");
  char buf[16] = {};
  EXPECT_EQ(read(fd, buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "err\n");
}

TEST(Spawn, UnknownUserFailsBeforeFork) {
  SpawnSpec spec = shell("true");
  spec.uid = 4242424;
  auto s = spawn_process(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("4242424"), std::string::npos) << s.error();
}

TEST(Spawn, UserSetsIdentityAndEnvironment) {
  if (geteuid() != 0) {
    TEND_SKIP_MISSING("root");
  }
  SpawnSpec spec = shell("id -u; echo $HOME $USER $LOGNAME");
  spec.uid = 65534;  // nobody
  auto s = spawn_process(spec);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(run_and_collect(*s), "65534\n/nonexistent nobody nobody\n");
}

// --- resource limits ---------------------------------------------------------------------------

// A process's soft and hard value of one line of /proc/<pid>/limits ("Max
// open files"), as the kernel shows them ("unlimited" or a number).
std::pair<std::string, std::string> proc_limit(pid_t pid, const std::string& name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) == 0) {
      std::istringstream rest(line.substr(name.size()));
      std::string soft, hard;
      rest >> soft >> hard;
      return {soft, hard};
    }
  }
  return {"?", "?"};
}

// A child that blocks reading its stdin until the test closes it.
SpawnSpec waiting_child() {
  SpawnSpec spec;
  spec.command = "/bin/cat";
  spec.search_path = "/usr/bin:/bin";
  return spec;
}

void finish(Spawned& s) {
  s.stdin_w.close();
  int status = 0;
  waitpid(s.pid, &status, 0);
}

// Runs `fn` in a forked helper (whose limits and ids it may change without
// touching this process) and returns what it returned.
template <typename Fn>
std::string in_helper(Fn fn) {
  int p[2];
  if (pipe(p) != 0) {
    return "pipe failed";
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::string out = fn();
    (void)!write(p[1], out.data(), out.size());
    _exit(0);
  }
  close(p[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<size_t>(n));
  }
  close(p[0]);
  waitpid(pid, nullptr, 0);
  return out;
}

TEST(SpawnLimits, PlanCarriesThePresentLimitsInTableOrder) {
  ResourceLimits limits;
  limits.fsize = ResourceLimit{10, 20};
  limits.nofile = ResourceLimit{64, 128};
  limits.core = ResourceLimit{0, ResourceLimit::k_unlimited};
  ChildPlan plan;
  plan_limits(limits, plan);
  ASSERT_EQ(plan.limit_count, 3u);
  EXPECT_EQ(plan.limits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(plan.limits[0].soft, 64u);
  EXPECT_EQ(plan.limits[0].hard, 128u);
  EXPECT_EQ(plan.limits[1].resource, RLIMIT_CORE);
  EXPECT_EQ(plan.limits[1].hard, RLIM64_INFINITY);
  EXPECT_EQ(plan.limits[2].resource, RLIMIT_FSIZE);
  EXPECT_EQ(plan.limits[2].soft, 10u);
  ChildPlan none;
  plan_limits(ResourceLimits{}, none);
  EXPECT_EQ(none.limit_count, 0u);
}

TEST(SpawnLimits, TheChildRunsWithItsLimits) {
  // Lowering is allowed to anyone: values under this process's hard limits.
  rlimit stack{};
  ASSERT_EQ(getrlimit(RLIMIT_STACK, &stack), 0);
  SpawnSpec spec = waiting_child();
  spec.rlimits.nofile = ResourceLimit{64, 128};
  spec.rlimits.core = ResourceLimit{0, 0};
  spec.rlimits.cpu = ResourceLimit{100, 200};
  spec.rlimits.fsize = ResourceLimit{1 << 20, 2 << 20};
  spec.rlimits.stack = ResourceLimit{1 << 20, stack.rlim_max};  // its hard limit kept, unlimited or not
  auto s = spawn_process(spec);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(proc_limit(s->pid, "Max open files"), std::make_pair(std::string("64"), std::string("128")));
  EXPECT_EQ(proc_limit(s->pid, "Max core file size"), std::make_pair(std::string("0"), std::string("0")));
  EXPECT_EQ(proc_limit(s->pid, "Max cpu time"), std::make_pair(std::string("100"), std::string("200")));
  EXPECT_EQ(proc_limit(s->pid, "Max file size"), std::make_pair(std::string("1048576"), std::string("2097152")));
  std::string stack_hard = stack.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(stack.rlim_max);
  EXPECT_EQ(proc_limit(s->pid, "Max stack size"), std::make_pair(std::string("1048576"), stack_hard));
  rlimit mine{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &mine), 0);
  EXPECT_NE(mine.rlim_cur, 64u) << "the limits are the child's alone";
  finish(*s);
}

// Whether this process may raise hard limits: CAP_SYS_RESOURCE in its effective set.
bool may_raise_hard_limits() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      return ((std::stoull(line.substr(7), nullptr, 16) >> 24) & 1) != 0;  // CAP_SYS_RESOURCE is 24
    }
  }
  return false;
}

TEST(SpawnLimits, RootRaisesAHardLimitBeforeDroppingToTheUser) {
  if (geteuid() != 0) {
    TEND_SKIP_MISSING("root");
  }
  if (!may_raise_hard_limits()) {
    // Container runtimes drop it by default; no installation gives it back.
    GTEST_SKIP() << "root without CAP_SYS_RESOURCE here: no one may raise a hard limit";
  }
  // The helper lowers its own hard limit, then spawns a child as nobody with
  // a higher one: only root can raise it, so it must happen before setuid.
  std::string got = in_helper([] {
    rlimit low{256, 512};
    if (setrlimit(RLIMIT_NOFILE, &low) != 0) {
      return std::string("setrlimit failed");
    }
    SpawnSpec spec = waiting_child();
    spec.uid = 65534;
    spec.rlimits.nofile = ResourceLimit{1024, 2048};
    spec.rlimits.memlock = ResourceLimit{ResourceLimit::k_unlimited, ResourceLimit::k_unlimited};
    auto s = spawn_process(spec);
    if (!s.ok()) {
      return s.error();
    }
    std::pair<std::string, std::string> nofile = proc_limit(s->pid, "Max open files");
    std::pair<std::string, std::string> memlock = proc_limit(s->pid, "Max locked memory");
    std::ifstream status("/proc/" + std::to_string(s->pid) + "/status");
    std::string line, uid;
    while (std::getline(status, line)) {
      if (line.rfind("Uid:", 0) == 0) {
        std::istringstream(line.substr(4)) >> uid;
      }
    }
    finish(*s);
    return nofile.first + ":" + nofile.second + " " + memlock.first + ":" + memlock.second + " uid " + uid;
  });
  EXPECT_EQ(got, "1024:2048 unlimited:unlimited uid 65534");
}

TEST(SpawnLimits, TheLimitsAreInForceWhenTheUserChanges) {
  if (geteuid() != 0) {
    TEND_SKIP_MISSING("root");
  }
  // Seen without CAP_SYS_RESOURCE too: a process that changes its uid to a
  // user already at its RLIMIT_NPROC cannot execve (EAGAIN, execve(2)). With
  // one process of nobody's running, a limit of 0 set before the setuid fails
  // the exec, where one set after it would not be looked at.
  SpawnSpec holder_spec = waiting_child();
  holder_spec.uid = 65534;
  auto holder = spawn_process(holder_spec);
  ASSERT_TRUE(holder.ok()) << holder.error();
  SpawnSpec spec = waiting_child();
  spec.uid = 65534;
  spec.rlimits.nproc = ResourceLimit{0, 0};
  auto s = spawn_process(spec);
  finish(*holder);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "couldn't exec /bin/cat: Resource temporarily unavailable");
  // Without the user change (root is exempt) the same limit lets it start.
  spec.uid.reset();
  s = spawn_process(spec);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(proc_limit(s->pid, "Max processes"), std::make_pair(std::string("0"), std::string("0")));
  finish(*s);
}

TEST(SpawnLimits, AboveTheHardLimitUnprivilegedIsASpawnErrorNamingTheLimit) {
  // The helper cannot raise its hard limit back: not root (or root that has
  // given up root for nobody), so neither can its child.
  std::string got = in_helper([] {
    rlimit low{256, 512};
    if (setrlimit(RLIMIT_NOFILE, &low) != 0) {
      return std::string("setrlimit failed");
    }
    if (geteuid() == 0 && setresuid(65534, 65534, 65534) != 0) {
      return std::string("setresuid failed");
    }
    SpawnSpec spec = waiting_child();
    spec.rlimits.core = ResourceLimit{0, 0};  // set first, fine
    spec.rlimits.nofile = ResourceLimit{256, 1024};
    auto s = spawn_process(spec);
    if (s.ok()) {
      finish(*s);
      return std::string("spawned");
    }
    return s.error();
  });
  EXPECT_EQ(got, "unable to set rlimit_nofile to 256:1024: Operation not permitted");
}

// A plan that runs /bin/true with argv and envp on fds 0-2.
ChildPlan true_plan(char** argv, char** envp) {
  ChildPlan plan;
  plan.filename = "/bin/true";
  plan.argv = argv;
  plan.envp = envp;
  plan.stdin_fd = 0;
  plan.stdout_fd = 1;
  plan.stderr_fd = 2;
  return plan;
}

TEST(SpawnLimits, TheFailingLimitIsReportedByItsPlace) {
  // Above fs.nr_open no one may raise the open-files limit, root included.
  std::ifstream nr("/proc/sys/fs/nr_open");
  uint64_t nr_open = 0;
  ASSERT_TRUE(nr >> nr_open);
  char* argv[] = {const_cast<char*>("true"), nullptr};
  char* envp[] = {nullptr};
  ChildPlan plan = true_plan(argv, envp);
  plan.limits[0] = {RLIMIT_CORE, 0, 0};
  plan.limits[1] = {RLIMIT_NOFILE, 64, nr_open + 1};
  plan.limits[2] = {RLIMIT_CPU, 1, 1};
  plan.limit_count = 3;
  Result<LaunchResult> r = launch_child(plan);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->failure.step, ChildStep::Rlimit);
  EXPECT_EQ(r->failure.limit, 1u);
  EXPECT_EQ(r->failure.err, EPERM);

  SpawnSpec spec = waiting_child();
  spec.rlimits.nofile = ResourceLimit{nr_open + 1, nr_open + 1};
  auto s = spawn_process(spec);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), fmt::format("unable to set rlimit_nofile to {}: Operation not permitted", nr_open + 1));
}

// qemu-user runs CLONE_VM | CLONE_VFORK as a plain fork whose clone returns
// at once; CloneMode::Fork does the same on a real kernel. The report must
// still be the child's final word: read only once it has exec'd or exited.
TEST(SpawnPlainFork, ExecFailureIsReportedAfterTheChildIsDone) {
  char* argv[] = {const_cast<char*>("missing"), nullptr};
  char* envp[] = {nullptr};
  for (int i = 0; i < 20; ++i) {
    ChildPlan plan = true_plan(argv, envp);
    plan.filename = "/no/such/program";
    Result<LaunchResult> r = launch_child(plan, CloneMode::Fork);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->failure.step, ChildStep::Exec) << "attempt " << i;
    EXPECT_EQ(r->failure.err, ENOENT) << "attempt " << i;
    // Collected by launch_child, as after a vfork.
    EXPECT_EQ(waitpid(r->pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
  }
}

TEST(SpawnPlainFork, ChdirAndLimitFailuresAreReported) {
  char* argv[] = {const_cast<char*>("true"), nullptr};
  char* envp[] = {nullptr};
  ChildPlan plan = true_plan(argv, envp);
  plan.directory = "/no/such/dir";
  Result<LaunchResult> r = launch_child(plan, CloneMode::Fork);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->failure.step, ChildStep::Chdir);
  EXPECT_EQ(r->failure.err, ENOENT);

  std::ifstream nr("/proc/sys/fs/nr_open");
  uint64_t nr_open = 0;
  ASSERT_TRUE(nr >> nr_open);
  plan = true_plan(argv, envp);
  plan.limits[0] = {RLIMIT_CORE, 0, 0};
  plan.limits[1] = {RLIMIT_NOFILE, 64, nr_open + 1};
  plan.limit_count = 2;
  r = launch_child(plan, CloneMode::Fork);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->failure.step, ChildStep::Rlimit);
  EXPECT_EQ(r->failure.limit, 1u);
  EXPECT_EQ(r->failure.err, EPERM);
}

TEST(SpawnPlainFork, ASuccessfulExecReportsNoFailureAndLeavesNoFdBehind) {
  // The done pipe's ends are gone from both sides once the child has exec'd:
  // the child runs a program that lists its own fds.
  char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), const_cast<char*>("ls /proc/self/fd"),
                  nullptr};
  char* envp[] = {const_cast<char*>("PATH=/usr/bin:/bin"), nullptr};
  for (CloneMode mode : {CloneMode::Vfork, CloneMode::Fork}) {
    int out[2];
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    ChildPlan plan = true_plan(argv, envp);
    plan.filename = "/bin/sh";
    plan.stdout_fd = out[1];
    Result<LaunchResult> r = launch_child(plan, mode);
    close(out[1]);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->failure.step, ChildStep::None);
    std::string listed;
    char buf[256];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0) {
      listed.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    int status = 0;
    ASSERT_EQ(waitpid(r->pid, &status, 0), r->pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    // 0-2 and the fd ls opens for the listing itself: nothing of tend's.
    EXPECT_EQ(listed, "0\n1\n2\n3\n");
  }
}

TEST(EnvMerge, ReplacesAndAppendsInOrder) {
  EnvList base{{"A", "1"}, {"B", "2"}};
  env_merge(base, {{"B", "3"}, {"C", "4"}});
  EXPECT_EQ(base, (EnvList{{"A", "1"}, {"B", "3"}, {"C", "4"}}));
  EXPECT_EQ(env_get(base, "C"), "4");
  EXPECT_EQ(env_get(base, "Z", "dflt"), "dflt");
}

}  // namespace
}  // namespace tend
