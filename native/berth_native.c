// berth_native: the few Linux system calls Node does not expose (mknod, xattrs, mount,
// flock, openat2, *at calls on directory fds) as thin N-API functions, zstd streams (libzstd),
// the registry's socket I/O (sendfile for blob bodies, socket-to-file uploads with sha256), and
// posix_spawn with a pidfd wait for the runtime of a foreground run.
//
// Every function either returns its result or throws an Error whose `code` is the errno
// name (ENOENT, EEXIST, ...), so src/internal/errors.ts maps it like any fs error.
// The typed, documented face of this file is src/internal/sys.ts; call that, not this.
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <uv.h>
#include <zstd.h>

#define MAX_ARGS 12
#define XATTR_MAX 65536

// ---- argument and error helpers ---------------------------------------------------------

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  char msg[4400];
  const char *code = strerrorname_np(err);
  if (!code) code = "EUNKNOWN";
  if (path)
    snprintf(msg, sizeof msg, "%s: %s, %s '%s'", code, strerror(err), syscall, path);
  else
    snprintf(msg, sizeof msg, "%s: %s, %s", code, strerror(err), syscall);
  napi_value code_v, msg_v, error, errno_v, syscall_v;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &msg_v);
  napi_create_error(env, code_v, msg_v, &error);
  napi_create_int32(env, -err, &errno_v);
  napi_set_named_property(env, error, "errno", errno_v);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_v);
  napi_set_named_property(env, error, "syscall", syscall_v);
  if (path) {
    napi_value path_v;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &path_v);
    napi_set_named_property(env, error, "path", path_v);
  }
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

// Copies a string argument into buf (PATH_MAX bytes); false (with a pending exception) if
// it is not a string or too long. NUL bytes inside are refused: a C path would stop there.
static int get_str(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) {
    throw_type(env, "expected a string");
    return 0;
  }
  if (len >= size - 1) {
    throw_errno(env, ENAMETOOLONG, "argument", NULL);
    return 0;
  }
  if (strlen(buf) != len) {
    throw_type(env, "string contains a NUL byte");
    return 0;
  }
  return 1;
}

static int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    throw_type(env, "expected a number");
    return 0;
  }
  return 1;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    throw_type(env, "expected a number");
    return 0;
  }
  return 1;
}

static int get_buf(napi_env env, napi_value v, void **data, size_t *len) {
  if (napi_get_buffer_info(env, v, data, len) != napi_ok) {
    throw_type(env, "expected a Buffer");
    return 0;
  }
  return 1;
}

#define ARGS(n)                                                  \
  size_t argc = MAX_ARGS;                                        \
  napi_value argv[MAX_ARGS];                                     \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);          \
  if (argc < (n)) return throw_type(env, "too few arguments");

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

