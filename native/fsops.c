// Device nodes, xattrs, mounts, times and flock: thin wrappers of the system calls.
#include "common.h"

// ---- device nodes, xattrs, mounts ----------------------------------------------------------

// mknod(path, mode, major, minor): mode carries the S_IFCHR/S_IFBLK/S_IFIFO type bits.
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  ARGS(4);
  char path[PATH_MAX];
  int32_t mode, major, minor;
  if (!get_str(env, argv[0], path, sizeof path) || !get_i32(env, argv[1], &mode) ||
      !get_i32(env, argv[2], &major) || !get_i32(env, argv[3], &minor))
    return NULL;
  if (mknod(path, (mode_t)mode, makedev((unsigned)major, (unsigned)minor)) != 0)
    return throw_errno(env, errno, "mknod", path);
  return undefined(env);
}

static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  ARGS(3);
  char path[PATH_MAX], name[256];
  void *data;
  size_t len;
  if (!get_str(env, argv[0], path, sizeof path) || !get_str(env, argv[1], name, sizeof name) ||
      !get_buf(env, argv[2], &data, &len))
    return NULL;
  if (lsetxattr(path, name, data, len, 0) != 0) return throw_errno(env, errno, "lsetxattr", path);
  return undefined(env);
}

// lgetxattr(path, name): a Buffer, or undefined when the attribute is not set.
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[PATH_MAX], name[256];
  if (!get_str(env, argv[0], path, sizeof path) || !get_str(env, argv[1], name, sizeof name)) return NULL;
  char *value = malloc(XATTR_MAX);
  if (!value) return throw_errno(env, ENOMEM, "lgetxattr", path);
  ssize_t n = lgetxattr(path, name, value, XATTR_MAX);
  if (n < 0) {
    int err = errno;
    free(value);
    if (err == ENODATA) return undefined(env);
    return throw_errno(env, err, "lgetxattr", path);
  }
  napi_value buf;
  napi_create_buffer_copy(env, (size_t)n, value, NULL, &buf);
  free(value);
  return buf;
}

static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[PATH_MAX];
  if (!get_str(env, argv[0], path, sizeof path)) return NULL;
  char *list = malloc(XATTR_MAX);
  if (!list) return throw_errno(env, ENOMEM, "llistxattr", path);
  ssize_t n = llistxattr(path, list, XATTR_MAX);
  if (n < 0) {
    int err = errno;
    free(list);
    return throw_errno(env, err, "llistxattr", path);
  }
  napi_value arr;
  napi_create_array(env, &arr);
  uint32_t i = 0;
  for (ssize_t off = 0; off < n;) {
    size_t len = strnlen(list + off, (size_t)(n - off));
    napi_value s;
    napi_create_string_utf8(env, list + off, len, &s);
    napi_set_element(env, arr, i++, s);
    off += (ssize_t)len + 1;
  }
  free(list);
  return arr;
}

static napi_value js_lremovexattr(napi_env env, napi_callback_info info) {
  ARGS(2);
  char path[PATH_MAX], name[256];
  if (!get_str(env, argv[0], path, sizeof path) || !get_str(env, argv[1], name, sizeof name)) return NULL;
  if (lremovexattr(path, name) != 0) return throw_errno(env, errno, "lremovexattr", path);
  return undefined(env);
}

// mount(source, target, fstype, flags, data): source, fstype and data may be null.
static napi_value js_mount(napi_env env, napi_callback_info info) {
  ARGS(5);
  char source[PATH_MAX], target[PATH_MAX], fstype[256], data[PATH_MAX * 4];
  int64_t flags;
  int has_source = !is_nullish(env, argv[0]), has_type = !is_nullish(env, argv[2]),
      has_data = !is_nullish(env, argv[4]);
  if ((has_source && !get_str(env, argv[0], source, sizeof source)) || !get_str(env, argv[1], target, sizeof target) ||
      (has_type && !get_str(env, argv[2], fstype, sizeof fstype)) || !get_i64(env, argv[3], &flags) ||
      (has_data && !get_str(env, argv[4], data, sizeof data)))
    return NULL;
  if (mount(has_source ? source : NULL, target, has_type ? fstype : NULL, (unsigned long)flags,
            has_data ? data : NULL) != 0)
    return throw_errno(env, errno, "mount", target);
  return undefined(env);
}

