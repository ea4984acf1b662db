/* berth: the CLI's launcher, what bin/berth (a symlink to the build of this file) runs. It
 * execs node on dist/src/cli/launch.cjs, found from this binary's own location, with two
 * changes that only make start-up faster:
 * - NODE_EXTRA_CA_CERTS moves to BERTH_EXTRA_CA_CERTS: Node parses the file it names at every
 *   start (~50 ms for a system CA bundle), yet most verbs open no TLS connection; berth's TLS
 *   code (src/internal/tls.ts) adds those CAs when it connects.
 * - --preserve-symlinks-main: the path given is canonical already (from /proc/self/exe), so
 *   Node need not resolve it again, one lstat per path component.
 * A C program rather than a sh script: the shell's own start cost ~1 ms of every command.
 * node is found on PATH, as `#!/usr/bin/env node` would. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Cuts `path` after its n-th last slash: "/a/b/c/d", 3 -> "/a". */
static int strip_components(char *path, int n) {
  for (int i = 0; i < n; i++) {
    char *slash = strrchr(path, '/');
    if (slash == NULL) return -1;
    *slash = '\0';
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *ca = getenv("NODE_EXTRA_CA_CERTS");
  if (ca != NULL) {
    if (*ca != '\0') setenv("BERTH_EXTRA_CA_CERTS", ca, 0);
    unsetenv("NODE_EXTRA_CA_CERTS");
  }
  /* This binary is <root>/native/launcher/build/berth. */
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) {
    fprintf(stderr, "berth: cannot find the launcher's own path: /proc/self/exe: %s\n", strerror(errno));
    return 125;
  }
  self[n] = '\0';
  if (strip_components(self, 4) != 0) {
    fprintf(stderr, "berth: the launcher is not in <root>/native/launcher/build: %s\n", self);
    return 125;
  }
  static const char launch_rel[] = "/dist/src/cli/launch.cjs";
  char launch[PATH_MAX + sizeof launch_rel];
  snprintf(launch, sizeof launch, "%s%s", self, launch_rel);

  char **args = calloc((size_t)argc + 4, sizeof *args);
  if (args == NULL) {
    fprintf(stderr, "berth: out of memory\n");
    return 125;
  }
  args[0] = "node";
  args[1] = "--preserve-symlinks-main";
  /* "--" ends node's own options: Node 20 otherwise looks through the script's arguments too
   * for its --env-file and exits 9 ("node: FILE: not found") when berth's own --env-file names
   * a file that is not there. */
  args[2] = "--";
  args[3] = launch;
  for (int i = 1; i < argc; i++) args[i + 3] = argv[i];
  args[argc + 3] = NULL;
  execvp("node", args);
  fprintf(stderr, "berth: cannot run node: %s\n", strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