static napi_value int_value(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

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
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "berth:flock", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, flock_execute, flock_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

// ---- directory-fd operations for layer extraction ----------------------------------------
// Layer apply resolves every path inside its target root with openat2(RESOLVE_IN_ROOT): a
// symlink or ".." met on the way can never lead outside the root, whatever the tar holds.
// The last component is then created relative to its parent's fd and never followed.

static int openat2_in_root(int rootfd, const char *rel, int flags) {
  struct open_how how = {.flags = (uint64_t)flags | O_CLOEXEC,
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd;
  do {
    fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
  } while (fd < 0 && errno == EAGAIN);
  return fd;
}

// openRoot(path): an O_PATH fd of a directory to use as the root of later calls.
static napi_value js_open_root(napi_env env, napi_callback_info info) {
  ARGS(1);
  char path[PATH_MAX];
  if (!get_str(env, argv[0], path, sizeof path)) return NULL;
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open", path);
  return int_value(env, fd);
}

// openDirInRoot(rootFd, rel, create): an O_PATH fd of directory rel resolved inside the
// root. With create, missing directories are made (mode 0755), like tar does for parents
// that the archive never listed.
static napi_value js_open_dir_in_root(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t rootfd;
  char rel[PATH_MAX];
  bool create;
  if (!get_i32(env, argv[0], &rootfd) || !get_str(env, argv[1], rel, sizeof rel)) return NULL;
  napi_get_value_bool(env, argv[2], &create);
  int fd = openat2_in_root(rootfd, rel[0] ? rel : ".", O_PATH | O_DIRECTORY);
  if (fd >= 0) return int_value(env, fd);
  if (errno != ENOENT || !create) return throw_errno(env, errno, "openat2", rel);
  // Find the deepest existing ancestor, then create the rest one component at a time.
  // The new components are ours and plain directories, so plain openat with O_NOFOLLOW.
  size_t len = strlen(rel);
  size_t cut = len;
  int parent = -1;
  while (parent < 0) {
    while (cut > 0 && rel[cut - 1] != '/') cut--;
    if (cut == 0) {
      parent = openat2_in_root(rootfd, ".", O_PATH | O_DIRECTORY);
      if (parent < 0) return throw_errno(env, errno, "openat2", ".");
      break;
    }
    rel[cut - 1] = '\0';
    parent = openat2_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
    rel[cut - 1] = '/';
    if (parent < 0 && errno != ENOENT) return throw_errno(env, errno, "openat2", rel);
    if (parent < 0) cut--;
  }
  char *comp = rel + cut;
  for (;;) {
    char *slash = strchr(comp, '/');
    if (slash) *slash = '\0';
    if (*comp && strcmp(comp, ".") != 0) {
      if (mkdirat(parent, comp, 0755) != 0 && errno != EEXIST) {
        int err = errno;
        close(parent);
        return throw_errno(env, err, "mkdirat", rel);
      }
      int next = openat(parent, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int err = errno;
      close(parent);
      if (next < 0) return throw_errno(env, err, "openat", rel);
      parent = next;
    }
    if (!slash) break;
    *slash = '/';
    comp = slash + 1;
  }
  return int_value(env, parent);
}

enum { K_FILE, K_DIR, K_SYMLINK, K_HARDLINK, K_CHAR, K_BLOCK, K_FIFO };

// createAt(dirFd, name, kind, major, minor, link, linkDirFd, linkName, data):
// creates one entry named `name` (no slash) in dirFd, failing with EEXIST when the name
// is taken. A file is opened O_EXCL|O_NOFOLLOW, `data` (if a Buffer) written, and its fd
// returned for more writes and setMetaAt; other kinds return -1. Permissions start
// private (0600/0700) until setMetaAt sets the owner and then the real mode.
static napi_value js_create_at(napi_env env, napi_callback_info info) {
  ARGS(9);
  int32_t dirfd, kind, major, minor, linkdirfd;
  char name[PATH_MAX], link[PATH_MAX], linkname[PATH_MAX];
  if (!get_i32(env, argv[0], &dirfd) || !get_str(env, argv[1], name, sizeof name) || !get_i32(env, argv[2], &kind) ||
      !get_i32(env, argv[3], &major) || !get_i32(env, argv[4], &minor))
    return NULL;
  dev_t dev = makedev((unsigned)major, (unsigned)minor);
  switch (kind) {
    case K_FILE: {
      int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) return throw_errno(env, errno, "open", name);
      if (!is_nullish(env, argv[8])) {
        void *data;
        size_t len;
        if (!get_buf(env, argv[8], &data, &len)) {
          close(fd);
          return NULL;
        }
        for (size_t off = 0; off < len;) {
          ssize_t n = write(fd, (char *)data + off, len - off);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) {
            int err = errno;
            close(fd);
            return throw_errno(env, err, "write", name);
          }
          off += (size_t)n;
        }
      }
      return int_value(env, fd);
    }
    case K_DIR:
      if (mkdirat(dirfd, name, 0700) != 0) return throw_errno(env, errno, "mkdir", name);
      break;
    case K_SYMLINK:
      if (!get_str(env, argv[5], link, sizeof link)) return NULL;
      if (symlinkat(link, dirfd, name) != 0) return throw_errno(env, errno, "symlink", name);
      break;
    case K_HARDLINK:
      // flags 0: a link to a symlink links the symlink itself, never what it points at.
      if (!get_i32(env, argv[6], &linkdirfd) || !get_str(env, argv[7], linkname, sizeof linkname)) return NULL;
      if (linkat(linkdirfd, linkname, dirfd, name, 0) != 0) return throw_errno(env, errno, "link", name);
      break;
    case K_CHAR:
    case K_BLOCK:
    case K_FIFO: {
      mode_t type = kind == K_CHAR ? S_IFCHR : kind == K_BLOCK ? S_IFBLK : S_IFIFO;
      if (mknodat(dirfd, name, type | 0600, dev) != 0) return throw_errno(env, errno, "mknod", name);
      break;
    }
    default:
      return throw_type(env, "unknown entry kind");
  }
  return int_value(env, -1);
}

// setMetaAt(dirFd, name, fd, isSymlink, uid, gid, mode, mtimeSec, mtimeNsec, xattrs):
// owner first (chown clears setuid bits and security.capability), then xattrs, then the
// mode, then the times. fd (if >= 0, a file from createAt) is used and closed. uid -1
// keeps the owner, mode -1 the mode, mtimeSec undefined the times; xattrs is null or a
// flat array [name, Buffer, name, Buffer...].
static napi_value js_set_meta_at(napi_env env, napi_callback_info info) {
  ARGS(10);
  int32_t dirfd, fd, uid, gid, mode;
  bool is_symlink;
  char name[PATH_MAX];
  if (!get_i32(env, argv[0], &dirfd) || !get_str(env, argv[1], name, sizeof name) || !get_i32(env, argv[2], &fd))
    return NULL;
  napi_get_value_bool(env, argv[3], &is_symlink);
  if (!get_i32(env, argv[4], &uid) || !get_i32(env, argv[5], &gid) || !get_i32(env, argv[6], &mode)) {
    if (fd >= 0) close(fd);
    return NULL;
  }
  const char *failed = NULL;
  int err = 0;
  char proc[PATH_MAX + 32];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d/%s", dirfd, name);
  if (uid >= 0) {
    int r = fd >= 0 ? fchown(fd, (uid_t)uid, (gid_t)gid) : fchownat(dirfd, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
    if (r != 0) failed = "chown", err = errno;
  }
  if (!failed && !is_nullish(env, argv[9])) {
    uint32_t n = 0;
    napi_get_array_length(env, argv[9], &n);
    for (uint32_t i = 0; i + 1 < n && !failed; i += 2) {
      napi_value k, v;
      char xname[256];
      void *data;
      size_t len;
      napi_get_element(env, argv[9], i, &k);
      napi_get_element(env, argv[9], i + 1, &v);
      if (!get_str(env, k, xname, sizeof xname) || !get_buf(env, v, &data, &len)) {
        if (fd >= 0) close(fd);
        return NULL;
      }
      int r = fd >= 0 ? fsetxattr(fd, xname, data, len, 0) : lsetxattr(proc, xname, data, len, 0);
      if (r != 0) failed = "setxattr", err = errno;
    }
  }
  if (!failed && mode >= 0 && !is_symlink) {
    // The name was created by this apply and is no symlink, so fchmodat cannot be diverted.
    int r = fd >= 0 ? fchmod(fd, (mode_t)mode) : fchmodat(dirfd, name, (mode_t)mode, 0);
    if (r != 0) failed = "chmod", err = errno;
  }
  if (!failed && !is_nullish(env, argv[7])) {
    int64_t sec, nsec;
    if (!get_i64(env, argv[7], &sec) || !get_i64(env, argv[8], &nsec)) {
      if (fd >= 0) close(fd);
      return NULL;
    }
    struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
    int r = fd >= 0 ? futimens(fd, ts) : utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
    if (r != 0) failed = "utimensat", err = errno;
  }
  if (fd >= 0 && close(fd) != 0 && !failed) failed = "close", err = errno;
  if (failed) return throw_errno(env, err, failed, name);
  return undefined(env);
}

// writeFileAt(dirFd, name, data, uid, gid, mode, mtimeSec, mtimeNsec, xattrs, umask):
// createAt + setMetaAt for a whole small file in one call: open O_EXCL|O_NOFOLLOW, write,
// chown, xattrs, chmod (skipped when open's mode, after the process umask, is already
// right), times, close. Fails with EEXIST, writing nothing, when the name is taken.
static napi_value js_write_file_at(napi_env env, napi_callback_info info) {
  ARGS(10);
  int32_t dirfd, uid, gid, mode, umask_bits;
  char name[PATH_MAX];
  void *data = NULL;
  size_t len = 0;
  if (!get_i32(env, argv[0], &dirfd) || !get_str(env, argv[1], name, sizeof name)) return NULL;
  if (!is_nullish(env, argv[2]) && !get_buf(env, argv[2], &data, &len)) return NULL;
  if (!get_i32(env, argv[3], &uid) || !get_i32(env, argv[4], &gid) || !get_i32(env, argv[5], &mode) ||
      !get_i32(env, argv[9], &umask_bits))
    return NULL;
  int64_t sec = 0, nsec = 0;
  int has_time = !is_nullish(env, argv[6]);
  if (has_time && (!get_i64(env, argv[6], &sec) || !get_i64(env, argv[7], &nsec))) return NULL;
  uint32_t nx = 0;
  int has_xattrs = !is_nullish(env, argv[8]);
  if (has_xattrs) napi_get_array_length(env, argv[8], &nx);
  // Until chown ran, the file must not be more open than the entry says nor setuid.
  mode_t open_mode = (mode_t)mode & 0777;
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, open_mode);
  if (fd < 0) return throw_errno(env, errno, "open", name);
  const char *failed = NULL;
  int err = 0;
  for (size_t off = 0; off < len && !failed;) {
    ssize_t n = write(fd, (char *)data + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) failed = "write", err = errno;
    else off += (size_t)n;
  }
  if (!failed && uid >= 0 && fchown(fd, (uid_t)uid, (gid_t)gid) != 0) failed = "chown", err = errno;
  for (uint32_t i = 0; !failed && i + 1 < nx; i += 2) {
    napi_value k, v;
    char xname[256];
    void *xdata;
    size_t xlen;
    napi_get_element(env, argv[8], i, &k);
    napi_get_element(env, argv[8], i + 1, &v);
    if (!get_str(env, k, xname, sizeof xname) || !get_buf(env, v, &xdata, &xlen)) {
      close(fd);
      return NULL;
    }
    if (fsetxattr(fd, xname, xdata, xlen, 0) != 0) failed = "setxattr", err = errno;
  }
  if (!failed && (((mode_t)mode & 07000) || (open_mode & (mode_t)umask_bits)) && fchmod(fd, (mode_t)mode) != 0)
    failed = "chmod", err = errno;
  if (!failed && has_time) {
    struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
    if (futimens(fd, ts) != 0) failed = "utimensat", err = errno;
  }
  if (close(fd) != 0 && !failed) failed = "close", err = errno;
  if (failed) return throw_errno(env, err, failed, name);
  return undefined(env);
}

// ---- batches of small files on the thread pool ------------------------------------------
// Creating a small file is mostly kernel time. Handing runs of them to a worker thread lets
// the main thread parse the next tar entries meanwhile (and gunzip runs on a third).

typedef struct {
  int dirfd, uid, gid, mode, has_time;
  int64_t sec, nsec;
  char *name;
  const char *data;
  size_t len;
  char *xattrs;  // packed: name\0 u32 len, value ... (nx of them)
  uint32_t nx;
} file_item;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep;  // the data Buffer: kept alive while the worker runs
  file_item *items;
  int *errs;
  uint32_t n;
  int umask_bits;
} file_batch;

