#!/usr/bin/env bash
# Throwaway PostgreSQL 15 for the storage conformance tests.
#
#   eval "$(tools/testenv/postgres.sh start)"   # exports GRAMKIT_TEST_POSTGRES_URL
#   tools/testenv/postgres.sh url                # prints the export line again
#   tools/testenv/postgres.sh stop               # stops it and deletes its files
#
# The server listens on 127.0.0.1 on a free port, trusts local connections
# (user postgres, no password), runs with fsync=off, and owns a fresh temp
# directory. Only the `export ...` line goes to stdout so that `eval` works;
# progress and errors go to stderr. Works from any working directory.
#
# The state file (work dir + port) defaults to
# ${TMPDIR:-/tmp}/gramkit-testenv-postgres.state; set GRAMKIT_PG_STATE_FILE to
# run several servers side by side.
set -euo pipefail

PGBIN=${GRAMKIT_PGBIN:-/usr/lib/postgresql/15/bin}
STATE_FILE=${GRAMKIT_PG_STATE_FILE:-${TMPDIR:-/tmp}/gramkit-testenv-postgres.state}

SERVICE=postgres
WORK_DIR_PREFIX=pg
# shellcheck source=tools/testenv/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DB_NAME=gramkit_test


# initdb and the server refuse to run as root; as root, run them as the
# `postgres` system user that the Debian package creates.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}


export_line() {
    echo "export GRAMKIT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$1/$DB_NAME"
}



is_running() {
    read_state && as_pg "$PGBIN/pg_ctl" -D "$WORK_DIR/pg" status >/dev/null 2>&1
}

start() {
    if is_running; then
        log "already running (work dir $WORK_DIR)"
        export_line "$PORT"
        return 0
    fi
    [ -x "$PGBIN/initdb" ] || { log "PostgreSQL binaries not found in $PGBIN"; exit 1; }
    # A state file whose server is gone (machine rebooted, killed): clean up.
    if read_state; then
        log "removing stale state (work dir $WORK_DIR)"
        remove_work_dir "$WORK_DIR"
        rm -f "$STATE_FILE"
    fi

    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gramkit-pg.XXXXXX")
    chmod 755 "$WORK_DIR"
    mkdir -m 700 "$WORK_DIR/pg" "$WORK_DIR/sock"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$WORK_DIR/pg" "$WORK_DIR/sock"; fi

    as_pg "$PGBIN/initdb" -D "$WORK_DIR/pg" -U postgres -A trust -E UTF8 --no-locale --no-sync >/dev/null

    # Another process may grab the port between probing and binding: retry.
    local attempt started=0
    for attempt in 1 2 3 4 5; do
        PORT=$(free_port)
        if as_pg "$PGBIN/pg_ctl" -D "$WORK_DIR/pg" -l "$WORK_DIR/sock/log" -w -t 30 \
            -o "-p $PORT -k $WORK_DIR/sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
            start >/dev/null; then
            started=1
            break
        fi
        log "start on port $PORT failed (attempt $attempt), retrying"
    done
    if [ "$started" -ne 1 ]; then
        log "could not start PostgreSQL; server log follows"
        cat "$WORK_DIR/sock/log" >&2 || true
        remove_work_dir "$WORK_DIR"
        exit 1
    fi

    echo "$WORK_DIR $PORT" >"$STATE_FILE"
    "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qc "CREATE DATABASE $DB_NAME" >/dev/null
    log "PostgreSQL running on 127.0.0.1:$PORT (work dir $WORK_DIR)"
    export_line "$PORT"
}

stop() {
    if ! read_state; then
        log "not running (no state file $STATE_FILE)"
        return 0
    fi
    if [ -d "$WORK_DIR/pg" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$WORK_DIR/pg" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    remove_work_dir "$WORK_DIR"
    rm -f "$STATE_FILE"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url)
        if is_running; then export_line "$PORT"; else log "not running"; exit 1; fi
        ;;
    *)
        echo "usage: $0 start|stop|url" >&2
        exit 2
        ;;
esac
