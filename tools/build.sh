#!/usr/bin/env bash
# Configures and builds one CMake preset (default: dev) into build/<preset>.
#
#   bash tools/build.sh [dev|asan|release]
#
# Uses ccache when installed (CMakeLists.txt picks it up); the cache lives in
# $CCACHE_DIR (default ~/.cache/ccache) and paths are made relative to the
# repository so that clones in different places share hits.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PRESET=${1:-dev}
JOBS=${GRAMKIT_BUILD_JOBS:-2}

export CCACHE_BASEDIR="$ROOT"
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_NOHASHDIR=1
mkdir -p "$CCACHE_DIR"

cd "$ROOT"
configure_log=$(mktemp)
trap 'rm -f "$configure_log"' EXIT
if ! cmake --preset "$PRESET" >"$configure_log" 2>&1; then
    cat "$configure_log" >&2
    echo "build.sh: configuring preset '$PRESET' failed" >&2
    exit 1
fi
# Keep configure quiet, but never hide a warning.
if grep -q "CMake Warning" "$configure_log"; then cat "$configure_log" >&2; fi
cmake --build --preset "$PRESET" -j "$JOBS"