static int write_one(const file_item *it, int umask_bits) {
  mode_t open_mode = (mode_t)it->mode & 0777;
  int fd = openat(it->dirfd, it->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, open_mode);
  if (fd < 0) return errno;
  int err = 0;
  for (size_t off = 0; off < it->len && !err;) {
    ssize_t n = write(fd, it->data + off, it->len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    else off += (size_t)n;
  }
  if (!err && it->uid >= 0 && fchown(fd, (uid_t)it->uid, (gid_t)it->gid) != 0) err = errno;
  const char *p = it->xattrs;
  for (uint32_t i = 0; !err && i < it->nx; i++) {
    const char *xname = p;
    p += strlen(p) + 1;
    uint32_t xlen;
    memcpy(&xlen, p, sizeof xlen);
    p += sizeof xlen;
    if (fsetxattr(fd, xname, p, xlen, 0) != 0) err = errno;
    p += xlen;
  }
  if (!err && (((mode_t)it->mode & 07000) || (open_mode & (mode_t)umask_bits)) && fchmod(fd, (mode_t)it->mode) != 0)
    err = errno;
  if (!err && it->has_time) {
    struct timespec ts[2] = {{it->sec, it->nsec}, {it->sec, it->nsec}};
    if (futimens(fd, ts) != 0) err = errno;
  }
  if (close(fd) != 0 && !err) err = errno;
  // A file this call made but could not finish must not stay half-made (EEXIST made none).
  if (err) unlinkat(it->dirfd, it->name, 0);
  return err;
}

static void batch_execute(napi_env env, void *data) {
  file_batch *b = data;
  for (uint32_t i = 0; i < b->n; i++) b->errs[i] = write_one(&b->items[i], b->umask_bits);
}

static void batch_free(napi_env env, file_batch *b) {
  for (uint32_t i = 0; i < b->n; i++) {
    free(b->items[i].name);
    free(b->items[i].xattrs);
  }
  free(b->items);
  free(b->errs);
  if (b->keep) napi_delete_reference(env, b->keep);
  if (b->work) napi_delete_async_work(env, b->work);
  free(b);
}

// writeFilesPacked(nums, names, data, xattrs, umask): files written in order on one worker
// thread, passed in columns so the crossing costs a few N-API calls per batch. nums is a
// Float64Array of FILE_STRIDE per file (dirFd, uid, gid, mode, hasTime, sec, nsec, len);
// names are joined by NUL; data holds the bodies back to back; xattrs is null or an array
// of [index, [name, value, ...]]. Resolves to null when all were written, else one errno
// code (or null) per file.
#define FILE_STRIDE 8

// Frees a packed batch whose names all point into the one block of items[0].name.
static void packed_free(napi_env env, file_batch *b) {
  if (b->n > 0) free(b->items[0].name);
  for (uint32_t i = 0; i < b->n; i++) b->items[i].name = NULL;
  batch_free(env, b);
}

static void packed_complete(napi_env env, napi_status status, void *data) {
  file_batch *b = data;
  napi_value result;
  uint32_t failed = 0;
  for (uint32_t i = 0; i < b->n; i++) failed += b->errs[i] != 0;
  if (failed == 0) {
    napi_get_null(env, &result);
  } else {
    napi_create_array_with_length(env, b->n, &result);
    for (uint32_t i = 0; i < b->n; i++) {
      napi_value code;
      if (b->errs[i] == 0) {
        napi_get_null(env, &code);
      } else {
        const char *name = strerrorname_np(b->errs[i]);
        napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
      }
      napi_set_element(env, result, i, code);
    }
  }
  napi_resolve_deferred(env, b->deferred, result);
  packed_free(env, b);
}

static napi_value js_write_files_packed(napi_env env, napi_callback_info info) {
  ARGS(5);
  napi_typedarray_type ttype;
  size_t count, nlen, dlen;
  void *nums_raw;
  void *body;
  int32_t umask_bits;
  if (napi_get_typedarray_info(env, argv[0], &ttype, &count, &nums_raw, NULL, NULL) != napi_ok || ttype != napi_float64_array)
    return throw_type(env, "expected a Float64Array");
  if (napi_get_value_string_utf8(env, argv[1], NULL, 0, &nlen) != napi_ok) return throw_type(env, "expected a string");
  if (!get_buf(env, argv[2], &body, &dlen) || !get_i32(env, argv[4], &umask_bits)) return NULL;
  const double *nums = nums_raw;
  uint32_t n = (uint32_t)(count / FILE_STRIDE);
  char *names = malloc(nlen + 1);
  file_batch *b = calloc(1, sizeof *b);
  if (b) {
    b->items = calloc(n ? n : 1, sizeof *b->items);
    b->errs = calloc(n ? n : 1, sizeof *b->errs);
  }
  if (!names || !b || !b->items || !b->errs) {
    free(names);
    if (b) batch_free(env, b);
    return throw_errno(env, ENOMEM, "writeFiles", NULL);
  }
  napi_get_value_string_utf8(env, argv[1], names, nlen + 1, &nlen);
  b->umask_bits = umask_bits;
  char *p = names, *names_end = names + nlen;
  size_t off = 0;
  for (uint32_t i = 0; i < n; i++) {
    const double *f = nums + (size_t)i * FILE_STRIDE;
    file_item *it = &b->items[i];
    size_t len = (size_t)f[7];
    char *sep = p <= names_end ? memchr(p, '\0', (size_t)(names_end - p) + 1) : NULL;
    if (!sep || sep == p || sep - p >= PATH_MAX || off + len > dlen) {
      free(names);
      batch_free(env, b);
      return throw_type(env, "writeFiles: names or sizes do not match the files");
    }
    it->name = p;
    p = sep + 1;
    it->dirfd = (int)f[0], it->uid = (int)f[1], it->gid = (int)f[2], it->mode = (int)f[3];
    it->has_time = f[4] != 0, it->sec = (int64_t)f[5], it->nsec = (int64_t)f[6];
    it->data = (const char *)body + off, it->len = len;
    off += len;
  }
  b->n = n;
  if (p != names_end + 1 && n > 0) {
    packed_free(env, b);
    return throw_type(env, "writeFiles: more names than files");
  }
  if (n == 0) free(names);
  uint32_t nx = 0;
  if (!is_nullish(env, argv[3])) napi_get_array_length(env, argv[3], &nx);
  for (uint32_t j = 0; j < nx; j++) {
    napi_value pair, idx_v, flat;
    int64_t idx;
    napi_get_element(env, argv[3], j, &pair);
    napi_get_element(env, pair, 0, &idx_v);
    napi_get_element(env, pair, 1, &flat);
    if (!get_i64(env, idx_v, &idx)) {
      packed_free(env, b);
      return NULL;
    }
    if (idx < 0 || idx >= n) {
      packed_free(env, b);
      return throw_type(env, "writeFiles: bad xattr index");
    }
    file_item *it = &b->items[idx];
    uint32_t fn = 0;
    napi_get_array_length(env, flat, &fn);
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
      char *q = it->xattrs;
      for (uint32_t k = 0; k + 1 < fn; k += 2) {
        napi_value kv, vv;
        char xname[256];
        void *xdata;
        size_t xlen;
        napi_get_element(env, flat, k, &kv);
        napi_get_element(env, flat, k + 1, &vv);
        if (!get_str(env, kv, xname, sizeof xname) || !get_buf(env, vv, &xdata, &xlen)) {
          packed_free(env, b);
          return NULL;
        }
        uint32_t len32 = (uint32_t)xlen;
        if (pass == 0) {
          total += strlen(xname) + 1 + sizeof len32 + xlen;
        } else {
          memcpy(q, xname, strlen(xname) + 1);
          q += strlen(xname) + 1;
          memcpy(q, &len32, sizeof len32);
          q += sizeof len32;
          memcpy(q, xdata, xlen);
          q += xlen;
        }
      }
      if (pass == 0) {
        free(it->xattrs);
        it->xattrs = malloc(total ? total : 1);
      }
    }
    it->nx = fn / 2;
  }
  napi_create_reference(env, argv[2], 1, &b->keep);
  napi_value promise, resource_name;
  napi_create_promise(env, &b->deferred, &promise);
  napi_create_string_utf8(env, "berth:writeFiles", NAPI_AUTO_LENGTH, &resource_name);
  napi_create_async_work(env, NULL, resource_name, batch_execute, packed_complete, b, &b->work);
  napi_queue_async_work(env, b->work);
  return promise;
}

