// A child process without node:child_process: posix_spawn, reaped through a pidfd.
#include "common.h"

// ---- a child process without node:child_process -------------------------------------------
// `run --rm` starts the runtime with posix_spawn: glibc's is a clone(CLONE_VM | CLONE_VFORK),
// no copy of the ~50 MB Node process's page tables as libuv's fork() makes, and the module
// graph of node:child_process (net, dgram, ...) is never loaded. The child is watched through a
// pidfd on the event loop, so no pool thread waits for it, however long the container runs.
//
// Node's own SIGCHLD handling cannot take the exit status first: libuv installs its SIGCHLD
// handler only once node:child_process spawned something, and that handler (uv__wait_children)
// calls waitpid(process->pid, WNOHANG) for each pid in its loop's process_handles, never
// waitpid(-1): a pid spawned here stays a zombie until spawn_exited reaps it.

extern char **environ;

typedef struct {
  napi_env env;
  napi_deferred deferred;
  napi_async_context context;
  napi_ref resource;
  uv_poll_t poll;
  pid_t pid;
  int pidfd;
} spawn_job;

static void spawn_closed(uv_handle_t *h) {
  spawn_job *j = h->data;
  close(j->pidfd);
  free(j);
}

// The pidfd became readable: the child exited. Reaps it and settles the promise with
// [exit code or -1, signal number or 0], in a callback scope so promise reactions run.
static void spawn_exited(uv_poll_t *h, int status, int events) {
  spawn_job *j = h->data;
  int ws = 0;
  pid_t r;
  do r = waitpid(j->pid, &ws, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0) return; // not yet (a spurious wake-up): keep watching
  int err = r < 0 ? errno : 0;
  uv_poll_stop(h);
  uv_close((uv_handle_t *)h, spawn_closed); // frees j on a later turn of the loop
  napi_env env = j->env;
  napi_handle_scope handles;
  napi_open_handle_scope(env, &handles);
  napi_value resource;
  napi_get_reference_value(env, j->resource, &resource);
  napi_callback_scope scope;
  napi_open_callback_scope(env, resource, j->context, &scope);
  if (err) {
    throw_errno(env, err, "waitpid", NULL);
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_reject_deferred(env, j->deferred, error);
  } else {
    napi_value result;
    napi_create_array_with_length(env, 2, &result);
    napi_set_element(env, result, 0, int_value(env, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1));
    napi_set_element(env, result, 1, int_value(env, WIFSIGNALED(ws) ? WTERMSIG(ws) : 0));
    napi_resolve_deferred(env, j->deferred, result);
  }
  napi_close_callback_scope(env, scope);
  napi_async_destroy(env, j->context);
  napi_delete_reference(env, j->resource);
  napi_close_handle_scope(env, handles);
}

// A malloc'd copy of a string argument of any length; NULL with an exception pending.
static char *dup_str(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    throw_type(env, "expected a string");
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) {
    throw_errno(env, ENOMEM, "spawn", NULL);
    return NULL;
  }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  if (strlen(s) != len) {
    free(s);
    throw_type(env, "string contains a NUL byte");
    return NULL;
  }
  return s;
}

static void free_argv(char **argv) {
  if (!argv) return;
  for (char **a = argv; *a; a++) free(*a);
  free(argv);
}

// The child's process state, as libuv gives a child of node:child_process: no signal blocked,
// every signal's disposition the default (Node ignores SIGPIPE, and an ignored signal would
// outlive the exec), fds 0-2 blocking, fd 0 this process's or /dev/null, and no fd above 2
// (Node opens its own with O_CLOEXEC; closefrom also stops those a parent leaked to berth).
static int spawn_child(pid_t *pid, const char *file, char **argv, int stdin_null) {
  for (int fd = stdin_null ? 1 : 0; fd <= 2; fd++) {
    int fl = fcntl(fd, F_GETFL);
    // The open file description is shared with this process, as in libuv's child.
    if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  // An ignored SIGCHLD (inherited from berth's parent) would reap the child unasked.
  struct sigaction chld;
  if (sigaction(SIGCHLD, NULL, &chld) == 0 && chld.sa_handler == SIG_IGN) signal(SIGCHLD, SIG_DFL);
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  sigset_t none, all;
  sigemptyset(&none);
  // Every signal, glibc's internal two (32, 33) too: sigfillset leaves them out, and glibc's
  // child then sets them to SIG_IGN, which the exec would hand on to the runtime.
  memset(&all, 0xff, sizeof all);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawn_file_actions_init(&actions);
  if (stdin_null) posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // Node sets FD_CLOEXEC on its fds 0-2 too; a dup2 onto the same fd clears it in the child.
  for (int fd = stdin_null ? 1 : 0; fd <= 2; fd++) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  // posix_spawnp searches PATH for a bare name, as Node's spawn does; exec failures (ENOENT,
  // EACCES, ...) come back as its result.
  int err = posix_spawnp(pid, file, &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return err;
}

// spawn(file, argv, stdinNull): [pid, Promise<[code, signal]>]; throws an errno error
// (syscall "spawn", path `file`) when the program cannot be executed.
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  ARGS(3);
  bool stdin_null;
  uint32_t n;
  if (napi_get_value_bool(env, argv[2], &stdin_null) != napi_ok) return throw_type(env, "expected a boolean");
  if (napi_get_array_length(env, argv[1], &n) != napi_ok || n == 0) return throw_type(env, "expected a non-empty array");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_errno(env, EIO, "spawn", NULL);
  char *file = dup_str(env, argv[0]);
  if (!file) return NULL;
  char **args = calloc(n + 1, sizeof *args);
  if (!args) {
    free(file);
    return throw_errno(env, ENOMEM, "spawn", NULL);
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, argv[1], i, &el);
    if (!(args[i] = dup_str(env, el))) {
      free_argv(args);
      free(file);
      return NULL;
    }
  }
  spawn_job *j = calloc(1, sizeof *j);
  pid_t pid;
  int err = j ? spawn_child(&pid, file, args, stdin_null) : ENOMEM;
  free_argv(args);
  if (err) {
    free(j);
    napi_value r = throw_errno(env, err, "spawn", file);
    free(file);
    return r;
  }
  free(file);
  j->pid = pid;
  j->env = env;
  j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0); // O_CLOEXEC by definition
  const char *failed = NULL;
  if (j->pidfd < 0) {
    err = errno;
    failed = "pidfd_open";
  } else if ((err = -uv_poll_init(loop, &j->poll, j->pidfd)) != 0) {
    close(j->pidfd);
    failed = "uv_poll_init";
  } else {
    j->poll.data = j;
    if ((err = -uv_poll_start(&j->poll, UV_READABLE, spawn_exited)) != 0) failed = "uv_poll_start";
  }
  if (failed) {
    // A child nobody could wait for must not run on: stop and reap it.
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    if (j->poll.data) uv_close((uv_handle_t *)&j->poll, spawn_closed);
    else free(j);
    return throw_errno(env, err, failed, NULL);
  }
  napi_value promise, resource, name, result;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &j->resource);
  napi_create_string_utf8(env, "berth:spawn", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &j->context);
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, int_value(env, pid));
  napi_set_element(env, result, 1, promise);
  return result;
}

void register_spawn(napi_env env, napi_value exports) {
  export_fn(env, exports, "spawn", js_spawn);
}
