// text_trace: which functions of a program run, in the order they first run.
//
//   text_trace <addresses> <out> -- <program> [args...]
//
// <addresses> holds one hexadecimal function address a line (tools/hot_symbols.py writes it from
// `nm`). The program starts under ptrace with a breakpoint (int3) on every one of them; the first
// time a function runs, its address is appended to <out> and its first byte put back, so each
// function costs one stop and the program runs at nearly full speed afterwards. Forked children are
// followed until they exec (a spawned program is not ours), so the code between fork and exec
// counts too. <out> is written when the program exits. x86-64 only: the ordering it feeds is the
// same for every architecture, as the functions and what runs first are.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

struct Breakpoint {
  uint64_t addr;
  unsigned char orig;
  int hit;
};

static struct Breakpoint* g_bps;
static size_t g_n;

static int by_addr(const void* a, const void* b) {
  uint64_t x = ((const struct Breakpoint*)a)->addr;
  uint64_t y = ((const struct Breakpoint*)b)->addr;
  return x < y ? -1 : x > y;
}

static struct Breakpoint* find(uint64_t addr) {
  struct Breakpoint key = {addr, 0, 0};
  return bsearch(&key, g_bps, g_n, sizeof key, by_addr);
}

static void die(const char* what) {
  fprintf(stderr, "text_trace: unable to %s: %s\n", what, strerror(errno));
  exit(1);
}

static void read_addresses(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) {
    die("open the address list");
  }
  size_t cap = 4096;
  g_bps = malloc(cap * sizeof *g_bps);
  unsigned long long a;
  while (fscanf(f, "%llx", &a) == 1) {
    if (g_n == cap) {
      cap *= 2;
      g_bps = realloc(g_bps, cap * sizeof *g_bps);
    }
    g_bps[g_n++] = (struct Breakpoint){a, 0, 0};
  }
  fclose(f);
  qsort(g_bps, g_n, sizeof *g_bps, by_addr);
  size_t w = 0;  // folded (ICF) functions share an address: one breakpoint each
  for (size_t i = 0; i < g_n; i++) {
    if (w == 0 || g_bps[w - 1].addr != g_bps[i].addr) {
      g_bps[w++] = g_bps[i];
    }
  }
  g_n = w;
}

// Sets the byte at `addr` in `pid`'s memory, returning the one it replaced.
static int poke_byte(pid_t pid, uint64_t addr, unsigned char b, unsigned char* old) {
  errno = 0;
  long word = ptrace(PTRACE_PEEKTEXT, pid, (void*)addr, 0);
  if (errno != 0) {
    return -1;
  }
  if (old) {
    *old = (unsigned char)(word & 0xff);
  }
  word = (word & ~0xffL) | b;
  return (int)ptrace(PTRACE_POKETEXT, pid, (void*)addr, (void*)word);
}

int main(int argc, char** argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: text_trace <addresses> <out> -- <program> [args...]\n");
    return 2;
  }
  read_addresses(argv[1]);
  FILE* out = fopen(argv[2], "w");
  if (!out) {
    die("open the output");
  }
  pid_t root = fork();
  if (root < 0) {
    die("fork");
  }
  if (root == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execv(argv[4], argv + 4);
    _exit(127);
  }
  int st;
  if (waitpid(root, &st, 0) < 0 || !WIFSTOPPED(st)) {
    die("start the program");
  }
  ptrace(PTRACE_SETOPTIONS, root, 0,
         PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
             PTRACE_O_EXITKILL);
  size_t armed = 0;
  for (size_t i = 0; i < g_n; i++) {
    if (poke_byte(root, g_bps[i].addr, 0xcc, &g_bps[i].orig) == 0) {
      armed++;
    }
  }
  fprintf(stderr, "text_trace: %zu breakpoints in pid %d\n", armed, (int)root);
  ptrace(PTRACE_CONT, root, 0, 0);
  size_t hits = 0;
  for (;;) {
    pid_t pid = waitpid(-1, &st, __WALL);
    if (pid < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      if (pid == root) {
        break;
      }
      continue;
    }
    if (!WIFSTOPPED(st)) {
      continue;
    }
    int sig = WSTOPSIG(st);
    int event = st >> 16;
    if (event == PTRACE_EVENT_EXEC && pid != root) {
      ptrace(PTRACE_DETACH, pid, 0, 0);  // a spawned program: not ours
      continue;
    }
    if (event != 0) {
      ptrace(PTRACE_CONT, pid, 0, 0);
      continue;
    }
    if (sig == SIGTRAP) {
      struct user_regs_struct regs;
      ptrace(PTRACE_GETREGS, pid, 0, &regs);
      struct Breakpoint* bp = find(regs.rip - 1);
      if (bp) {
        // Put the first byte back in this process (a forked child has its own copy of the text)
        // and run the instruction again.
        poke_byte(pid, bp->addr, bp->orig, NULL);
        regs.rip = bp->addr;
        ptrace(PTRACE_SETREGS, pid, 0, &regs);
        if (!bp->hit) {
          bp->hit = 1;
          hits++;
          fprintf(out, "%llx\n", (unsigned long long)bp->addr);
        }
        ptrace(PTRACE_CONT, pid, 0, 0);
        continue;
      }
      sig = 0;
    }
    // A new child's first stop, or a signal for the program: deliver the latter.
    ptrace(PTRACE_CONT, pid, 0, sig == SIGSTOP ? 0 : sig);
  }
  fclose(out);
  fprintf(stderr, "text_trace: %zu functions ran\n", hits);
  return 0;
}