// typeAt(dirFd, name): the S_IFMT bits of name (not following a symlink), 0 if absent.
static napi_value js_type_at(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t dirfd;
  char name[PATH_MAX];
  if (!get_i32(env, argv[0], &dirfd) || !get_str(env, argv[1], name, sizeof name)) return NULL;
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return int_value(env, 0);
    return throw_errno(env, errno, "fstatat", name);
  }
  return int_value(env, st.st_mode & S_IFMT);
}

// unlinkAt(dirFd, name, isDir): removes one name (an empty directory with isDir).
static napi_value js_unlink_at(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t dirfd;
  char name[PATH_MAX];
  bool is_dir;
  if (!get_i32(env, argv[0], &dirfd) || !get_str(env, argv[1], name, sizeof name)) return NULL;
  napi_get_value_bool(env, argv[2], &is_dir);
  if (unlinkat(dirfd, name, is_dir ? AT_REMOVEDIR : 0) != 0) return throw_errno(env, errno, "unlink", name);
  return undefined(env);
}

// ---- zstd streams ------------------------------------------------------------------------
// A ZSTD_DCtx or ZSTD_CCtx per stream, wrapped in a JS object. One call turns a slice of
// input into at most ZSTD_CALL_OUT bytes of output (a zstd bomb cannot balloon memory:
// the caller sees how much input was used and comes back after backpressure). Big slices
// run on the libuv thread pool; a stream has at most one call in flight.

#define ZSTD_OUT_CHUNK (256 * 1024)
#define ZSTD_CALL_OUT (4 * 1024 * 1024)
#define ZSTD_MAX_PARTS (ZSTD_CALL_OUT / ZSTD_OUT_CHUNK + 1)

typedef struct {
  ZSTD_DCtx *dctx;
  ZSTD_CCtx *cctx;
  int busy;
  int flush_pending;  // decompress: the last call filled its output, more may be buffered
  int frame_open;     // decompress: inside a frame (ending here means truncated input)
} zstd_stream;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref keep_stream, keep_input;
  zstd_stream *zs;
  const uint8_t *in;
  size_t in_len, used;
  int end, more;
  size_t zerr;           // a ZSTD error code, 0 when none
  int oom;
  char *parts[ZSTD_MAX_PARTS];
  size_t part_len[ZSTD_MAX_PARTS];
  int nparts;
  // Output chunks malloc'ed on the JS thread before the job goes to the pool: their
  // finalizers free them there too, so glibc recycles them in the main arena instead of
  // trimming a worker's arena and faulting fresh pages in on every call.
  char *spare[ZSTD_MAX_PARTS];
  int nspare;
} zstd_job;

static void zstd_stream_free(napi_env env, void *data, void *hint) {
  zstd_stream *zs = data;
  ZSTD_freeDCtx(zs->dctx);
  ZSTD_freeCCtx(zs->cctx);
  free(zs);
}

static void free_part(napi_env env, void *data, void *hint) { free(data); }

