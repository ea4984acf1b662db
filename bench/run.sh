#!/usr/bin/env bash
# Runs every side-by-side benchmark (bench/*.ts, compiled to dist/bench/*.js) against the
# peers, one after another: they measure wall and CPU time and must not overlap.
# BENCH=name runs only the ones whose file name contains it. Results go to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
for js in dist/bench/*.js; do
  name=$(basename "$js" .js)
  case "$name" in *.test) continue ;; esac
  if [ -n "${BENCH:-}" ] && [[ "$name" != *"$BENCH"* ]]; then continue; fi
  echo "== bench: $name"
  node "$js"
done
