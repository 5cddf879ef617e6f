// Real-syscall tests: fork/exec, the child's environment, fds, mask and errors.
#include "core/spawn.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

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
    GTEST_SKIP() << "needs root";
  }
  SpawnSpec spec = shell("id -u; echo $HOME $USER $LOGNAME");
  spec.uid = 65534;  // nobody
  auto s = spawn_process(spec);
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ(run_and_collect(*s), "65534\n/nonexistent nobody nobody\n");
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
