#!/usr/bin/env bash
# Sets up, builds and runs every test suite.
#
#   bash tools/test.sh
#
# Phases (each timed):
#   1. install missing Debian packages (tools/setup.sh)
#   2. build the `dev` preset
#   3. start a throwaway PostgreSQL and Redis (tools/testenv/*.sh) for the
#      storage conformance suite; it is stopped on exit, whatever happens
#   4. ctest on `dev` (every suite)
#   5. build the `asan` preset (ASan + UBSan)
#   6. ctest on `asan`, labels unit|capi|storage|redis|net|instagram|instagram_service|igsim|jobs|scrape
#
# With CI=true a PostgreSQL or Redis that cannot start fails the run; elsewhere it is
# a warning (and the PostgreSQL tests then report the missing server).
# Exit status: 0 only if every phase succeeded.
set -uo pipefail

# The whole script is one compound command, so bash parses all of it before
# running any: editing this file (or pulling) during a long run cannot
# change the running script halfway.
{
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

JOBS=${GRAMKIT_TEST_JOBS:-2}
started_at=$(date +%s.%N)
failures=()
summary_ok=1  # every ctest run printed a parsable summary
total_passed=0
total_failed=0
total_skipped=0

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
banner() { printf '\n=== test.sh: %s\n' "$*"; }
done_phase() { printf -- '--- test.sh: %s: %s (%ss)\n' "$1" "$2" "$(elapsed "$3")"; }

# --- services (PostgreSQL, Redis), always stopped on exit ---------------------
# State files of our own, so that this run never reuses or stops a server
# that another run started.
export GRAMKIT_PG_STATE_FILE="${TMPDIR:-/tmp}/gramkit-test-$$.pgstate"
export GRAMKIT_REDIS_STATE_FILE="${TMPDIR:-/tmp}/gramkit-test-$$.redisstate"
started_services=()
cleanup() {
    local svc
    for svc in "${started_services[@]}"; do
        bash "$ROOT/tools/testenv/$svc.sh" stop >/dev/null 2>&1 || true
    done
    rm -f "$GRAMKIT_PG_STATE_FILE" "$GRAMKIT_REDIS_STATE_FILE"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs ctest with the given arguments, echoing its output, and adds its
# "N% tests passed, F tests failed out of T" line to the totals.
run_ctest() {
    local log status line
    log=$(mktemp)
    ctest "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        local failed total skipped
        failed=$(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
        total=$(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
        # ctest counts skipped tests as passed; they are listed as
        # "<n> - <name> (Skipped)" under "The following tests did not run".
        skipped=$(grep -cE '^[[:space:]]*[0-9]+ - .* \((Skipped|Disabled)\)$' "$log" || true)
        total_failed=$((total_failed + failed))
        total_skipped=$((total_skipped + skipped))
        total_passed=$((total_passed + total - failed - skipped))
    else
        summary_ok=0
    fi
    rm -f "$log"
    return "$status"
}

# --- 1. setup -------------------------------------------------------------------
t=$(now)
banner "setup"
if ! bash "$ROOT/tools/setup.sh"; then
    done_phase setup FAILED "$t"
    exit 1
fi
done_phase setup ok "$t"

# --- 2. build dev ---------------------------------------------------------------
t=$(now)
banner "build (dev)"
dev_built=1
if bash "$ROOT/tools/build.sh" dev; then
    done_phase "build dev" ok "$t"
else
    dev_built=0
    failures+=("build dev")
    done_phase "build dev" FAILED "$t"
fi

# --- 3. services -------------------------------------------------------------------
# start_service NAME URL_VARIABLE: runs tools/testenv/NAME.sh start and
# evaluates the export line it prints. In CI a service that cannot start
# fails the run; elsewhere its tests report the missing server.
start_service() {
    local name=$1 var=$2 env t
    t=$(now)
    banner "start $name"
    started_services+=("$name")  # stop whatever half-started, too
    if env=$(bash "$ROOT/tools/testenv/$name.sh" start); then
        eval "$env"
        done_phase "$name" "ok (${!var:-?})" "$t"
    else
        done_phase "$name" FAILED "$t"
        if [ "${CI:-}" = true ]; then
            echo "test.sh: $name could not be started; in CI that fails the run" >&2
            exit 1
        fi
        echo "test.sh: WARNING: $name could not be started; its tests will fail or be skipped" >&2
    fi
}
start_service postgres GRAMKIT_TEST_POSTGRES_URL
start_service redis GRAMKIT_TEST_REDIS_URL

# --- 4. ctest dev ----------------------------------------------------------------
t=$(now)
banner "ctest (dev)"
if [ "$dev_built" = 1 ]; then
    if run_ctest --preset dev -j "$JOBS" --output-on-failure --no-tests=error; then
        done_phase "ctest dev" ok "$t"
    else
        failures+=("ctest dev")
        done_phase "ctest dev" FAILED "$t"
    fi
else
    summary_ok=0
    failures+=("ctest dev (not run: build failed)")
    done_phase "ctest dev" "skipped (build failed)" "$t"
fi

# --- 5. build asan ---------------------------------------------------------------
t=$(now)
banner "build (asan)"
asan_built=1
if bash "$ROOT/tools/build.sh" asan; then
    done_phase "build asan" ok "$t"
else
    asan_built=0
    failures+=("build asan")
    done_phase "build asan" FAILED "$t"
fi

# --- 6. ctest asan ---------------------------------------------------------------
t=$(now)
banner "ctest (asan: unit|capi|storage|redis|net|instagram|instagram_service|igsim|jobs|scrape)"
if [ "$asan_built" = 1 ]; then
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_ctest --preset asan -j "$JOBS" --output-on-failure --no-tests=error -L 'unit|capi|storage|redis|net|instagram|instagram_service|igsim|jobs|scrape'; then
        done_phase "ctest asan" ok "$t"
    else
        failures+=("ctest asan")
        done_phase "ctest asan" FAILED "$t"
    fi
else
    summary_ok=0
    failures+=("ctest asan (not run: build failed)")
    done_phase "ctest asan" "skipped (build failed)" "$t"
fi

# --- result ----------------------------------------------------------------------
echo
echo "test.sh: total $(elapsed "$started_at")s"
if [ "${#failures[@]}" -gt 0 ]; then
    printf 'FAILED: %s\n' "${failures[@]}"
fi
if [ "$summary_ok" = 1 ]; then
    echo "$total_passed passed, $total_skipped skipped, $total_failed failed (dev + asan test runs)"
fi
[ "${#failures[@]}" -eq 0 ]
exit
}
