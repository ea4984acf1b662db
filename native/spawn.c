// A child process without node:child_process: posix_spawn, reaped through a pidfd.
#include "common.h"

#include <termios.h>

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

// ---- a promise a uv callback settles -------------------------------------------------------
// A child's exit and a pipe's line arrive in uv_poll callbacks, outside any JS call: the
// promise is settled there inside a callback scope (so its reactions run), in the async
// context made when it was created.

typedef struct {
  napi_env env;
  napi_deferred deferred;
  napi_async_context context;
  napi_ref resource;
} pending_promise;

// Makes the promise (returned) and the async context `name` it will be settled in.
static napi_value pending_start(napi_env env, pending_promise *p, const char *name) {
  napi_value promise, resource, name_v;
  p->env = env;
  napi_create_promise(env, &p->deferred, &promise);
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &p->resource);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &name_v);
  napi_async_init(env, resource, name_v, &p->context);
  return promise;
}

// Settles the promise from a uv callback: rejected with an errno error (`syscall`) when err is
// set, else resolved with what make(env, arg) builds. The context and resource are freed.
static void pending_settle(pending_promise *p, int err, const char *syscall, napi_value (*make)(napi_env, void *), void *arg) {
  napi_env env = p->env;
  napi_handle_scope handles;
  napi_open_handle_scope(env, &handles);
  napi_value resource;
  napi_get_reference_value(env, p->resource, &resource);
  napi_callback_scope scope;
  napi_open_callback_scope(env, resource, p->context, &scope);
  if (err) {
    throw_errno(env, err, syscall, NULL);
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_reject_deferred(env, p->deferred, error);
  } else {
    napi_resolve_deferred(env, p->deferred, make(env, arg));
  }
  napi_close_callback_scope(env, scope);
  napi_async_destroy(env, p->context);
  napi_delete_reference(env, p->resource);
  napi_close_handle_scope(env, handles);
}

typedef struct {
  pending_promise exited;
  uv_poll_t poll;
  pid_t pid;
  int pidfd;
} spawn_job;

static void spawn_closed(uv_handle_t *h) {
  spawn_job *j = h->data;
  close(j->pidfd);
  free(j);
}

// [exit code or -1, signal number or 0] of a wait status.
static napi_value exit_value(napi_env env, void *arg) {
  int ws = *(int *)arg;
  napi_value result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, int_value(env, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1));
  napi_set_element(env, result, 1, int_value(env, WIFSIGNALED(ws) ? WTERMSIG(ws) : 0));
  return result;
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
  pending_settle(&j->exited, err, "waitpid", exit_value, &ws);
  uv_close((uv_handle_t *)h, spawn_closed); // frees j on a later turn of the loop
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
// outlive the exec), its fds as `fds` lists them (fds[i] becomes the child's fd i: -1 for
// /dev/null, else this process's fd, blocking), and no fd above them (Node opens its own with
// O_CLOEXEC; closefrom also stops those a parent leaked to berth); cwd and env when given.
#define SPAWN_MAX_FDS 16

static int spawn_child(pid_t *pid, const char *file, char **argv, const int *fds, int nfds, const char *cwd, char **envp) {
  int moved[SPAWN_MAX_FDS];
  int err = 0;
  for (int i = 0; i < nfds; i++) moved[i] = -1;
  for (int i = 0; i < nfds; i++) {
    if (fds[i] < 0) continue;
    int fl = fcntl(fds[i], F_GETFL);
    if (fl < 0) {
      err = errno;
      goto out;
    }
    // The open file description is shared with this process, as in libuv's child.
    if (fl & O_NONBLOCK) fcntl(fds[i], F_SETFL, fl & ~O_NONBLOCK);
    // An fd that goes to another slot is first copied above the table: the dup2 onto a lower
    // slot must not overwrite the source of a later one.
    if (fds[i] != i && (moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, nfds)) < 0) {
      err = errno;
      goto out;
    }
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
  for (int i = 0; i < nfds; i++) {
    if (fds[i] < 0) posix_spawn_file_actions_addopen(&actions, i, "/dev/null", O_RDWR, 0);
    // Node sets FD_CLOEXEC on its fds 0-2 too; a dup2 onto the same fd clears it in the child.
    else posix_spawn_file_actions_adddup2(&actions, moved[i] >= 0 ? moved[i] : i, i);
  }
  posix_spawn_file_actions_addclosefrom_np(&actions, nfds);
  if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd);
  // posix_spawnp searches PATH for a bare name, as Node's spawn does; exec failures (ENOENT,
  // EACCES, ...) come back as its result.
  err = posix_spawnp(pid, file, &actions, &attr, argv, envp ? envp : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
out:
  for (int i = 0; i < nfds; i++)
    if (moved[i] >= 0) close(moved[i]);
  return err;
}