// The work of one call, on whichever thread: fills job->parts, used, more, zerr.
static void zstd_run(zstd_job *job) {
  zstd_stream *zs = job->zs;
  ZSTD_inBuffer in = {job->in, job->in_len, 0};
  ZSTD_outBuffer out = {NULL, 0, 0};
  size_t total = 0;
  int done = 0;
  for (;;) {
    if (out.dst == NULL) {
      if (total >= ZSTD_CALL_OUT || job->nparts >= ZSTD_MAX_PARTS) break;
      out.dst = job->nspare > 0 ? job->spare[--job->nspare] : malloc(ZSTD_OUT_CHUNK);
      if (!out.dst) {
        job->oom = 1;
        break;
      }
      out.size = ZSTD_OUT_CHUNK, out.pos = 0;
    }
    size_t before = out.pos, ret;
    if (zs->dctx) {
      if (in.pos == in.size && !zs->flush_pending) {
        done = 1;
        break;
      }
      size_t in_before = in.pos;
      ret = ZSTD_decompressStream(zs->dctx, &out, &in);
      if (ZSTD_isError(ret)) {
        job->zerr = ret;
        break;
      }
      zs->flush_pending = out.pos == out.size;
      // A call that moved nothing (asked to flush right after a frame ended) reports the
      // hint for a next frame header: not a sign of being inside a frame.
      if (in.pos != in_before || out.pos != before) zs->frame_open = ret != 0;
    } else {
      if (!job->end && in.pos == in.size) {
        done = 1;
        break;
      }
      ret = ZSTD_compressStream2(zs->cctx, &out, &in, job->end ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(ret)) {
        job->zerr = ret;
        break;
      }
      if (job->end && ret == 0 && in.pos == in.size) done = 1;
    }
    total += out.pos - before;
    if (done) break;
    if (out.pos == out.size) {
      job->parts[job->nparts] = out.dst;
      job->part_len[job->nparts++] = out.pos;
      out.dst = NULL;
    }
  }
  if (out.dst) {
    if (out.pos > 0) {
      // A mostly empty chunk is cut down: a consumer may hold on to it for long.
      char *kept = out.pos < ZSTD_OUT_CHUNK / 2 ? realloc(out.dst, out.pos) : NULL;
      job->parts[job->nparts] = kept ? kept : out.dst;
      job->part_len[job->nparts++] = out.pos;
    } else {
      job->spare[job->nspare++] = out.dst;
    }
  }
  job->used = in.pos;
  job->more = !done;
}

// [parts: Buffer[], used, more, frameOpen], or a thrown/rejected error.
static napi_value zstd_result(napi_env env, zstd_job *job, napi_value *error) {
  *error = NULL;
  if (job->zerr || job->oom) {
    for (int i = 0; i < job->nparts; i++) free(job->parts[i]);
    job->nparts = 0;
    napi_value code, msg;
    napi_create_string_utf8(env, job->oom ? "ENOMEM" : "EZSTD", NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, job->oom ? "out of memory" : ZSTD_getErrorName(job->zerr), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, code, msg, error);
    return NULL;
  }
  napi_value arr, parts, v;
  napi_create_array_with_length(env, 4, &arr);
  napi_create_array_with_length(env, job->nparts, &parts);
  for (int i = 0; i < job->nparts; i++) {
    napi_create_external_buffer(env, job->part_len[i], job->parts[i], free_part, NULL, &v);
    napi_set_element(env, parts, i, v);
  }
  job->nparts = 0;
  napi_set_element(env, arr, 0, parts);
  napi_set_element(env, arr, 1, int_value(env, (int64_t)job->used));
  napi_get_boolean(env, job->more, &v);
  napi_set_element(env, arr, 2, v);
  napi_get_boolean(env, job->zs->frame_open, &v);
  napi_set_element(env, arr, 3, v);
  return arr;
}

// zstdCreate(compress, level): a new stream object.
static napi_value js_zstd_create(napi_env env, napi_callback_info info) {
  ARGS(2);
  bool compress;
  int32_t level;
  if (napi_get_value_bool(env, argv[0], &compress) != napi_ok) return throw_type(env, "expected a boolean");
  if (!get_i32(env, argv[1], &level)) return NULL;
  zstd_stream *zs = calloc(1, sizeof *zs);
  if (!zs) return throw_errno(env, ENOMEM, "zstdCreate", NULL);
  if (compress) {
    zs->cctx = ZSTD_createCCtx();
    if (zs->cctx) {
      ZSTD_CCtx_setParameter(zs->cctx, ZSTD_c_compressionLevel, level);
      ZSTD_CCtx_setParameter(zs->cctx, ZSTD_c_checksumFlag, 1);
    }
  } else {
    zs->dctx = ZSTD_createDCtx();
  }
  if (!zs->cctx && !zs->dctx) {
    free(zs);
    return throw_errno(env, ENOMEM, "zstdCreate", NULL);
  }
  napi_value obj;
  napi_create_object(env, &obj);
  napi_wrap(env, obj, zs, zstd_stream_free, NULL, NULL);
  return obj;
}

// The job of a process call (stream, input, end); NULL with a pending exception.
static zstd_job *zstd_job_new(napi_env env, napi_callback_info info, napi_value *input) {
  size_t argc = 3;
  napi_value argv[3];
  zstd_stream *zs;
  void *data;
  size_t len;
  bool end = false;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_unwrap(env, argv[0], (void **)&zs) != napi_ok) {
    throw_type(env, "expected a zstd stream, a Buffer and a boolean");
    return NULL;
  }
  if (!get_buf(env, argv[1], &data, &len)) return NULL;
  napi_get_value_bool(env, argv[2], &end);
  if (zs->busy) {
    throw_errno(env, EBUSY, "zstd", NULL);
    return NULL;
  }
  zstd_job *job = calloc(1, sizeof *job);
  if (!job) {
    throw_errno(env, ENOMEM, "zstd", NULL);
    return NULL;
  }
  job->zs = zs, job->in = data, job->in_len = len, job->end = end;
  input[0] = argv[0], input[1] = argv[1];
  return job;
}

// zstdProcess(stream, input, end): one bounded call on this thread.
static napi_value js_zstd_process(napi_env env, napi_callback_info info) {
  napi_value objs[2], error;
  zstd_job *job = zstd_job_new(env, info, objs);
  if (!job) return NULL;
  zstd_run(job);
  while (job->nspare > 0) free(job->spare[--job->nspare]);
  napi_value result = zstd_result(env, job, &error);
  free(job);
  if (error) napi_throw(env, error);
  return result;
}

static void zstd_execute(napi_env env, void *data) { zstd_run(data); }

static void zstd_complete(napi_env env, napi_status status, void *data) {
  zstd_job *job = data;
  job->zs->busy = 0;
  while (job->nspare > 0) free(job->spare[--job->nspare]);
  napi_value error, result = zstd_result(env, job, &error);
  if (error) napi_reject_deferred(env, job->deferred, error);
  else napi_resolve_deferred(env, job->deferred, result);
  napi_delete_reference(env, job->keep_stream);
  napi_delete_reference(env, job->keep_input);
  napi_delete_async_work(env, job->work);
  free(job);
}

