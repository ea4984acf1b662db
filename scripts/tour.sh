#!/usr/bin/env bash
# The tour: the whole system end to end, as a user meets it. Grows with each area.
set -euo pipefail
cd "$(dirname "$0")/.."
berth() { node bin/berth "$@"; }
echo "== berth version"; berth version
