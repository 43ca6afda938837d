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
#
# It is offline end to end: the Instagram steps talk to igsim, the simulator
# built with the project (tools/igsim), started on free loopback ports and
# stopped when the script exits, whatever the outcome.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bash "$ROOT/tools/setup.sh"
bash "$ROOT/tools/build.sh" dev
GRAMKIT="$ROOT/build/dev/examples/cli/gramkit"
IGSIM="$ROOT/build/dev/tools/igsim/igsim"

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
# data dir (checked at the end).
DEMO_PASSWORD="demo-pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
PROXY_PASSWORD="proxy-pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
COOKIE_VALUE="DEMO0000%3Afake-session-value-not-real%3A0"  # from demo-cookies.json

log=$(mktemp)
IGSIM_ACCOUNTS=""
IGSIM_PID=""
cleanup() {
    if [ -n "$IGSIM_PID" ]; then
        kill -TERM "$IGSIM_PID" 2>/dev/null || true
        wait "$IGSIM_PID" 2>/dev/null || true
    fi
    if [ -n "$IGSIM_ACCOUNTS" ]; then rm -f -- "$IGSIM_ACCOUNTS"; fi
    rm -f -- "$log"
}
trap cleanup EXIT
# A Ctrl-C or kill ends the script through the EXIT trap, so igsim goes too.
trap 'exit 130' INT
trap 'exit 143' TERM

# igsim: the bot account demo.collector may log in with the demo password.
# The accounts file holds that password in plain text, so it is private to
# this user (mktemp makes it 0600; the chmod says so before anything is
# written) and deleted as soon as igsim has read it.
IGSIM_ACCOUNTS=$(mktemp)
chmod 600 "$IGSIM_ACCOUNTS"
printf '[{"username": "demo.collector", "password": "%s", "outcome": "ok"}]\n' "$DEMO_PASSWORD" >"$IGSIM_ACCOUNTS"
IGSIM_CERT="$DATA_DIR/igsim-cert.pem"
IGSIM_LOG="$DATA_DIR/igsim.log"
IGSIM_ARGS=(--port 0 --cert-out "$IGSIM_CERT" --seed 7 --users 5 --posts-per-user 20)
"$IGSIM" "${IGSIM_ARGS[@]}" --accounts "$IGSIM_ACCOUNTS" >"$IGSIM_LOG" 2>&1 &
IGSIM_PID=$!
ready=""
for _ in $(seq 100); do
    ready=$(grep -m1 '^igsim listening ' "$IGSIM_LOG" || true)
    [ -n "$ready" ] && break
    if ! kill -0 "$IGSIM_PID" 2>/dev/null; then
        cat "$IGSIM_LOG" >&2
        echo "run.sh: igsim exited before it was ready" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$ready" ]; then
    echo "run.sh: igsim was not ready after 10 s" >&2
    exit 1
fi
rm -f -- "$IGSIM_ACCOUNTS"
IGSIM_URL="https://127.0.0.1:$(sed -n 's/.* https=127\.0\.0\.1:\([0-9]*\).*/\1/p' <<<"$ready")"
# The first public user and the first hashtag of the generated world, read
# from igsim's admin API over HTTPS with its certificate (never through a
# proxy from the environment).
read -r IG_USER IG_TAG < <(python3 - "$IGSIM_URL/__igsim/world" "$IGSIM_CERT" <<'PY'
import json, ssl, sys, urllib.request
url, cafile = sys.argv[1], sys.argv[2]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                     urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=cafile)))
with opener.open(url, timeout=10) as answer:
    world = json.load(answer)
user = next(u["username"] for u in world["users"] if not u["is_private"])
print(user, world["hashtags"][0]["name"])
PY
) || true
if [ -z "${IG_USER:-}" ] || [ -z "${IG_TAG:-}" ]; then
    echo "run.sh: could not read a public user and a hashtag from $IGSIM_URL/__igsim/world" >&2
    exit 1
fi

# An `ig` step against igsim (trusting its certificate).
ig_step() {
    step --instagram-url "$IGSIM_URL" --ca-file "$IGSIM_CERT" ig "$@"
}

demo() {
    echo "gramkit demo in $DATA_DIR"
    show igsim "${IGSIM_ARGS[@]}" --accounts '<temporary 0600 file, deleted once read>'
    echo "$ready"
    echo "# the simulated world's first public user is $IG_USER, its first hashtag #$IG_TAG"
    step_with_stdin "$DEMO_PASSWORD" "echo '<password>'" \
        account add demo.collector --email demo@example.com --label demo --label batch-1
    # The Instagram steps come before any proxy exists: on first use the
    # engine gives an account the least loaded proxy with room, and the demo
    # proxies (example.net) do not exist. Without a proxy it goes direct.
    ig_step login demo.collector
    ig_step profile demo.collector "$IG_USER"
    ig_step posts demo.collector "$IG_USER" --limit 15
    ig_step hashtag demo.collector "$IG_TAG"
    # A scraping task: runs as a durable job on the worker pool started in
    # the foreground, printing its pages as they are committed.
    step --instagram-url "$IGSIM_URL" --ca-file "$IGSIM_CERT" scrape hashtag "$IG_TAG" --max 20
    step scrape list
    step proxy add "http://proxy.example.net:3128" --max-accounts 2
    step_with_stdin "socks5://demo:$PROXY_PASSWORD@socks.example.net:1080" \
        "echo 'socks5://demo:<password>@socks.example.net:1080'" proxy add --stdin
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

demo 2>&1 | tee "$log"

echo
leaked=0
if [ -e "$IGSIM_ACCOUNTS" ]; then
    echo "run.sh: the igsim accounts file $IGSIM_ACCOUNTS was not deleted" >&2
    leaked=1
fi
for secret in "$DEMO_PASSWORD" "$PROXY_PASSWORD" "$COOKIE_VALUE"; do
    if grep -qF -- "$secret" "$log"; then
        echo "run.sh: a demo secret appeared in the output" >&2
        leaked=1
    fi
    # Every file of the data dir: the database (and its journal), the key
    # file, igsim's certificate and log.
    for f in "$DATA_DIR"/* "$DATA_DIR"/.[!.]*; do
        [ -f "$f" ] || continue
        if grep -qaF -- "$secret" "$f"; then
            echo "run.sh: a demo secret is stored in plain text in $f" >&2
            leaked=1
        fi
    done
done
[ "$leaked" = 0 ] || exit 1
echo "checked: the demo password, proxy password and cookie value appear neither in the output above nor in plain text in any file of $DATA_DIR (database, keys, igsim log), and the igsim accounts file is gone"
echo "demo done; the data is in $DATA_DIR (try: bash tools/run.sh account show demo.collector)"