// zstdProcessAsync(stream, input, end): the same call on the thread pool; a Promise.
static napi_value js_zstd_process_async(napi_env env, napi_callback_info info) {
  napi_value objs[2];
  zstd_job *job = zstd_job_new(env, info, objs);
  if (!job) return NULL;
  job->zs->busy = 1;
  while (job->nspare < ZSTD_MAX_PARTS && (job->spare[job->nspare] = malloc(ZSTD_OUT_CHUNK)) != NULL) job->nspare++;
  napi_create_reference(env, objs[0], 1, &job->keep_stream);
  napi_create_reference(env, objs[1], 1, &job->keep_input);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "berth:zstd", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, zstd_execute, zstd_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

// ---- sendfile: blob bodies from the page cache straight to a socket ------------------------
// Node has no sendfile. A job owns a dup of the response's socket fd (valid whatever Node does
// with its own) and runs sendfile on the thread pool until the socket's buffer is full (EAGAIN);
// it then waits for writability with a uv_poll on the event loop, so a slow client holds no
// pool thread. Node must have nothing queued on the socket meanwhile (the caller flushes the
// headers first), else both would write into the same stream.
// A copying job (for a peer on this host) writes from a mapped window of the file instead, so
// the kernel copies the bytes into fresh socket buffers: over loopback the reader copies from
// whatever pages the sender queued, and page-cache pages are cold in its CPU cache while
// just-copied ones are not; zero-copy there only moves the slow copy into the client
// (measured: skopeo pulls 5-14% slower than with a copy). Mapping rather than reading into a
// buffer saves the second copy (server CPU of a 315 MB skopeo pull: 0.10-0.12 -> 0.08-0.10 s).

#define SF_STEP 0x7ffff000L
#define SF_MAP_WINDOW (4L << 20)

typedef struct sf_job {
  struct sf_job *next;
  int32_t id;
  int receiving; // 0: file to socket (sendfile); 1: socket to file (recvFile)
  // Copying jobs only: the mapped window of the file and what of it is written ([pos, len)).
  int copying;
  unsigned char *map;
  size_t buf_pos, buf_len;
  int sock, file;
  off_t off;
  int64_t left, sent;
  int err, eof, polling;
  int cancelled; // set on the main thread, read by the worker
  // recvFile only: the staging buffer, its fill, and the hash the bytes go through.
  unsigned char *stage;
  size_t stage_len, stage_size;
  EVP_MD_CTX *hash;
  napi_ref keep_stage, keep_hash;
  napi_env env;
  napi_deferred deferred;
  napi_async_work work;
  uv_poll_t poll;
} sf_job;

static sf_job *sf_jobs; // jobs in flight; touched on the main thread only

#define RF_LOWAT (256 * 1024) // bytes a blocked reader waits for (SO_RCVLOWAT)
#define SF_HOLD_MS 5           // longest a job keeps its pool thread per turn
#define SF_HOLD_BYTES (4L << 20)

// A job's turn on a pool thread: it waits on its socket there (a hand-over through the loop
// costs context switches per wake), but for SF_HOLD_MS at most, and moves SF_HOLD_BYTES at
// most, so that slow or many clients never starve the pool (file I/O shares it).
typedef struct {
  struct timespec end;
  int64_t bytes;
} sf_turn;

static void turn_start(sf_turn *t) {
  clock_gettime(CLOCK_MONOTONIC, &t->end);
  t->end.tv_nsec += SF_HOLD_MS * 1000000L;
  if (t->end.tv_nsec >= 1000000000L) {
    t->end.tv_sec++;
    t->end.tv_nsec -= 1000000000L;
  }
  t->bytes = SF_HOLD_BYTES;
}

// Waits for `events` within the turn; false when the turn is over (back to the loop).
static int turn_wait(sf_turn *t, int fd, short events) {
  if (t->bytes <= 0) return 0;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (t->end.tv_sec - now.tv_sec) * 1000L + (t->end.tv_nsec - now.tv_nsec) / 1000000L;
  if (ms <= 0) return 0;
  struct pollfd p = {.fd = fd, .events = events};
  return poll(&p, 1, (int)ms) != 0;
}

// Reads the socket into the stage, hashing each read while it is hot in the cache, and
// writes every full stage at the file offset (O_DIRECT-aligned: stage size and offsets).
static void rf_execute(sf_job *j) {
  sf_turn turn;
  turn_start(&turn);
  while (j->left > 0 && !__atomic_load_n(&j->cancelled, __ATOMIC_RELAXED)) {
    size_t room = j->stage_size - j->stage_len;
    ssize_t n = read(j->sock, j->stage + j->stage_len, (int64_t)room > j->left ? (size_t)j->left : room);
    if (n > 0) {
      if (j->hash && EVP_DigestUpdate(j->hash, j->stage + j->stage_len, (size_t)n) != 1) {
        j->err = EIO;
        return;
      }
      j->stage_len += (size_t)n;
      j->left -= n;
      j->sent += n;
      turn.bytes -= n;
      while (j->stage_len == j->stage_size) {
        ssize_t w = pwrite(j->file, j->stage, j->stage_size, j->off);
        if (w < 0 && errno == EINTR) continue;
        if (w != (ssize_t)j->stage_size) {
          j->err = w < 0 ? errno : EIO; // a short direct write leaves an offset it cannot resume from
          return;
        }
        j->off += w;
        j->stage_len = 0;
      }
    } else if (n == 0) {
      j->eof = 1; // the client closed before sending everything it announced
      return;
    } else if (errno == EAGAIN) {
      // Wake for a batch of bytes rather than for each packet.
      int low = j->left < RF_LOWAT ? (int)j->left : RF_LOWAT;
      setsockopt(j->sock, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof low);
      if (!turn_wait(&turn, j->sock, POLLIN)) return;
    } else if (errno != EINTR) {
      j->err = errno;
      return;
    }
  }
}

// Writes from a window of the file mapped into memory, mapped afresh whenever it is used up:
// one copy (page cache to socket) where reading into a buffer first made two. The window never
// reaches past the file's end (fstat before each map), so no access can fault. Returns what
// sendfile would: bytes written, 0 at the end of the file, -1 with errno.
static ssize_t sf_copy(sf_job *j) {
  if (j->buf_pos == j->buf_len) {
    if (j->map) munmap(j->map, j->buf_len);
    j->map = NULL;
    struct stat st;
    if (fstat(j->file, &st) != 0) return -1;
    if (st.st_size <= j->off) return 0;
    off_t base = j->off & ~(off_t)(sysconf(_SC_PAGESIZE) - 1);
    off_t end = j->off + (j->left < SF_MAP_WINDOW ? j->left : SF_MAP_WINDOW);
    if (end > st.st_size) end = st.st_size;
    void *m = mmap(NULL, (size_t)(end - base), PROT_READ, MAP_SHARED | MAP_POPULATE, j->file, base);
    if (m == MAP_FAILED) return -1;
    j->map = m;
    j->buf_pos = (size_t)(j->off - base);
    j->buf_len = (size_t)(end - base);
  }
  ssize_t n = write(j->sock, j->map + j->buf_pos, j->buf_len - j->buf_pos);
  if (n > 0) {
    j->buf_pos += (size_t)n;
    j->off += n;
  }
  return n;
}

static void sf_execute(napi_env env, void *data) {
  sf_job *j = data;
  if (j->receiving) {
    rf_execute(j);
    return;
  }
  sf_turn turn;
  turn_start(&turn);
  while (j->left > 0 && !__atomic_load_n(&j->cancelled, __ATOMIC_RELAXED)) {
    ssize_t n = j->copying ? sf_copy(j) : sendfile(j->sock, j->file, &j->off, j->left > SF_STEP ? SF_STEP : (size_t)j->left);
    if (n > 0) {
      j->left -= n;
      j->sent += n;
      turn.bytes -= n;
    } else if (n == 0) {
      j->eof = 1; // the file is shorter than promised: the caller reports it
      return;
    } else if (errno == EAGAIN) {
      if (!turn_wait(&turn, j->sock, POLLOUT)) return;
    } else if (errno != EINTR) {
      j->err = errno;
      return;
    }
  }
}

static void sf_closed(uv_handle_t *h) {
  sf_job *j = h->data;
  close(j->sock);
  if (j->map) munmap(j->map, j->buf_len);
  free(j);
}

// Settles the promise (the number of bytes sent, or an errno error) and releases the job.
static void sf_finish(napi_env env, sf_job *j, int err) {
  for (sf_job **pp = &sf_jobs; *pp; pp = &(*pp)->next) {
    if (*pp == j) {
      *pp = j->next;
      break;
    }
  }
  if (j->receiving) {
    int one = 1;
    setsockopt(j->sock, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
    // Always resolved with where things stand, so the caller's writer stays truthful:
    // [bytes received, stage fill, file offset of the stage, errno or 0, eof].
    napi_value state;
    napi_create_array_with_length(env, 5, &state);
    napi_set_element(env, state, 0, int_value(env, j->sent));
    napi_set_element(env, state, 1, int_value(env, (int64_t)j->stage_len));
    napi_set_element(env, state, 2, int_value(env, (int64_t)j->off));
    napi_set_element(env, state, 3, int_value(env, err));
    napi_set_element(env, state, 4, int_value(env, j->eof));
    napi_resolve_deferred(env, j->deferred, state);
    napi_delete_reference(env, j->keep_stage);
    if (j->keep_hash) napi_delete_reference(env, j->keep_hash);
  } else if (err == 0) {
    napi_resolve_deferred(env, j->deferred, int_value(env, j->sent));
  } else {
    throw_errno(env, err, "sendfile", NULL);
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_reject_deferred(env, j->deferred, error);
  }
  napi_delete_async_work(env, j->work);
  uv_close((uv_handle_t *)&j->poll, sf_closed);
}

static void sf_writable(uv_poll_t *h, int status, int events) {
  sf_job *j = h->data;
  uv_poll_stop(h);
  j->polling = 0;
  // An error of the socket shows up in the worker's sendfile.
  napi_queue_async_work(j->env, j->work);
}

static void sf_complete(napi_env env, napi_status status, void *data) {
  sf_job *j = data;
  if (j->cancelled) sf_finish(env, j, ECANCELED);
  else if (j->err) sf_finish(env, j, j->err);
  else if (j->eof || j->left == 0) sf_finish(env, j, 0);
  else if (uv_poll_start(&j->poll, j->receiving ? UV_READABLE : UV_WRITABLE, sf_writable) == 0) j->polling = 1;
  else sf_finish(env, j, EIO);
}

// A job on a dup of `sock`, watched by its own poll handle; NULL with an exception pending.
static sf_job *sf_new(napi_env env, int32_t id, int sock, int file, int64_t off, int64_t len, const char *syscall) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    throw_errno(env, EIO, syscall, NULL);
    return NULL;
  }
  sf_job *j = calloc(1, sizeof *j);
  if (!j) {
    throw_errno(env, ENOMEM, syscall, NULL);
    return NULL;
  }
  j->sock = fcntl(sock, F_DUPFD_CLOEXEC, 0);
  if (j->sock < 0) {
    int err = errno;
    free(j);
    throw_errno(env, err, syscall, NULL);
    return NULL;
  }
  int err = uv_poll_init_socket(loop, &j->poll, j->sock);
  if (err != 0) {
    close(j->sock);
    free(j);
    throw_errno(env, -err, syscall, NULL);
    return NULL;
  }
  j->poll.data = j;
  j->id = id;
  j->file = file;
  j->off = off;
  j->left = len;
  j->env = env;
  return j;
}

