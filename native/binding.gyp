{
  "targets": [
    {
      "target_name": "berth_native",
      "sources": ["berth_native.c", "common.c", "fsops.c", "extract.c", "zstd.c", "socket.c", "spawn.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "libraries": ["-lzstd"]
    }
  ]
}
