// The argument and error helpers of every N-API function in the addon (common.h).
#include "common.h"

// ---- argument and error helpers ---------------------------------------------------------

napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
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

napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

// Copies a string argument into buf (PATH_MAX bytes); false (with a pending exception) if
// it is not a string or too long. NUL bytes inside are refused: a C path would stop there.
int get_str(napi_env env, napi_value v, char *buf, size_t size) {
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

int get_i32(napi_env env, napi_value v, int32_t *out) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    throw_type(env, "expected a number");
    return 0;
  }
  return 1;
}

int get_i64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    throw_type(env, "expected a number");
    return 0;
  }
  return 1;
}

int get_buf(napi_env env, napi_value v, void **data, size_t *len) {
  if (napi_get_buffer_info(env, v, data, len) != napi_ok) {
    throw_type(env, "expected a Buffer");
    return 0;
  }
  return 1;
}


napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value int_value(napi_env env, int64_t n) {
  napi_value v;
  napi_create_int64(env, n, &v);
  return v;
}

void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

void export_int(napi_env env, napi_value exports, const char *name, int64_t value) {
  napi_set_named_property(env, exports, name, int_value(env, value));
}

// Finalizer of an external buffer whose memory came from malloc or posix_memalign.
void free_part(napi_env env, void *data, void *hint) { free(data); }

napi_value queue_work(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete, void *data,
                      napi_deferred *deferred, napi_async_work *work) {
  napi_value promise, name_v;
  napi_create_promise(env, deferred, &promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &name_v);
  napi_create_async_work(env, NULL, name_v, execute, complete, data, work);
  napi_queue_async_work(env, *work);
  return promise;
}
