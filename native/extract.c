// Directory-fd operations for layer extraction (openat2 RESOLVE_IN_ROOT, *at calls) and
// batches of small files written on the thread pool.
#include "common.h"

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
  return queue_work(env, "berth:writeFiles", batch_execute, packed_complete, b, &b->deferred, &b->work);
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

void register_extract(napi_env env, napi_value exports) {
  export_fn(env, exports, "openRoot", js_open_root);
  export_fn(env, exports, "openDirInRoot", js_open_dir_in_root);
  export_fn(env, exports, "createAt", js_create_at);
  export_fn(env, exports, "setMetaAt", js_set_meta_at);
  export_fn(env, exports, "writeFileAt", js_write_file_at);
  export_fn(env, exports, "writeFilesPacked", js_write_files_packed);
  export_fn(env, exports, "typeAt", js_type_at);
  export_fn(env, exports, "unlinkAt", js_unlink_at);
}