static napi_value js_umount2(napi_env env, napi_callback_info info) {
  ARGS(2);
  char target[PATH_MAX];
  int32_t flags;
  if (!get_str(env, argv[0], target, sizeof target) || !get_i32(env, argv[1], &flags)) return NULL;
  if (umount2(target, flags) != 0) return throw_errno(env, errno, "umount2", target);
  return undefined(env);
}

// lutimes(path, sec, nsec): sets atime and mtime of path itself, never a symlink's target.
static napi_value js_lutimes(napi_env env, napi_callback_info info) {
  ARGS(3);
  char path[PATH_MAX];
  int64_t sec, nsec;
  if (!get_str(env, argv[0], path, sizeof path) || !get_i64(env, argv[1], &sec) || !get_i64(env, argv[2], &nsec))
    return NULL;
  struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) != 0) return throw_errno(env, errno, "utimensat", path);
  return undefined(env);
}

// ---- pipes -----------------------------------------------------------------------------

// setPipeSize(fd, bytes): fcntl F_SETPIPE_SZ, for a pipe that must take `bytes` unread.
static napi_value js_set_pipe_size(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, size;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &size)) return NULL;
  if (fcntl(fd, F_SETPIPE_SZ, size) < 0) return throw_errno(env, errno, "fcntl F_SETPIPE_SZ", NULL);
  return undefined(env);
}

// ---- flock -----------------------------------------------------------------------------

// flock(fd, op, nonblock): false when nonblock and another holder has it.
static napi_value js_flock(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, op;
  bool nonblock;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &op)) return NULL;
  napi_get_value_bool(env, argv[2], &nonblock);
  if (flock(fd, op | (nonblock ? LOCK_NB : 0)) != 0) {
    if (errno == EWOULDBLOCK && nonblock) {
      napi_value f;
      napi_get_boolean(env, false, &f);
      return f;
    }
    return throw_errno(env, errno, "flock", NULL);
  }
  napi_value t;
  napi_get_boolean(env, true, &t);
  return t;
}

// A blocking flock runs on the libuv thread pool so the event loop stays free.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd, op, err;
} flock_job;

static void flock_execute(napi_env env, void *data) {
  flock_job *job = data;
  while (flock(job->fd, job->op) != 0) {
    if (errno != EINTR) {
      job->err = errno;
      return;
    }
  }
  job->err = 0;
}

static void flock_complete(napi_env env, napi_status status, void *data) {
  flock_job *job = data;
  if (job->err == 0) {
    napi_resolve_deferred(env, job->deferred, undefined(env));
  } else {
    throw_errno(env, job->err, "flock", NULL);
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value js_flock_async(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t fd, op;
  if (!get_i32(env, argv[0], &fd) || !get_i32(env, argv[1], &op)) return NULL;
  flock_job *job = calloc(1, sizeof *job);
  if (!job) return throw_errno(env, ENOMEM, "flock", NULL);
  job->fd = fd;
  job->op = op;
  return queue_work(env, "berth:flock", flock_execute, flock_complete, job, &job->deferred, &job->work);
}


// ---- removeTree ------------------------------------------------------------------------
// rm -rf of one path in system calls only: each directory opened once relative to its parent
// (O_NOFOLLOW: a symlink is removed, never followed), its entries removed by unlinkat with the
// type readdir gave. No path is built, so depth is not bounded by PATH_MAX; it is bounded by
// one open fd per level, up to REMOVE_MAX_DEPTH levels (deeper: ELOOP, and the caller's own
// walk takes over). A name already gone (a concurrent removal) is not an error.

#define REMOVE_MAX_DEPTH 256

static int remove_at(int dfd, const char *name, int is_dir, int depth);

static int remove_entries(int fd, int depth) {
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    int err = errno;
    close(fd);
    return err;
  }
  int err = 0;
  struct dirent *e;
  for (;;) {
    errno = 0;
    if ((e = readdir(d)) == NULL) {
      err = errno;
      break;
    }
    if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || (e->d_name[1] == '.' && e->d_name[2] == '\0'))) continue;
    // DT_UNKNOWN (a file system without d_type): tried as a file first, EISDIR says otherwise.
    if ((err = remove_at(dirfd(d), e->d_name, e->d_type == DT_DIR, depth + 1)) != 0) break;
  }
  closedir(d);
  return err;
}