static napi_value sf_start(napi_env env, sf_job *j) {
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, j->receiving ? "berth:recvfile" : "berth:sendfile", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, sf_execute, sf_complete, j, &j->work);
  j->next = sf_jobs;
  sf_jobs = j;
  napi_queue_async_work(env, j->work);
  return promise;
}

// sendfileAsync(id, socketFd, fileFd, offset, length, copy): a Promise of the bytes sent, fewer
// than length only when the file ended first; copy != 0 goes through a buffer instead of
// sendfile. sendfileCancel(id) stops it (ECANCELED).
static napi_value js_sendfile_async(napi_env env, napi_callback_info info) {
  ARGS(6);
  int32_t id, sock, file, copy;
  int64_t off, len;
  if (!get_i32(env, argv[0], &id) || !get_i32(env, argv[1], &sock) || !get_i32(env, argv[2], &file) ||
      !get_i64(env, argv[3], &off) || !get_i64(env, argv[4], &len) || !get_i32(env, argv[5], &copy))
    return NULL;
  if (off < 0 || len < 0) return throw_errno(env, EINVAL, "sendfile", NULL);
  sf_job *j = sf_new(env, id, sock, file, off, len, "sendfile");
  if (j && copy) j->copying = 1;
  return j ? sf_start(env, j) : NULL;
}

