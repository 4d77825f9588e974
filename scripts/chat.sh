#!/usr/bin/env bash
# Starts the action server in the background and opens `rasa shell` for staff.
# Staff conversations go to STAFF_TRACKER_STORE_URL, never to the patients'
# store. Leaving the shell stops the action server.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/conversations
if [ -z "${ACTION_SERVER_SECRET:-}" ]; then
    ACTION_SERVER_SECRET="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
fi
export ACTION_SERVER_SECRET
SANIC_HOST="${ACTION_HOST:-127.0.0.1}" .venv/bin/python -m rasa_sdk --actions actions --port "$ACTION_PORT" \
    > build/action-server.log 2>&1 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null || true; wait "$actions_pid" 2>/dev/null || true' EXIT
scripts/wait-for-http.sh "http://127.0.0.1:$ACTION_PORT/health" 60 "$actions_pid" build/action-server.log
TRACKER_STORE_URL="$STAFF_TRACKER_STORE_URL" .venv/bin/rasa shell --model models/leg-cramps.tar.gz \
    --endpoints endpoints.yml --interface 127.0.0.1 --port "$CHAT_PORT"