static int remove_at(int dfd, const char *name, int is_dir, int depth) {
  if (!is_dir) {
    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT) return 0;
    if (errno != EISDIR) return errno;
  }
  if (depth >= REMOVE_MAX_DEPTH) return ELOOP;
  int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    // A symlink or file where readdir saw a directory (replaced meanwhile): removed as such.
    if (errno == ENOTDIR || errno == ELOOP) return unlinkat(dfd, name, 0) == 0 || errno == ENOENT ? 0 : errno;
    return errno;
  }
  int err = remove_entries(fd, depth);
  if (err) return err;
  return unlinkat(dfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : errno;
}

// removeTree(path): removes path and everything under it; a missing path is fine.
static napi_value js_remove_tree(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[PATH_MAX];
  if (!get_str(env, argv[0], path, sizeof path)) return NULL;
  int err = remove_at(AT_FDCWD, path, 0, 0);
  if (err) return throw_errno(env, err, "removeTree", path);
  return undefined(env);
}

void register_fsops(napi_env env, napi_value exports) {
  export_fn(env, exports, "removeTree", js_remove_tree);
  export_fn(env, exports, "mknod", js_mknod);
  export_fn(env, exports, "lsetxattr", js_lsetxattr);
  export_fn(env, exports, "lgetxattr", js_lgetxattr);
  export_fn(env, exports, "llistxattr", js_llistxattr);
  export_fn(env, exports, "lremovexattr", js_lremovexattr);
  export_fn(env, exports, "mount", js_mount);
  export_fn(env, exports, "umount2", js_umount2);
  export_fn(env, exports, "lutimes", js_lutimes);
  export_fn(env, exports, "setPipeSize", js_set_pipe_size);
  export_fn(env, exports, "flock", js_flock);
  export_fn(env, exports, "flockAsync", js_flock_async);
  export_int(env, exports, "MS_RDONLY", MS_RDONLY);
  export_int(env, exports, "MS_NOSUID", MS_NOSUID);
  export_int(env, exports, "MS_NODEV", MS_NODEV);
  export_int(env, exports, "MS_NOEXEC", MS_NOEXEC);
  export_int(env, exports, "MS_REMOUNT", MS_REMOUNT);
  export_int(env, exports, "MS_BIND", MS_BIND);
  export_int(env, exports, "MS_REC", MS_REC);
  export_int(env, exports, "MS_PRIVATE", MS_PRIVATE);
  export_int(env, exports, "MS_SLAVE", MS_SLAVE);
  export_int(env, exports, "MS_SHARED", MS_SHARED);
  export_int(env, exports, "MS_SYNCHRONOUS", MS_SYNCHRONOUS);
  export_int(env, exports, "MS_MANDLOCK", MS_MANDLOCK);
  export_int(env, exports, "MS_DIRSYNC", MS_DIRSYNC);
  export_int(env, exports, "MS_NOATIME", MS_NOATIME);
  export_int(env, exports, "MS_NODIRATIME", MS_NODIRATIME);
  export_int(env, exports, "MS_SILENT", MS_SILENT);
  export_int(env, exports, "MS_UNBINDABLE", MS_UNBINDABLE);
  export_int(env, exports, "MS_RELATIME", MS_RELATIME);
  export_int(env, exports, "MS_I_VERSION", MS_I_VERSION);
  export_int(env, exports, "MS_STRICTATIME", MS_STRICTATIME);
  export_int(env, exports, "MS_LAZYTIME", MS_LAZYTIME);
  export_int(env, exports, "MNT_DETACH", MNT_DETACH);
  export_int(env, exports, "MNT_FORCE", MNT_FORCE);
  export_int(env, exports, "LOCK_SH", LOCK_SH);
  export_int(env, exports, "LOCK_EX", LOCK_EX);
  export_int(env, exports, "LOCK_UN", LOCK_UN);
}