// recvFileAsync(id, socketFd, fileFd, fileOffset, stage, stageLen, length, sha256 | null): reads
// exactly `length` bytes from the socket into `stage` after its first stageLen bytes, updating
// the hash, and writes the stage at fileOffset each time it is full (its size and fileOffset
// aligned for O_DIRECT). Resolves with [received, stageLen, fileOffset, errno, eof];
// sendfileCancel(id) stops it.
static napi_value js_recv_file_async(napi_env env, napi_callback_info info) {
  ARGS(8);
  int32_t id, sock, file;
  int64_t off, stage_len, len;
  void *stage;
  size_t stage_size;
  if (!get_i32(env, argv[0], &id) || !get_i32(env, argv[1], &sock) || !get_i32(env, argv[2], &file) ||
      !get_i64(env, argv[3], &off) || !get_buf(env, argv[4], &stage, &stage_size) || !get_i64(env, argv[5], &stage_len) ||
      !get_i64(env, argv[6], &len))
    return NULL;
  if (off < 0 || len < 0 || stage_len < 0 || (size_t)stage_len >= stage_size) return throw_errno(env, EINVAL, "recvfile", NULL);
  EVP_MD_CTX *hash = NULL;
  if (!is_nullish(env, argv[7]) && napi_get_value_external(env, argv[7], (void **)&hash) != napi_ok) return throw_type(env, "expected a sha256 state");
  sf_job *j = sf_new(env, id, sock, file, off, len, "recvfile");
  if (!j) return NULL;
  j->receiving = 1;
  j->stage = stage;
  j->stage_size = stage_size;
  j->stage_len = (size_t)stage_len;
  j->hash = hash;
  napi_create_reference(env, argv[4], 1, &j->keep_stage);
  if (hash) napi_create_reference(env, argv[7], 1, &j->keep_hash);
  return sf_start(env, j);
}

// ---- sha256 (OpenSSL, as linked into node) ---------------------------------------------------
// A hash state JS and recvFile both feed, so an upload is hashed once whichever path its
// bytes take.

static void sha_free(napi_env env, void *data, void *hint) { EVP_MD_CTX_free(data); }

static napi_value js_sha256_create(napi_env env, napi_callback_info info) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(ctx);
    return throw_errno(env, ENOMEM, "sha256", NULL);
  }
  napi_value v;
  napi_create_external(env, ctx, sha_free, NULL, &v);
  return v;
}

static napi_value js_sha256_update(napi_env env, napi_callback_info info) {
  ARGS(2);
  EVP_MD_CTX *ctx;
  void *data;
  size_t len;
  if (napi_get_value_external(env, argv[0], (void **)&ctx) != napi_ok) return throw_type(env, "expected a sha256 state");
  if (!get_buf(env, argv[1], &data, &len)) return NULL;
  if (EVP_DigestUpdate(ctx, data, len) != 1) return throw_errno(env, EIO, "sha256", NULL);
  return undefined(env);
}

// sha256Digest(state): lowercase hex; the state must not be used afterwards.
static napi_value js_sha256_digest(napi_env env, napi_callback_info info) {
  ARGS(1);
  EVP_MD_CTX *ctx;
  if (napi_get_value_external(env, argv[0], (void **)&ctx) != napi_ok) return throw_type(env, "expected a sha256 state");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, md, &n) != 1) return throw_errno(env, EIO, "sha256", NULL);
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned int i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  napi_value v;
  napi_create_string_utf8(env, hex, 2 * n, &v);
  return v;
}

static napi_value js_sendfile_cancel(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t id;
  if (!get_i32(env, argv[0], &id)) return NULL;
  for (sf_job *j = sf_jobs; j; j = j->next) {
    if (j->id != id) continue;
    __atomic_store_n(&j->cancelled, 1, __ATOMIC_RELAXED);
    // Waiting on the loop: settle now. On the pool: the worker stops and sf_complete settles.
    if (j->polling) {
      uv_poll_stop(&j->poll);
      j->polling = 0;
      sf_finish(env, j, ECANCELED);
    }
    break;
  }
  return undefined(env);
}

// alignedBuffer(size, align): a Buffer whose memory starts on an `align` boundary, as O_DIRECT
// writes need (Node's allocator promises no alignment).
static napi_value js_aligned_buffer(napi_env env, napi_callback_info info) {
  ARGS(2);
  int64_t size;
  int32_t align;
  if (!get_i64(env, argv[0], &size) || !get_i32(env, argv[1], &align)) return NULL;
  if (size <= 0 || align <= 0 || (align & (align - 1)) != 0) return throw_errno(env, EINVAL, "posix_memalign", NULL);
  void *p;
  int err = posix_memalign(&p, (size_t)align, (size_t)size);
  if (err != 0) return throw_errno(env, err, "posix_memalign", NULL);
  napi_value buf;
  if (napi_create_external_buffer(env, (size_t)size, p, free_part, NULL, &buf) != napi_ok) {
    free(p);
    return NULL;
  }
  return buf;
}

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

// ---- module --------------------------------------------------------------------------------

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

static void export_int(napi_env env, napi_value exports, const char *name, int64_t value) {
  napi_set_named_property(env, exports, name, int_value(env, value));
}

static napi_value init(napi_env env, napi_value exports) {
  export_fn(env, exports, "mknod", js_mknod);
  export_fn(env, exports, "lsetxattr", js_lsetxattr);
  export_fn(env, exports, "lgetxattr", js_lgetxattr);
  export_fn(env, exports, "llistxattr", js_llistxattr);
  export_fn(env, exports, "lremovexattr", js_lremovexattr);
  export_fn(env, exports, "mount", js_mount);
  export_fn(env, exports, "umount2", js_umount2);
  export_fn(env, exports, "lutimes", js_lutimes);
  export_fn(env, exports, "flock", js_flock);
  export_fn(env, exports, "flockAsync", js_flock_async);
  export_fn(env, exports, "openRoot", js_open_root);
  export_fn(env, exports, "openDirInRoot", js_open_dir_in_root);
  export_fn(env, exports, "createAt", js_create_at);
  export_fn(env, exports, "setMetaAt", js_set_meta_at);
  export_fn(env, exports, "writeFileAt", js_write_file_at);
  export_fn(env, exports, "writeFilesPacked", js_write_files_packed);
  export_fn(env, exports, "typeAt", js_type_at);
  export_fn(env, exports, "unlinkAt", js_unlink_at);
  export_fn(env, exports, "zstdCreate", js_zstd_create);
  export_fn(env, exports, "zstdProcess", js_zstd_process);
  export_fn(env, exports, "zstdProcessAsync", js_zstd_process_async);
  export_fn(env, exports, "sendfileAsync", js_sendfile_async);
  export_fn(env, exports, "sendfileCancel", js_sendfile_cancel);
  export_fn(env, exports, "alignedBuffer", js_aligned_buffer);
  export_fn(env, exports, "recvFileAsync", js_recv_file_async);
  export_fn(env, exports, "sha256Create", js_sha256_create);
  export_fn(env, exports, "sha256Update", js_sha256_update);
  export_fn(env, exports, "sha256Digest", js_sha256_digest);
  export_fn(env, exports, "spawn", js_spawn);
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
  export_int(env, exports, "MNT_DETACH", MNT_DETACH);
  export_int(env, exports, "MNT_FORCE", MNT_FORCE);
  export_int(env, exports, "LOCK_SH", LOCK_SH);
  export_int(env, exports, "LOCK_EX", LOCK_EX);
  export_int(env, exports, "LOCK_UN", LOCK_UN);
  return exports;
}

NAPI_MODULE(berth_native, init)
