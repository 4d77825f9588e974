#!/usr/bin/env bash
# Starts an action server of its own (on CHAT_ACTION_PORT, so that it runs
# beside `make serve`) and opens `rasa shell` for staff. Staff conversations go
# to STAFF_TRACKER_STORE_URL, never to the patients' store. Leaving the shell
# (/stop), Ctrl-C, or closing the terminal stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/conversations
# Every variable checked before anything starts.
.venv/bin/python -m runtime.settings
if [ -z "${ACTION_SERVER_SECRET:-}" ]; then
    ACTION_SERVER_SECRET="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
fi
export ACTION_SERVER_SECRET
# endpoints.yml sends the shell's action calls to ACTION_PORT: this run's own server.
export ACTION_PORT="${CHAT_ACTION_PORT:-5056}"
SANIC_HOST="${ACTION_HOST:-127.0.0.1}" .venv/bin/python -m rasa_sdk --actions actions --port "$ACTION_PORT" \
    > build/action-server.log 2>&1 &
actions_pid=$!
shell_pid=
stop() {
    trap - EXIT HUP INT TERM
    kill "$actions_pid" ${shell_pid:+"$shell_pid"} 2>/dev/null || true
    wait 2>/dev/null || true
}
trap stop EXIT
# A script's background commands ignore Ctrl-C, and nothing passes a closed
# terminal's SIGHUP on to them: stop both here.
trap 'stop; exit 129' HUP
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
scripts/wait-for-http.sh "http://127.0.0.1:$ACTION_PORT/health" 60 "$actions_pid" build/action-server.log
# In the background, so that the traps above run at once; the terminal stays its input.
TRACKER_STORE_URL="$STAFF_TRACKER_STORE_URL" .venv/bin/python -m channels.server shell \
    --model models/leg-cramps.tar.gz --endpoints endpoints.yml --interface 127.0.0.1 --port "$CHAT_PORT" <&0 &
shell_pid=$!
wait "$shell_pid"
