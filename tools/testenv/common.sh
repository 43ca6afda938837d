# Shared by tools/testenv/*.sh (sourced, not run). The sourcing script sets
# SERVICE (for messages and work-dir names) and STATE_FILE first.

log() { echo "$SERVICE.sh: $*" >&2; }

free_port() {
    # Bind port 0 and read back what the kernel chose (never hard-code ports).
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Sets WORK_DIR and PORT from the state file; fails if there is none.
read_state() {
    [ -f "$STATE_FILE" ] || return 1
    read -r WORK_DIR PORT <"$STATE_FILE" || return 1
    [ -n "${WORK_DIR:-}" ] && [ -n "${PORT:-}" ]
}

# Deletes a work dir this script created (named gramkit-<prefix>.*), and
# nothing else: the path comes from a state file that could be stale or edited.
remove_work_dir() {
    case "$1" in
        */gramkit-"$WORK_DIR_PREFIX".*) rm -rf -- "$1" ;;
        *) log "not deleting unexpected work dir '$1'" ;;
    esac
}
