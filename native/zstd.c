// zstd streams (libzstd), compress and decompress, in steps or on the thread pool.
#include "common.h"

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
  return queue_work(env, "berth:zstd", zstd_execute, zstd_complete, job, &job->deferred, &job->work);
}

void register_zstd(napi_env env, napi_value exports) {
  export_fn(env, exports, "zstdCreate", js_zstd_create);
  export_fn(env, exports, "zstdProcess", js_zstd_process);
  export_fn(env, exports, "zstdProcessAsync", js_zstd_process_async);
}
