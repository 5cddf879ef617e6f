/* The soak's programs: one small binary, so that 500 of them cost the 2-core machine little.
 *
 *   soakprog ROLE NAME [ARG]
 *
 * Every line a role writes on stdout has the form
 *   "<name> <pid> <seq> <check> <pad>\n"
 * where seq counts from 0 per process, check is a hash of (name, pid, seq) in hex and pad a run
 * of one letter chosen by seq, so that soak.py can find a lost, repeated, reordered or damaged
 * line in the program's log and its rotated backups. A process that ends by its own choice (or on
 * SIGTERM) writes "<name> <pid> END <count>\n" last: then no line at its tail may be missing.
 * Each line is one write(2) of less than PIPE_BUF bytes, so it reaches the pipe whole.
 *
 * Roles:
 *   flood NAME RATE    RATE lines a second (about 100 bytes each) until SIGTERM.
 *   crash NAME N       N lines, END, exit status 1 (a crash loop under autorestart).
 *   daemon NAME SECS   a line every SECS s and, with each, a setsid double-forked daemon with
 *                      its stdio on /dev/null that lives 1..8 s and exits (re-parented to tend,
 *                      the subreaper, which must reap it); until SIGTERM.
 *   stubborn NAME      ignores SIGTERM (writes a line when one comes), a line every 2 s; only
 *                      SIGKILL ends it.
 *   idle NAME          a line every 5 s until SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_term;
static const char* g_name;
static long g_seq;

static void on_term(int sig) {
  (void)sig;
  g_term = 1;
}

/* FNV-1a of name, pid and seq: the same function as soak.py's line_check(). */
static uint32_t line_check(const char* name, long pid, long seq) {
  char buf[128];
  int n = snprintf(buf, sizeof buf, "%s/%ld/%ld", name, pid, seq);
  uint32_t h = 2166136261u;
  for (int i = 0; i < n; ++i) {
    h ^= (unsigned char)buf[i];
    h *= 16777619u;
  }
  return h;
}

static void write_all(const char* buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(1, buf, len);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      _exit(3);
    }
    buf += w;
    len -= (size_t)w;
  }
}

/* One sequence-numbered line; pad letters make flood lines about 100 bytes. */
static void emit(int pad) {
  char line[256];
  long pid = (long)getpid();
  int n = snprintf(line, sizeof line, "%s %ld %ld %08x ", g_name, pid, g_seq, line_check(g_name, pid, g_seq));
  char letter = (char)('a' + g_seq % 26);
  for (int i = 0; i < pad && n < (int)sizeof line - 2; ++i) {
    line[n++] = letter;
  }
  line[n++] = '\n';
  write_all(line, (size_t)n);
  ++g_seq;
}

static void emit_end(void) {
  char line[128];
  int n = snprintf(line, sizeof line, "%s %ld END %ld\n", g_name, (long)getpid(), g_seq);
  write_all(line, (size_t)n);
}

/* Sleeps `ms` unless SIGTERM comes first (the handler interrupts nanosleep). */
static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (!g_term && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void spawn_daemon(unsigned seed) {
  pid_t child = fork();
  if (child < 0) {
    return;
  }
  if (child == 0) {
    setsid();
    if (fork() != 0) {
      _exit(0); /* the intermediate: its child is orphaned and goes to the subreaper */
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      if (null > 2) {
        close(null);
      }
    }
    signal(SIGTERM, SIG_DFL);
    sleep(1 + seed % 8);
    _exit(0);
  }
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
  }
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: soakprog flood|crash|daemon|stubborn|idle NAME [ARG]\n");
    return 2;
  }
  const char* role = argv[1];
  g_name = argv[2];
  long arg = argc > 3 ? atol(argv[3]) : 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term; /* no SA_RESTART: a sleep ends at once on SIGTERM */
  sigaction(SIGTERM, &sa, NULL);

  if (strcmp(role, "flood") == 0) {
    long rate = arg > 0 ? arg : 100;
    long tick_ms = 50, per_tick = rate * tick_ms / 1000;
    if (per_tick < 1) {
      per_tick = 1;
    }
    while (!g_term) {
      for (long i = 0; i < per_tick && !g_term; ++i) {
        emit(70);
      }
      nap_ms(tick_ms);
    }
    emit_end();
    return 0;
  }
  if (strcmp(role, "crash") == 0) {
    for (long i = 0; i < (arg > 0 ? arg : 5); ++i) {
      emit(20);
    }
    emit_end();
    return 1;
  }
  if (strcmp(role, "daemon") == 0) {
    long secs = arg > 0 ? arg : 10;
    unsigned seed = (unsigned)getpid();
    nap_ms(1000 * (seed % secs));
    while (!g_term) {
      emit(10);
      spawn_daemon(seed + (unsigned)g_seq);
      nap_ms(1000 * secs);
    }
    emit_end();
    return 0;
  }
  if (strcmp(role, "stubborn") == 0) {
    while (1) {
      if (g_term) {
        g_term = 0;
        emit(5); /* the TERM came and is ignored */
      }
      emit(10);
      nap_ms(2000);
    }
  }
  if (strcmp(role, "idle") == 0) {
    while (!g_term) {
      emit(10);
      nap_ms(5000);
    }
    emit_end();
    return 0;
  }
  fprintf(stderr, "soakprog: unknown role %s\n", role);
  return 2;
}
