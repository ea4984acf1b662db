// Shared by the addon's files: the includes, the argument and error helpers every N-API
// function uses (common.c), and each file's register function (called by berth_native.c).
#pragma once
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

napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path);
napi_value throw_type(napi_env env, const char *msg);
int is_nullish(napi_env env, napi_value v);
// Copies a string argument into buf; false (with a pending exception) if it is not a string,
// too long, or holds a NUL byte.
int get_str(napi_env env, napi_value v, char *buf, size_t size);
int get_i32(napi_env env, napi_value v, int32_t *out);
int get_i64(napi_env env, napi_value v, int64_t *out);
int get_buf(napi_env env, napi_value v, void **data, size_t *len);
napi_value undefined(napi_env env);
napi_value int_value(napi_env env, int64_t n);
// Finalizer of an external buffer whose memory came from malloc or posix_memalign.
void free_part(napi_env env, void *data, void *hint);
void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb);
// Runs `execute` on libuv's thread pool and then `complete` on the event loop, as async resource
// `name`; returns the promise `complete` settles through *deferred (*work is set for it too).
napi_value queue_work(napi_env env, const char *name, napi_async_execute_callback execute, napi_async_complete_callback complete, void *data,
                      napi_deferred *deferred, napi_async_work *work);
void export_int(napi_env env, napi_value exports, const char *name, int64_t value);

#define ARGS(n)                                                  \
  size_t argc = MAX_ARGS;                                        \
  napi_value argv[MAX_ARGS];                                     \
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);          \
  if (argc < (n)) return throw_type(env, "too few arguments");

// Each file adds its functions (and constants) to the module's exports.
void register_fsops(napi_env env, napi_value exports);
void register_extract(napi_env env, napi_value exports);
void register_zstd(napi_env env, napi_value exports);
void register_socket(napi_env env, napi_value exports);
void register_spawn(napi_env env, napi_value exports);
