#!/usr/bin/env bash
# Staff console: start the action server, then `rasa shell` (tracker in the same DB).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ACTIONS_PORT=${ACTIONS_PORT:-5055}
$PY -m rasa_sdk --actions actions --port "$ACTIONS_PORT" >var/action-server.log 2>&1 &
ACTIONS_PID=$!
trap 'kill -TERM $ACTIONS_PID 2>/dev/null || true; wait 2>/dev/null || true' INT TERM EXIT
# `python -m bot.rasa` is Rasa's CLI with our plug-in installed (bot/rasa/plugin.py).
$PY -m bot.rasa shell --model models --endpoints endpoints.yml "$@"
