#!/usr/bin/env bash
# Installs the Debian packages gramkit needs to build and test, but only the
# ones that are missing. Idempotent and quiet: on a machine that has
# everything it prints nothing and makes no network access.
#
#   bash tools/setup.sh
#
# Runs apt-get directly as root, through sudo otherwise.
set -euo pipefail

PACKAGES=(
    build-essential cmake ninja-build ccache pkg-config
    libsqlite3-dev libpq-dev postgresql libssl-dev libsimdjson-dev libargon2-dev
    libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev python3 zlib1g-dev
    libhiredis-dev redis-server redis-tools
    libboost-dev nlohmann-json3-dev wrk
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "setup.sh: missing packages: ${missing[*]}" >&2
    echo "setup.sh: not root and sudo is not available; install them as root" >&2
    exit 1
fi

echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 ||
   ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
    cat "$log" >&2
    echo "setup.sh: apt-get failed (see above)" >&2
    exit 1
fi
echo "setup.sh: done" >&2