// A NULL-terminated malloc'd copy of an array of strings; NULL with an exception pending.
static char **dup_strings(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) {
    throw_type(env, "expected an array of strings");
    return NULL;
  }
  char **out = calloc(n + 1, sizeof *out);
  if (!out) {
    throw_errno(env, ENOMEM, "spawn", NULL);
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, arr, i, &el);
    if (!(out[i] = dup_str(env, el))) {
      free_argv(out);
      return NULL;
    }
  }
  return out;
}

// spawn(file, argv, fds, cwd, env): [pid, Promise<[code, signal]>]; fds[i] is the child's fd i
// (-1: /dev/null), cwd and env (an array of "K=V") null for this process's. Throws an errno
// error (syscall "spawn", path `file`) when the program cannot be executed.
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  ARGS(5);
  uint32_t n, nfds;
  if (napi_get_array_length(env, argv[1], &n) != napi_ok || n == 0) return throw_type(env, "expected a non-empty array");
  if (napi_get_array_length(env, argv[2], &nfds) != napi_ok || nfds > SPAWN_MAX_FDS) return throw_type(env, "expected an array of at most 16 fds");
  int fds[SPAWN_MAX_FDS];
  for (uint32_t i = 0; i < nfds; i++) {
    napi_value el;
    napi_get_element(env, argv[2], i, &el);
    if (!get_i32(env, el, &fds[i])) return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_errno(env, EIO, "spawn", NULL);
  char cwd[PATH_MAX];
  int has_cwd = !is_nullish(env, argv[3]);
  if (has_cwd && !get_str(env, argv[3], cwd, sizeof cwd)) return NULL;
  char **envp = NULL;
  if (!is_nullish(env, argv[4]) && !(envp = dup_strings(env, argv[4]))) return NULL;
  char *file = dup_str(env, argv[0]);
  char **args = file ? dup_strings(env, argv[1]) : NULL;
  if (!args) {
    free(file);
    free_argv(envp);
    return NULL;
  }
  spawn_job *j = calloc(1, sizeof *j);
  pid_t pid;
  int err = j ? spawn_child(&pid, file, args, fds, (int)nfds, has_cwd ? cwd : NULL, envp) : ENOMEM;
  free_argv(args);
  free_argv(envp);
  if (err) {
    free(j);
    napi_value r = throw_errno(env, err, "spawn", file);
    free(file);
    return r;
  }
  free(file);
  j->pid = pid;
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
  napi_value promise = pending_start(env, &j->exited, "berth:spawn"), result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, int_value(env, pid));
  napi_set_element(env, result, 1, promise);
  return result;
}

// ---- the end of a process that is not our child ---------------------------------------------
// `rm -f` waits for a container's monitor (conmon, whose child the container is) to be gone
// before it removes the files the monitor writes in: a pidfd turns readable when any process
// exits, child or not, and is watched on the event loop like a child's exit above, with a
// timer beside it so that a hung process cannot hold the wait (or the event loop) for good.

typedef struct {
  pending_promise gone;
  uv_poll_t poll;
  uv_timer_t timer;
  int pidfd;
  int open_handles;
  int exited;
} gone_job;

static void gone_closed(uv_handle_t *h) {
  gone_job *j = h->data;
  if (--j->open_handles > 0) return;
  close(j->pidfd);
  free(j);
}

static napi_value bool_result(napi_env env, void *arg) {
  napi_value b;
  napi_get_boolean(env, *(int *)arg != 0, &b);
  return b;
}

