#!/usr/bin/env bash
# Build: the native addon (only when its sources changed) and the TypeScript output.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f native/binding.gyp ]; then
  node_out=native/build/Release/berth_native.node
  if [ ! -f "$node_out" ] || [ -n "$(find native -maxdepth 1 -newer "$node_out" -type f)" ]; then
    echo "build: native addon"
    (cd native && npx --no-install node-gyp rebuild --loglevel=error >/dev/null)
  fi
fi
# The attach helper: conmon's attach socket is SOCK_SEQPACKET, which Node cannot open.
if [ native/monitor/attach.c -nt native/monitor/build/berth-attach ]; then
  echo "build: attach helper"
  mkdir -p native/monitor/build && cc -O2 -Wall -o native/monitor/build/berth-attach native/monitor/attach.c
fi
# The runtime conmon runs for a container started at once: create + start in one process.
if [ native/monitor/run-detached.c -nt native/monitor/build/berth-run-detached ]; then
  echo "build: run-detached shim"
  mkdir -p native/monitor/build && cc -O2 -Wall -o native/monitor/build/berth-run-detached native/monitor/run-detached.c
fi
# A container's health checks: run each interval until its init ends (health-timer.c says why).
if [ native/monitor/health-timer.c -nt native/monitor/build/berth-health-timer ]; then
  echo "build: health timer"
  mkdir -p native/monitor/build && cc -O2 -Wall -o native/monitor/build/berth-health-timer native/monitor/health-timer.c
fi
# bin/berth: a symlink to the CLI's launcher (native/launcher/berth.c says why it is C).
if [ native/launcher/berth.c -nt native/launcher/build/berth ]; then
  echo "build: launcher"
  mkdir -p native/launcher/build && cc -O2 -Wall -o native/launcher/build/berth native/launcher/berth.c
fi
# Output of sources that no longer exist must not linger (a deleted test would still run).
if [ -d dist ]; then
  find dist -name '*.js' | while read -r js; do
    src="${js#dist/}"; src="${src%.js}.ts"
    [ -f "$src" ] || rm -f "$js"
  done
fi
npx --no-install tsc -p tsconfig.json
# bin/berth runs the CLI as one bundled file (start-up time; scripts/bundle-cli.mjs says why).
node scripts/bundle-cli.mjs
