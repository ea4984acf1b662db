#!/usr/bin/env bash
# Every test: lint, then the unit tests beside the code and the end-to-end tests in test/.
# The build (scripts/build.sh) already type-checked everything.
set -euo pipefail
cd "$(dirname "$0")/.."
npx --no-install biome lint --diagnostic-level=error src test bench scripts
mapfile -t files < <(find dist/src dist/test -name '*.test.js' | sort)
exec node --test --test-concurrency="${BERTH_TEST_CONCURRENCY:-2}" --test-timeout=600000 "${files[@]}"