// The process exited (the pidfd polled readable or failed) or the time ran out: settles the
// promise with whether it exited, and closes both handles (the second close frees the job).
static void gone_settle(gone_job *j, int exited) {
  uv_poll_stop(&j->poll);
  uv_timer_stop(&j->timer);
  j->exited = exited;
  pending_settle(&j->gone, 0, NULL, bool_result, &j->exited);
  uv_close((uv_handle_t *)&j->poll, gone_closed);
  uv_close((uv_handle_t *)&j->timer, gone_closed);
}

static void gone_ready(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  gone_settle(h->data, 1);
}

static void gone_timeout(uv_timer_t *t) {
  gone_settle(t->data, 0);
}

// processGone(pid, timeoutMs): a Promise of true once process `pid` has exited (at once if
// there is no such process), or of false after timeoutMs. Not a wait(): it reaps no child.
static napi_value js_process_gone(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t pid, timeout;
  if (!get_i32(env, argv[0], &pid) || !get_i32(env, argv[1], &timeout)) return NULL;
  if (pid <= 0) return throw_type(env, "pid must be positive");
  if (timeout < 0) return throw_type(env, "timeoutMs must not be negative");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_errno(env, EIO, "processGone", NULL);
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    if (errno != ESRCH) return throw_errno(env, errno, "pidfd_open", NULL);
    napi_deferred d;
    napi_value promise, yes;
    napi_create_promise(env, &d, &promise);
    napi_get_boolean(env, true, &yes);
    napi_resolve_deferred(env, d, yes);
    return promise;
  }
  gone_job *j = calloc(1, sizeof *j);
  if (!j) {
    close(pidfd);
    return throw_errno(env, ENOMEM, "processGone", NULL);
  }
  j->pidfd = pidfd;
  int err = -uv_poll_init(loop, &j->poll, pidfd);
  if (err) {
    close(pidfd);
    free(j);
    return throw_errno(env, err, "uv_poll_init", NULL);
  }
  j->poll.data = j;
  uv_timer_init(loop, &j->timer); // cannot fail
  j->timer.data = j;
  j->open_handles = 2;
  if ((err = -uv_poll_start(&j->poll, UV_READABLE, gone_ready)) != 0) {
    uv_close((uv_handle_t *)&j->poll, gone_closed);
    uv_close((uv_handle_t *)&j->timer, gone_closed);
    return throw_errno(env, err, "uv_poll_start", NULL);
  }
  // The loop's clock is the time its iteration began: a caller that blocked since (a sync call)
  // would have the timeout end early by that much.
  uv_update_time(loop);
  uv_timer_start(&j->timer, gone_timeout, (uint64_t)timeout, 0);
  return pending_start(env, &j->gone, "berth:processGone");
}

// memfd(name): an anonymous file's fd (close-on-exec), for a child's captured output or input.
static napi_value js_memfd(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[250];
  if (!get_str(env, argv[0], name, sizeof name)) return NULL;
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "memfd_create", NULL);
  return int_value(env, fd);
}


// ---- the caller's terminal ------------------------------------------------------------------
// Node's raw mode (libuv's) keeps the terminal's output processing (OPOST: ONLCR turns each LF
// into CR LF), so a container's own CR LF reached the screen as CR CR LF; docker's raw mode
// (cfmakeraw) turns it off. outputProcessing(fd, on) sets OPOST on `fd`'s terminal and returns
// whether it was set before, for the caller to put back.
static napi_value js_output_processing(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd;
  if (!get_i32(env, argv[0], &fd)) return NULL;
  bool on;
  if (napi_get_value_bool(env, argv[1], &on) != napi_ok) return throw_type(env, "outputProcessing: `on` must be a boolean");
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return throw_errno(env, errno, "tcgetattr", NULL);
  bool was = (t.c_oflag & OPOST) != 0;
  if (on) t.c_oflag |= OPOST;
  else t.c_oflag &= ~(tcflag_t)OPOST;
  if (was != on && tcsetattr(fd, TCSADRAIN, &t) != 0) return throw_errno(env, errno, "tcsetattr", NULL);
  napi_value result;
  napi_get_boolean(env, was, &result);
  return result;
}

