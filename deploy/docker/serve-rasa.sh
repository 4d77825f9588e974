#!/bin/sh
# The Rasa server in its container: what scripts/serve.sh runs for the Rasa
# server, with deploy/endpoints.yml (the action server at ACTION_SERVER_URL).
# RASA_HOST: 0.0.0.0 in a pod or a compose network; 127.0.0.1 with host
# networking. The token (RASA_AUTH_TOKEN) is read from the environment only.
set -eu
# A variable that cannot work, or a missing or outdated knowledge base (the
# knowledge-base job has not run yet: the orchestrator restarts this container),
# stops here, naming what to do.
python -m runtime.settings
python -m knowledge_base ready
# The public server refuses larger bodies (413) before parsing them.
export SANIC_REQUEST_MAX_SIZE="${SANIC_REQUEST_MAX_SIZE:-65536}"
# RASA_CORS_ORIGINS is space-separated; one --cors option with each origin.
# shellcheck disable=SC2086
set -- ${RASA_CORS_ORIGINS:+--cors $RASA_CORS_ORIGINS}
exec python -m channels.server --interface "${RASA_HOST:-0.0.0.0}" --port "${RASA_PORT:-5005}" \
    --model models/leg-cramps.tar.gz --credentials credentials.yml --endpoints deploy/endpoints.yml "$@"
