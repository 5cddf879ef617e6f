// A native stand-in for an arm64 binary: execs qemu-aarch64-static on it with
// the same arguments. Tests find tend and tendctl by path (TEND_BUILD) and
// programs re-exec them by name; without binfmt_misc the host kernel cannot
// run an arm64 file itself, so these names must be native executables.
//
// exec, not fork: the pid the caller started is the emulated program's, so
// signals sent to it and waits for it reach the program (qemu forwards them).
// -0 keeps the caller's argv[0], which tend and tendctl print in messages.
//
// No -L: the dynamically linked tendctl takes its loader and libraries from the multiarch
// libc6:arm64 (/lib/aarch64-linux-gnu), one glibc (tests/arm64/run-unit.sh says why).
//
// Built by qemu-wrappers.sh with QEMU and TARGET defined as strings.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  char** args = calloc((size_t)argc + 4, sizeof *args);
  if (args == NULL) {
    fputs("qemu_exec: unable to allocate the argument list: out of memory\n", stderr);
    return 127;
  }
  int n = 0;
  args[n++] = QEMU;
  args[n++] = "-0";
  args[n++] = argc > 0 ? argv[0] : TARGET;
  args[n++] = TARGET;
  for (int i = 1; i < argc; ++i) {
    args[n++] = argv[i];
  }
  args[n] = NULL;
  execv(QEMU, args);
  fprintf(stderr, "qemu_exec: unable to run %s: %s\n", QEMU, strerror(errno));
  return 127;
}
