#!/bin/sh
# The action server in its container, as scripts/serve.sh starts it. Beyond
# loopback (ACTION_HOST, 0.0.0.0 by default here) it refuses to start without
# ACTION_SERVER_SECRET (rasa_sdk_plugins).
set -eu
# SANIC_REQUEST_MAX_SIZE is the public Rasa server's limit (64 KiB). Sanic
# reads it from the environment in every server, so an env file or ConfigMap
# shared with the Rasa server would cap what the action server receives (the
# Rasa server's calls, bounded by rasa_adapter.action_calls) at 64 KiB too.
unset SANIC_REQUEST_MAX_SIZE
python -m runtime.settings
python -m knowledge_base ready
export SANIC_HOST="${ACTION_HOST:-0.0.0.0}"
exec python -m rasa_sdk --actions actions --port "${ACTION_PORT:-5055}"
