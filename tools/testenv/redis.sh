#!/usr/bin/env bash
# Throwaway Redis for the rate-limit store tests (label `redis`).
#
#   eval "$(tools/testenv/redis.sh start)"   # exports GRAMKIT_TEST_REDIS_URL
#   tools/testenv/redis.sh url                # prints the export line again
#   tools/testenv/redis.sh kill               # kills the server (SIGKILL), keeps the state
#   tools/testenv/redis.sh restart            # starts it again on the same port
#   tools/testenv/redis.sh stop               # stops it and deletes its files
#
# The server listens on 127.0.0.1 on a free port, has no password and no
# persistence (--save '' --appendonly no), and owns a fresh temp directory.
# Only the `export ...` line goes to stdout so that `eval` works; progress and
# errors go to stderr. Works from any working directory.
#
# The state file (work dir + port) defaults to
# ${TMPDIR:-/tmp}/gramkit-testenv-redis.state; set GRAMKIT_REDIS_STATE_FILE to
# run several servers side by side.
set -euo pipefail

REDIS_SERVER=${GRAMKIT_REDIS_SERVER:-redis-server}
REDIS_CLI=${GRAMKIT_REDIS_CLI:-redis-cli}
STATE_FILE=${GRAMKIT_REDIS_STATE_FILE:-${TMPDIR:-/tmp}/gramkit-testenv-redis.state}

SERVICE=redis
WORK_DIR_PREFIX=redis
# shellcheck source=tools/testenv/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"



export_line() {
    echo "export GRAMKIT_TEST_REDIS_URL=redis://127.0.0.1:$1/0"
}



ping() {
    "$REDIS_CLI" -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG
}

is_running() {
    read_state && ping "$PORT"
}

# The pid of the server we started (from its pid file), if it is alive.
server_pid() {
    local pid
    [ -f "$WORK_DIR/redis.pid" ] || return 1
    pid=$(cat "$WORK_DIR/redis.pid")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Starts redis-server on $PORT in $WORK_DIR; waits until it answers PING.
launch() {
    "$REDIS_SERVER" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --dir "$WORK_DIR" --pidfile "$WORK_DIR/redis.pid" \
        --logfile "$WORK_DIR/redis.log" >/dev/null || return 1
    local i
    for i in $(seq 1 100); do
        ping "$PORT" && return 0
        sleep 0.05
    done
    return 1
}

start() {
    if is_running; then
        log "already running (work dir $WORK_DIR)"
        export_line "$PORT"
        return 0
    fi
    command -v "$REDIS_SERVER" >/dev/null || { log "$REDIS_SERVER not found (apt-get install redis-server)"; exit 1; }
    # A state file whose server is gone (machine rebooted, killed): clean up.
    if read_state; then
        log "removing stale state (work dir $WORK_DIR)"
        remove_work_dir "$WORK_DIR"
        rm -f "$STATE_FILE"
    fi

    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gramkit-redis.XXXXXX")
    # Another process may grab the port between probing and binding: retry.
    local attempt started=0
    for attempt in 1 2 3 4 5; do
        PORT=$(free_port)
        if launch; then
            started=1
            break
        fi
        log "start on port $PORT failed (attempt $attempt), retrying"
    done
    if [ "$started" -ne 1 ]; then
        log "could not start Redis; server log follows"
        cat "$WORK_DIR/redis.log" >&2 || true
        remove_work_dir "$WORK_DIR"
        exit 1
    fi
    echo "$WORK_DIR $PORT" >"$STATE_FILE"
    log "Redis running on 127.0.0.1:$PORT (work dir $WORK_DIR)"
    export_line "$PORT"
}

# SIGKILL, as a crash would: clients see their connections reset.
kill_server() {
    read_state || { log "not running (no state file $STATE_FILE)"; exit 1; }
    local pid
    if pid=$(server_pid); then
        kill -KILL "$pid"
        local i
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        rm -f "$WORK_DIR/redis.pid"
        log "killed (pid $pid, port $PORT)"
    else
        log "no server process to kill"
    fi
}

restart() {
    read_state || { log "not running (no state file $STATE_FILE)"; exit 1; }
    if ping "$PORT"; then
        log "already running on port $PORT"
        export_line "$PORT"
        return 0
    fi
    [ -d "$WORK_DIR" ] || mkdir -p "$WORK_DIR"
    # The same port, so that clients reconnect to the same URL; the old
    # socket may linger briefly, hence the retries.
    local attempt
    for attempt in $(seq 1 20); do
        if launch; then
            log "restarted on port $PORT"
            export_line "$PORT"
            return 0
        fi
        sleep 0.1
    done
    log "could not restart Redis on port $PORT; server log follows"
    cat "$WORK_DIR/redis.log" >&2 || true
    exit 1
}

stop() {
    if ! read_state; then
        log "not running (no state file $STATE_FILE)"
        return 0
    fi
    "$REDIS_CLI" -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
    local pid
    if pid=$(server_pid); then kill -KILL "$pid" 2>/dev/null || true; fi
    remove_work_dir "$WORK_DIR"
    rm -f "$STATE_FILE"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    kill) kill_server ;;
    restart) restart ;;
    url)
        if is_running; then export_line "$PORT"; else log "not running"; exit 1; fi
        ;;
    *)
        echo "usage: $0 start|stop|kill|restart|url" >&2
        exit 2
        ;;
esac
