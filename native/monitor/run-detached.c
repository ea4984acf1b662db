/* berth-run-detached: the runtime conmon runs when berth starts a container at once (run -d,
 * start). conmon calls `RUNTIME [GLOBAL...] create [ARGS...] ID` and berth would then call
 * `RUNTIME start ID`: two runtime processes (Go programs, for runc). Given as conmon's -r, with
 * the real runtime as its first --runtime-arg, this execs
 *   REAL [GLOBAL...] run --detach [ARGS...] ID
 * instead: the runtime creates and starts the container in one process (runc and crun both
 * have `run --detach`, which takes create's options), and conmon, which reaps the container
 * and keeps its stdio either way, reports it once it runs. Any other sub-command passes
 * through unchanged. GLOBAL options must be in their --flag=value form: the first argument
 * without a leading '-' is taken as the sub-command.
 * Usage: berth-run-detached REAL_RUNTIME [GLOBAL...] SUBCOMMAND [ARGS...] */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: berth-run-detached REAL_RUNTIME [GLOBAL...] SUBCOMMAND [ARGS...]\n");
    return 2;
  }
  char **args = calloc((size_t)argc + 1, sizeof *args);
  if (args == NULL) {
    fprintf(stderr, "berth-run-detached: out of memory\n");
    return 125;
  }
  int n = 0, seen = 0;
  args[n++] = argv[1];
  for (int i = 2; i < argc; i++) {
    if (!seen && argv[i][0] != '-') {
      seen = 1;
      if (strcmp(argv[i], "create") == 0) {
        args[n++] = "run";
        args[n++] = "--detach";
        continue;
      }
    }
    args[n++] = argv[i];
  }
  args[n] = NULL;
  execv(argv[1], args);
  fprintf(stderr, "berth-run-detached: cannot run %s: %s\n", argv[1], strerror(errno));
  return errno == ENOENT ? 127 : 126;
}
