#!/usr/bin/env bash
# Set-up for a fresh machine (run as root): system packages when missing, npm deps,
# the native addon and the TypeScript build. Cheap to re-run: each step skips when done.
set -euo pipefail
cd "$(dirname "$0")/.."

# Peers and tools the tests, the tour and the benchmarks use, all from Debian's packages.
PKGS=(runc crun conmon skopeo umoci podman buildah docker-registry docker.io
      busybox-static debootstrap zstd attr uidmap iproute2 hyperfine wrk apache2-utils
      containernetworking-plugins libzstd-dev python3 make g++ openssl procps xz-utils bzip2)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  # npm install, not npm ci: npm 11 leaves other platforms' optional packages (biome's
  # binaries) out of the lock file and then npm ci refuses that same lock file.
  echo "setup: npm install"
  npm install --no-audit --no-fund --loglevel=error
fi

bash scripts/build.sh
