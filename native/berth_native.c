// berth_native: the few Linux system calls Node does not expose (mknod, xattrs, mount,
// flock, openat2, *at calls on directory fds) as thin N-API functions, zstd streams (libzstd),
// the registry's socket I/O (sendfile for blob bodies, socket-to-file uploads with sha256), and
// posix_spawn with a pidfd wait for the runtime of a foreground run.
//
// Every function either returns its result or throws an Error whose `code` is the errno
// name (ENOENT, EEXIST, ...), so src/internal/errors.ts maps it like any fs error.
// The typed, documented face of this file is src/internal/sys.ts; call that, not this.
//
// One file a concern (common.h lists them); this one makes the module from their registers.
#include "common.h"

static napi_value init(napi_env env, napi_value exports) {
  register_fsops(env, exports);
  register_extract(env, exports);
  register_zstd(env, exports);
  register_socket(env, exports);
  register_spawn(env, exports);
  return exports;
}

NAPI_MODULE(berth_native, init)
