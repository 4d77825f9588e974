#!/usr/bin/env bash
# Runs the action server and the Rasa server (REST, socket.io, and Slack and
# Telegram when their variables are set) on localhost in the foreground.
# Ctrl-C (or SIGTERM) stops both.
# The HTTP API is enabled only when RASA_AUTH_TOKEN is set, and then needs it
# (channels.server reads it from the environment: never on a command line).
# REST has its own token, RASA_REST_TOKEN, required when RASA_HOST is beyond
# loopback (channels/rest.py); the settings check below refuses the start
# without it, or with either token set but empty.
# Browsers may call it only from RASA_CORS_ORIGINS (space-separated).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/conversations
# The public Rasa server refuses a larger request body (413) before parsing it.
# The limit is for what the public sends: the action server receives what the
# Rasa server sends it (bounded by rasa_adapter.action_calls), so it never gets it.
request_max_size="${SANIC_REQUEST_MAX_SIZE:-65536}"
unset SANIC_REQUEST_MAX_SIZE
# Every variable checked, and a missing, empty or outdated knowledge base,
# stop here, saying how to fix it.
.venv/bin/python -m runtime.settings
.venv/bin/python -m knowledge_base ready
# Only the Rasa server may run actions: it sends this secret (endpoints.yml),
# the action server requires it (rasa_sdk_plugins). One per run unless set.
if [ -z "${ACTION_SERVER_SECRET:-}" ]; then
    ACTION_SERVER_SECRET="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
fi
export ACTION_SERVER_SECRET
# Both servers listen on loopback unless RASA_HOST / ACTION_HOST say otherwise
# (rasa_sdk reads SANIC_HOST; it would listen on every interface).
SANIC_HOST="${ACTION_HOST:-127.0.0.1}" .venv/bin/python -m rasa_sdk --actions actions --port "$ACTION_PORT" &
actions_pid=$!
options=()
if [ -n "${RASA_CORS_ORIGINS:-}" ]; then
    read -ra origins <<< "$RASA_CORS_ORIGINS"
    options+=(--cors "${origins[@]}")
fi
SANIC_REQUEST_MAX_SIZE="$request_max_size" .venv/bin/python -m channels.server --interface "${RASA_HOST:-127.0.0.1}" --port "$RASA_PORT" --model models/leg-cramps.tar.gz \
    --credentials credentials.yml --endpoints endpoints.yml "${options[@]}" &
rasa_pid=$!
stop() { kill "$actions_pid" "$rasa_pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM
# Whichever stops first (or Ctrl-C) stops the other.
wait -n "$actions_pid" "$rasa_pid"