// ---- a pipe, and a line from it on the event loop ------------------------------------------
// conmon answers on a pipe (its "sync pipe", fd 3) once the runtime created the container. The
// pipe comes from here and its line is read on the event loop through a uv_poll, like a child's
// exit above: no node:net or node:child_process for a start.

// pipe(): [readFd, writeFd], both close-on-exec.
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return throw_errno(env, errno, "pipe2", NULL);
  napi_value result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, int_value(env, p[0]));
  napi_set_element(env, result, 1, int_value(env, p[1]));
  return result;
}

typedef struct {
  pending_promise line;
  uv_poll_t poll;
  int fd;
  size_t len, max;
  char buf[];
} line_job;

static void line_closed(uv_handle_t *h) {
  free(h->data);
}

// The bytes a line job read, as a Buffer.
static napi_value line_value(napi_env env, void *arg) {
  line_job *j = arg;
  // Up to and with the first newline: what a read brought after it is dropped.
  char *nl = memchr(j->buf, '\n', j->len);
  size_t len = nl ? (size_t)(nl - j->buf) + 1 : j->len;
  napi_value result;
  void *data;
  napi_create_buffer_copy(env, len, j->buf, &data, &result);
  return result;
}

// The fd became readable (or hung up): reads what is there; once a newline, EOF, an error or
// `max` bytes arrived, settles the promise with the bytes read (a Buffer) or the error.
static void line_ready(uv_poll_t *h, int status, int events) {
  (void)events;
  line_job *j = h->data;
  int err = status < 0 ? -status : 0;
  int done = err != 0;
  while (!done) {
    ssize_t r = read(j->fd, j->buf + j->len, j->max - j->len);
    if (r > 0) {
      j->len += (size_t)r;
      if (memchr(j->buf + j->len - (size_t)r, '\n', (size_t)r) || j->len == j->max) done = 1;
    } else if (r == 0) {
      done = 1;
    } else if (errno == EAGAIN) {
      return; // all read for now: wait for more
    } else if (errno != EINTR) {
      err = errno;
      done = 1;
    }
  }
  uv_poll_stop(h);
  pending_settle(&j->line, err, "read", line_value, j);
  uv_close((uv_handle_t *)h, line_closed); // frees j on a later turn of the loop
}

// readLine(fd, max): Promise<Buffer> of what fd gives up to and with its first newline (or
// until EOF, or `max` bytes); bytes a read brought after the newline are dropped (a reader of
// one line, as conmon's sync pipe has). The fd is made non-blocking and is not closed here.
static napi_value js_read_line(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, max;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &max)) return NULL;
  if (max <= 0 || max > (1 << 20)) return throw_type(env, "max must be 1 to 1 MiB");
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return throw_errno(env, EIO, "readLine", NULL);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) return throw_errno(env, errno, "fcntl", NULL);
  line_job *j = calloc(1, sizeof *j + (size_t)max);
  if (!j) return throw_errno(env, ENOMEM, "readLine", NULL);
  j->fd = fd;
  j->max = (size_t)max;
  int err = -uv_poll_init(loop, &j->poll, fd);
  if (err) {
    free(j);
    return throw_errno(env, err, "uv_poll_init", NULL);
  }
  j->poll.data = j;
  if ((err = -uv_poll_start(&j->poll, UV_READABLE | UV_DISCONNECT, line_ready)) != 0) {
    uv_close((uv_handle_t *)&j->poll, line_closed);
    return throw_errno(env, err, "uv_poll_start", NULL);
  }
  return pending_start(env, &j->line, "berth:readLine");
}

void register_spawn(napi_env env, napi_value exports) {
  export_fn(env, exports, "spawn", js_spawn);
  export_fn(env, exports, "memfd", js_memfd);
  export_fn(env, exports, "pipe", js_pipe);
  export_fn(env, exports, "readLine", js_read_line);
  export_fn(env, exports, "processGone", js_process_gone);
  export_fn(env, exports, "outputProcessing", js_output_processing);
}
