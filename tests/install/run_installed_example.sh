#!/usr/bin/env bash
# Installs a built gramkit into a temporary prefix and checks that a host can
# use the installed package, not the build tree:
#   1. `cmake --install <build dir> --prefix <tmp>/prefix`
#   2. the exported CMake targets carry none of libgramkit's private
#      dependencies (SQLite, libpq, OpenSSL, simdjson, argon2)
#   3. examples/cpp configures with find_package(gramkit) from that prefix
#      only, builds, links the installed libgramkit.so and runs successfully
#   4. `pkg-config --cflags --libs gramkit` works from <prefix>/<libdir>/pkgconfig
#      and builds a one-line C++ program and a one-line C99 program
# The temporary directory is removed on exit (set GRAMKIT_KEEP_TMP=1 to keep it).
#
# Usage: run_installed_example.sh <build dir> <source dir> [c++ compiler] [c compiler] [version]
# Registered as the ctest test examples.cpp_installed (tests/install/CMakeLists.txt).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 <build dir> <source dir> [c++ compiler] [c compiler] [version]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
cxx=${3:-${CXX:-g++}}
cc=${4:-${CC:-gcc}}
expected_version=${5:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gramkit-install-test.XXXXXX")
cleanup() {
  if [[ "${GRAMKIT_KEEP_TMP:-0}" == 1 ]]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

prefix=$tmp/prefix
step() { echo "== $*"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
# Runs a command quietly; shows its output only when it fails.
quiet() {
  local log=$tmp/step.log
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "$*"
  fi
}

step "install $build_dir into $prefix"
quiet cmake --install "$build_dir" --prefix "$prefix"

lib=$(find "$prefix" -name 'libgramkit.so' \( -type f -o -type l \) | head -n1)
[[ -n "$lib" ]] || fail "libgramkit.so was not installed"
libdir=$(dirname "$lib")
[[ -f "$prefix/include/gramkit/gramkit.hpp" ]] || fail "include/gramkit/gramkit.hpp was not installed"
[[ -f "$prefix/include/gramkit/gramkit.h" ]] || fail "include/gramkit/gramkit.h was not installed"
for f in gramkitConfig.cmake gramkitConfigVersion.cmake gramkitTargets.cmake; do
  [[ -f "$libdir/cmake/gramkit/$f" ]] || fail "$libdir/cmake/gramkit/$f was not installed"
done
[[ -f "$libdir/pkgconfig/gramkit.pc" ]] || fail "$libdir/pkgconfig/gramkit.pc was not installed"
echo "libdir: ${libdir#"$prefix"/}"

step "exported targets carry no private dependency"
# Only the link interface matters to consumers. (CMake also records private
# shared-library targets in IMPORTED_LINK_DEPENDENT_LIBRARIES, used for
# -rpath-link only and ignored when the consumer has no such target.)
if grep -hE '^[[:space:]]*(INTERFACE_LINK_LIBRARIES|IMPORTED_LINK_INTERFACE_LIBRARIES[A-Z_]*)[[:space:]]' \
    "$libdir"/cmake/gramkit/gramkitTargets*.cmake |
    grep -E 'SQLite|PostgreSQL|OpenSSL|simdjson|ARGON2|argon2|pq|crypto|gramkit_objects'; then
  fail "the exported gramkit::gramkit link interface names private dependencies (see above)"
fi

step "configure examples/cpp with find_package(gramkit) from the prefix"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
quiet cmake -S "$source_dir/examples/cpp" -B "$tmp/example-build" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
found_dir=$(sed -n 's/^gramkit_DIR:PATH=//p' "$tmp/example-build/CMakeCache.txt")
[[ "$found_dir" == "$prefix"/* ]] || fail "find_package(gramkit) found '$found_dir', not the installed package"

step "build examples/cpp"
quiet cmake --build "$tmp/example-build"

example=$tmp/example-build/gramkit_cpp_example
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
resolved=$(ldd "$example" | awk '$1 ~ /^libgramkit\.so/ { print $3 }')
[[ "$resolved" == "$libdir"/* ]] || fail "the example loads libgramkit from '$resolved', not from $libdir"

step "run examples/cpp"
(cd "$tmp" && "$example") || fail "gramkit_cpp_example exited with $?"

step "pkg-config"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
pc_flags=$(pkg-config --cflags --libs gramkit) || fail "pkg-config --cflags --libs gramkit"
echo "pkg-config --cflags --libs gramkit: $pc_flags"
if [[ -n "$expected_version" ]]; then
  pc_version=$(pkg-config --modversion gramkit)
  [[ "$pc_version" == "$expected_version" ]] || fail "pkg-config version $pc_version, expected $expected_version"
fi
cflags=$(pkg-config --cflags gramkit)
libs=$(pkg-config --libs gramkit)

echo '#include <gramkit/gramkit.hpp>
int main() { return std::string_view(gramkit::version()) == GRAMKIT_EXPECTED ? 0 : 1; }' >"$tmp/one_line.cpp"
want=${expected_version:-0.1.0}
# shellcheck disable=SC2086
quiet "$cxx" -std=c++23 -Wall -Werror $cflags "-DGRAMKIT_EXPECTED=\"$want\"" "$tmp/one_line.cpp" $libs -o "$tmp/one_line_cpp"
"$tmp/one_line_cpp" || fail "the pkg-config C++ program (gramkit::version() != $want)"

echo '#include <gramkit/gramkit.h>
int main(void) { return gk_version_number() == GRAMKIT_VERSION_NUMBER ? 0 : 1; }' >"$tmp/one_line.c"
# shellcheck disable=SC2086
quiet "$cc" -std=c99 -pedantic -Wall -Werror $cflags "$tmp/one_line.c" $libs -o "$tmp/one_line_c"
"$tmp/one_line_c" || fail "the pkg-config C program (gk_version_number() mismatch)"

echo "OK: the installed package works through CMake and pkg-config"
