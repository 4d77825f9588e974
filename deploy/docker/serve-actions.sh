#!/bin/sh
# The action server in its container, as scripts/serve.sh starts it. Beyond
# loopback (ACTION_HOST, 0.0.0.0 by default here) it refuses to start without
# ACTION_SERVER_SECRET (rasa_sdk_plugins).
set -eu
python -m runtime.settings
python -m knowledge_base ready
export SANIC_HOST="${ACTION_HOST:-0.0.0.0}"
exec python -m rasa_sdk --actions actions --port "${ACTION_PORT:-5055}"
