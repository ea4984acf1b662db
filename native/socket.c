// The registry's socket I/O: blob bodies by sendfile or from a mapped window, upload bodies
// from the socket into the file with sha256 (OpenSSL as linked into node), aligned buffers.
#include "common.h"

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
  napi_value promise = queue_work(env, j->receiving ? "berth:recvfile" : "berth:sendfile", sf_execute, sf_complete, j, &j->deferred, &j->work);
  // Listed for sendfileCancel; the list is touched on the main thread only, as here.
  j->next = sf_jobs;
  sf_jobs = j;
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

void register_socket(napi_env env, napi_value exports) {
  export_fn(env, exports, "sendfileAsync", js_sendfile_async);
  export_fn(env, exports, "sendfileCancel", js_sendfile_cancel);
  export_fn(env, exports, "alignedBuffer", js_aligned_buffer);
  export_fn(env, exports, "recvFileAsync", js_recv_file_async);
  export_fn(env, exports, "sha256Create", js_sha256_create);
  export_fn(env, exports, "sha256Update", js_sha256_update);
  export_fn(env, exports, "sha256Digest", js_sha256_digest);
}
