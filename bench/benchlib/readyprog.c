/* The programs of the `deps` bench scenario: a dependency that becomes ready at a recorded
 * instant, and a dependent that records the instant it starts. Times are CLOCK_MONOTONIC
 * (Python's time.monotonic()), written as "<seconds>.<nanoseconds>\n".
 *
 *   readyprog notify DELAY OUT   sleep DELAY s, then take the time, send READY=1 to
 *                                $NOTIFY_SOCKET, write the time to OUT; then wait for a signal
 *   readyprog fd N DELAY OUT     the same, readiness being a newline on fd N (s6 style)
 *   readyprog stamp OUT          write the time to OUT first thing; then wait for a signal
 *   readyprog now                send READY=1 to $NOTIFY_SOCKET at once; then wait
 *   readyprog floor DIR N        the spawn floor: N times, take the time (DIR/bNNN), spawn
 *                                `readyprog stamp DIR/dNNN` (posix_spawn: clone(CLONE_VM |
 *                                CLONE_VFORK) and execve, as tend spawns), wait for its stamp,
 *                                end it; what exec and a static program's start cost here
 *
 * SIGTERM ends every mode (default action).
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void write_stamp(const char *path, const struct timespec *ts) {
  char buf[64];
  int n = snprintf(buf, sizeof buf, "%lld.%09ld\n", (long long)ts->tv_sec, ts->tv_nsec);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, buf, (size_t)n) != n) {
    perror(path);
    exit(111);
  }
  close(fd);
}

static void sleep_for(const char *secs) {
  double d = atof(secs);
  struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int notify_ready(void) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (path == NULL || path[0] == '\0') {
    fprintf(stderr, "readyprog: no NOTIFY_SOCKET\n");
    return -1;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t len = strlen(path);
  if (len >= sizeof addr.sun_path) {
    fprintf(stderr, "readyprog: NOTIFY_SOCKET too long\n");
    return -1;
  }
  memcpy(addr.sun_path, path, len);
  if (path[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract namespace
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("socket");
    return -1;
  }
  static const char msg[] = "READY=1";
  ssize_t n = sendto(fd, msg, sizeof msg - 1, 0, (struct sockaddr *)&addr,
                     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
  close(fd);
  if (n < 0) {
    perror("sendto NOTIFY_SOCKET");
    return -1;
  }
  return 0;
}

extern char **environ;

static int spawn_floor(const char *self, const char *dir, int count) {
  char before[4096], stamp[4096];
  for (int i = 0; i < count; ++i) {
    snprintf(before, sizeof before, "%s/b%03d", dir, i);
    snprintf(stamp, sizeof stamp, "%s/d%03d", dir, i);
    char *args[] = {(char *)self, "stamp", stamp, NULL};
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    pid_t pid;
    int err = posix_spawn(&pid, self, NULL, NULL, args, environ);
    if (err != 0) {
      fprintf(stderr, "readyprog: unable to spawn %s: %s\n", self, strerror(err));
      return 111;
    }
    write_stamp(before, &ts);
    struct stat st;
    while (stat(stamp, &st) != 0 || st.st_size == 0) {
      struct timespec ms = {0, 1000000};
      nanosleep(&ms, NULL);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
  }
  return 0;
}

int main(int argc, char **argv) {
  struct timespec ts;
  if (argc == 3 && strcmp(argv[1], "stamp") == 0) {
    clock_gettime(CLOCK_MONOTONIC, &ts);
    write_stamp(argv[2], &ts);
  } else if (argc == 4 && strcmp(argv[1], "notify") == 0) {
    sleep_for(argv[2]);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (notify_ready() != 0) {
      return 111;
    }
    write_stamp(argv[3], &ts);
  } else if (argc == 5 && strcmp(argv[1], "fd") == 0) {
    int nfd = atoi(argv[2]);
    sleep_for(argv[3]);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (write(nfd, "\n", 1) != 1) {
      perror("notification fd");
      return 111;
    }
    close(nfd);
    write_stamp(argv[4], &ts);
  } else if (argc == 4 && strcmp(argv[1], "floor") == 0) {
    return spawn_floor(argv[0], argv[2], atoi(argv[3]));
  } else if (argc == 2 && strcmp(argv[1], "now") == 0) {
    if (notify_ready() != 0) {
      return 111;
    }
  } else {
    fprintf(stderr, "usage: readyprog notify DELAY OUT | fd N DELAY OUT | stamp OUT | now | floor DIR N\n");
    return 100;
  }
  for (;;) {
    pause();
  }
}
