/* berth-health-timer: what runs a container's health check each interval, docker's daemon and
 * podman's systemd timer being absent (berth keeps no Node process per container). Started by
 * `berth start`/`run` for a container with a health check, it forks off (a new session, stdio
 * on /dev/null), prints the pid of that background process and returns, so the CLI waits for
 * nothing. The background process sleeps FIRST_MS, runs COMMAND (fork and exec, then waits for
 * it: never two checks at once), sleeps INTERVAL_MS after each, and so on. With -s, docker 25's
 * start period: until START_PERIOD_MS have passed since the timer began, and as long as no check
 * succeeded (exit 0: the container is still "starting"), it sleeps START_INTERVAL_MS instead. It ends as soon as
 * process PID (the container's init) does: a pidfd polled with the sleep as its timeout, or,
 * without pidfd_open, kill(PID, 0) every 100 ms. SIGTERM (stop, kill, rm, cleanup) ends it too,
 * and a check still running is sent SIGTERM with it.
 * Usage: berth-health-timer PID INTERVAL_MS FIRST_MS [-s START_INTERVAL_MS START_PERIOD_MS] COMMAND [ARGS...] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static volatile sig_atomic_t terminated = 0;

static void on_term(int sig) {
  (void)sig;
  terminated = 1;
}

static int pidfd_open_(pid_t pid) {
  return (int)syscall(SYS_pidfd_open, pid, 0);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long parse_ms(const char *s, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 0) {
    fprintf(stderr, "berth-health-timer: invalid %s \"%s\"\n", what, s);
    exit(2);
  }
  return v;
}

/* Whether the watched process is gone: its pidfd readable, or (no pidfd) kill(pid, 0) fails. */
static int init_gone(int pidfd, pid_t pid) {
  if (pidfd >= 0) {
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
  }
  return kill(pid, 0) < 0 && errno == ESRCH;
}

/* Waits up to ms for the init's end or SIGTERM: 1 when either came, 0 when the time passed. */
static int wait_for_end(int pidfd, pid_t pid, long ms) {
  long long deadline = now_ms() + ms;
  for (;;) {
    if (terminated || init_gone(pidfd, pid)) return 1;
    long long left = deadline - now_ms();
    if (left <= 0) return 0;
    if (pidfd >= 0) {
      struct pollfd p = {.fd = pidfd, .events = POLLIN};
      int r = poll(&p, 1, left > 2147483647 ? 2147483647 : (int)left);
      if (r > 0) return 1;
    } else {
      struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
      if (left < 100) ts.tv_nsec = left * 1000000L;
      nanosleep(&ts, NULL);
    }
  }
}

/* Runs the check to its end (*ok: it exited 0); 1 when the init ended (or SIGTERM came)
 * meanwhile: the check is sent SIGTERM and the timer is done. */
static int run_check(char **cmd, int pidfd, pid_t pid, int *ok) {
  *ok = 0;
  pid_t child = fork();
  if (child < 0) return 0;
  if (child == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGTERM, SIG_DFL);
    execv(cmd[0], cmd);
    _exit(127);
  }
  int cfd = pidfd_open_(child);
  for (;;) {
    int status;
    pid_t r = waitpid(child, &status, WNOHANG);
    if (r == child) {
      *ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      break;
    }
    if (r < 0 && errno != EINTR) break;
    if (terminated || init_gone(pidfd, pid)) {
      kill(child, SIGTERM);
      if (cfd >= 0) close(cfd);
      return 1;
    }
    if (cfd >= 0 && pidfd >= 0) {
      struct pollfd p[2] = {{.fd = cfd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
      poll(p, 2, -1);
    } else {
      struct timespec ts = {.tv_sec = 0, .tv_nsec = 50 * 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  if (cfd >= 0) close(cfd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: berth-health-timer PID INTERVAL_MS FIRST_MS [-s START_INTERVAL_MS START_PERIOD_MS] COMMAND [ARGS...]\n");
    return 2;
  }
  pid_t pid = (pid_t)parse_ms(argv[1], "pid");
  long interval = parse_ms(argv[2], "interval");
  long first = parse_ms(argv[3], "first delay");
  long start_interval = 0, start_period = 0;
  int cmd_at = 4;
  if (strcmp(argv[4], "-s") == 0) {
    if (argc < 8) {
      fprintf(stderr, "berth-health-timer: -s needs START_INTERVAL_MS START_PERIOD_MS and a command\n");
      return 2;
    }
    start_interval = parse_ms(argv[5], "start interval");
    start_period = parse_ms(argv[6], "start period");
    if (start_interval <= 0) {
      fprintf(stderr, "berth-health-timer: invalid start interval\n");
      return 2;
    }
    cmd_at = 7;
  }
  if (pid <= 0 || interval <= 0) {
    fprintf(stderr, "berth-health-timer: invalid pid or interval\n");
    return 2;
  }
  int pidfd = pidfd_open_(pid);
  if (pidfd < 0 && errno == ESRCH) {
    fprintf(stderr, "berth-health-timer: process %d is gone\n", (int)pid);
    return 1;
  }
  pid_t bg = fork();
  if (bg < 0) {
    fprintf(stderr, "berth-health-timer: fork: %s\n", strerror(errno));
    return 1;
  }
  if (bg > 0) {
    printf("%d\n", (int)bg);
    return fflush(stdout) == 0 ? 0 : 1;
  }
  setsid();
  if (chdir("/") != 0) _exit(1);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) _exit(1);
  for (int fd = 0; fd < 3; fd++) dup2(null, fd);
  /* Nothing else of the caller's stays open here (the pidfd and /dev/null are close-on-exec). */
  for (int fd = 3; fd < 1024; fd++) {
    if (fd != pidfd && fd != null) close(fd);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  char **cmd = argv + cmd_at;
  long long began = now_ms();
  int succeeded = 0;
  long delay = first;
  for (;;) {
    if (wait_for_end(pidfd, pid, delay)) break;
    int ok;
    if (run_check(cmd, pidfd, pid, &ok)) break;
    if (ok) succeeded = 1;
    int starting = start_period > 0 && !succeeded && now_ms() - began < start_period;
    delay = starting ? start_interval : interval;
  }
  return 0;
}
