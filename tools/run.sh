#!/usr/bin/env bash
# The main job: set up, build the `dev` preset, then run the gramkit CLI.
#
#   bash tools/run.sh              # demo on a fresh data dir (see below)
#   bash tools/run.sh ARGS...      # build, then run `gramkit ARGS...`
#
# The demo uses the embedded default (an SQLite file plus a generated key
# file) in $GRAMKIT_DATA_DIR, default ./gramkit-data, which it recreates on
# every run (but never a dir that an earlier demo run did not make). Every
# step is echoed before it runs.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bash "$ROOT/tools/setup.sh"
bash "$ROOT/tools/build.sh" dev
GRAMKIT="$ROOT/build/dev/examples/cli/gramkit"

if [ "$#" -gt 0 ]; then
    exec "$GRAMKIT" "$@"
fi

DATA_DIR=${GRAMKIT_DATA_DIR:-./gramkit-data}
export GRAMKIT_DATA_DIR="$DATA_DIR"
# The demo starts from an empty data dir. A dir made by an earlier demo run
# (it holds the marker file) is replaced; any other existing dir is left
# alone, because it may hold real accounts and the only copy of their key.
MARKER=.gramkit-demo
if [ -e "$DATA_DIR" ]; then
    if [ -f "$DATA_DIR/$MARKER" ]; then
        rm -rf -- "$DATA_DIR"
    else
        echo "run.sh: $DATA_DIR exists and was not made by this demo; not touching it." >&2
        echo "run.sh: set GRAMKIT_DATA_DIR to another path for the demo, or use 'bash tools/run.sh ARGS...'." >&2
        exit 1
    fi
fi
mkdir -p -m 700 "$DATA_DIR"
echo "made by tools/run.sh; deleted by its next run" >"$DATA_DIR/$MARKER"

# Prints a command line the way one would type it (quoting what needs it).
show() {
    local out="\$" arg
    for arg in "$@"; do
        if [[ "$arg" =~ ^[A-Za-z0-9_./:@,=+%-]+$ ]]; then
            out+=" $arg"
        else
            out+=" '${arg//\'/\'\\\'\'}'"
        fi
    done
    echo
    echo "$out"
}
step() {
    show gramkit "$@"
    "$GRAMKIT" "$@"
}
# Like step, but feeds a secret on stdin; the echoed line says where it
# comes from, never what it is.
step_with_stdin() {
    local secret=$1 shown=$2
    shift 2
    echo
    echo "\$ $shown | $(show gramkit "$@" | tail -n 1 | cut -c3-)"
    printf '%s\n' "$secret" | "$GRAMKIT" "$@"
}

# Demo secrets, random per run: neither may show up in the output or in the
# database files (checked at the end).
DEMO_PASSWORD="demo-pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
PROXY_PASSWORD="proxy-pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
COOKIE_VALUE="DEMO0000%3Afake-session-value-not-real%3A0"  # from demo-cookies.json

demo() {
    echo "gramkit demo in $DATA_DIR"
    step proxy add "http://proxy.example.net:3128" --max-accounts 2
    step_with_stdin "socks5://demo:$PROXY_PASSWORD@socks.example.net:1080" \
        "echo 'socks5://demo:<password>@socks.example.net:1080'" proxy add --stdin
    step_with_stdin "$DEMO_PASSWORD" "echo '<password>'" \
        account add demo.collector --email demo@example.com --label demo --label batch-1
    step proxy assign demo.collector
    step session import-cookies demo.collector "$ROOT/examples/cli/demo-cookies.json" \
        --user-agent "Mozilla/5.0 (X11; Linux x86_64) gramkit-demo"
    step account list
    step session show demo.collector
    step account status demo.collector cooldown --reason "demo: Instagram said please wait" --for 30m
    step proxy list
    step vault rotate
    step vault keys
    step account history demo.collector
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
demo 2>&1 | tee "$log"

echo
leaked=0
for secret in "$DEMO_PASSWORD" "$PROXY_PASSWORD" "$COOKIE_VALUE"; do
    if grep -qF -- "$secret" "$log"; then
        echo "run.sh: a demo secret appeared in the output" >&2
        leaked=1
    fi
    for f in "$DATA_DIR"/gramkit.db*; do
        if grep -qaF -- "$secret" "$f"; then
            echo "run.sh: a demo secret is stored in plain text in $f" >&2
            leaked=1
        fi
    done
done
[ "$leaked" = 0 ] || exit 1
echo "checked: the demo password, proxy password and cookie value appear neither in the output above nor in plain text in $DATA_DIR/gramkit.db*"
echo "demo done; the data is in $DATA_DIR (try: bash tools/run.sh account show demo.collector)"
