/* berth-attach: bridges stdio to conmon's attach socket, which is SOCK_SEQPACKET (Node's net
 * module cannot open one). Packets from conmon start with a byte: 2 = stdout, 3 = stderr.
 * Our stdin goes to the container's stdin as packets; stdin EOF shuts our write side, and
 * conmon then closes the container's stdin. Exits 0 when conmon closes the socket.
 * With DETACH_KEYS (the key sequence as hex, "1011" for docker's ctrl-p,ctrl-q), that sequence
 * typed on stdin is not sent: the helper leaves, exit code 3, and the container runs on; a
 * partial match is sent as typed once the next key differs.
 * Usage: berth-attach SOCKET_PATH [DETACH_KEYS] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF_SIZE 8192

static int write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += w;
    len -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: berth-attach SOCKET_PATH [DETACH_KEYS]\n");
    return 2;
  }
  unsigned char keys[32];
  size_t nkeys = 0;
  if (argc == 3) {
    const char *hex = argv[2];
    size_t len = strlen(hex);
    if (len % 2 != 0 || len / 2 > sizeof(keys)) {
      fprintf(stderr, "berth-attach: invalid detach keys %s\n", hex);
      return 2;
    }
    for (size_t i = 0; i < len / 2; i++) {
      unsigned int b;
      if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
        fprintf(stderr, "berth-attach: invalid detach keys %s\n", hex);
        return 2;
      }
      keys[nkeys++] = (unsigned char)b;
    }
  }
  size_t matched = 0;
  signal(SIGPIPE, SIG_IGN);

  /* sun_path holds 108 bytes: reach long paths through /proc/self/fd/N of their directory. */
  char *dir_copy = strdup(argv[1]);
  char *base_copy = strdup(argv[1]);
  if (dir_copy == NULL || base_copy == NULL) return 1;
  int dirfd = open(dirname(dir_copy), O_PATH | O_CLOEXEC);
  if (dirfd < 0) {
    fprintf(stderr, "cannot attach: cannot open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd, basename(base_copy));

  int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
    fprintf(stderr, "cannot attach: cannot connect to %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  /* Tell the parent we are connected, so it can start the container without losing output. */
  if (getenv("BERTH_ATTACH_READY_FD") != NULL) {
    int ready = atoi(getenv("BERTH_ATTACH_READY_FD"));
    if (write_all(ready, "1", 1) == 0) close(ready);
  }

  char buf[BUF_SIZE + 1];
  struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
  int nfds = 2;
  for (;;) {
    if (poll(fds, (nfds_t)nfds, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(sock, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0; /* conmon closed: the container exited */
      int out = buf[0] == 3 ? 2 : 1;
      if (n > 1 && write_all(out, buf + 1, (size_t)n - 1) < 0) return 0;
    }
    if (nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, buf, BUF_SIZE);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        shutdown(sock, SHUT_WR);
        nfds = 1;
        continue;
      }
      /* What is sent: the input less the detach sequence (held back while it may be one). */
      char out[BUF_SIZE + sizeof(keys)];
      size_t o = 0;
      int detach = 0;
      for (ssize_t i = 0; i < n && !detach; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (nkeys > 0 && c == keys[matched]) {
          if (++matched == nkeys) detach = 1;
          continue;
        }
        if (matched > 0) {
          memcpy(out + o, keys, matched);
          o += matched;
          matched = 0;
          if (nkeys > 0 && c == keys[0]) {
            matched = 1;
            continue;
          }
        }
        out[o++] = (char)c;
      }
      if (o > 0 && send(sock, out, o, 0) < 0) nfds = 1;
      if (detach) return 3;
    }
  }
}
