#!/usr/bin/env bash
# Start the action server and the Rasa server; Ctrl-C stops both.
# Rasa's REST channel listens on 127.0.0.1:5005 (RASA_HOST / RASA_PORT to change);
# WeChat / Weibo / signed-webhook channels are added when their variables are set.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${RASA_HOST:-127.0.0.1}
PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
mkdir -p var
$PY -m bot.channels.config --write var/credentials.yml

pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

$PY -m rasa_sdk --actions actions --port "$ACTIONS_PORT" &
pids+=($!)
# Sanic refuses larger bodies (413) from the Content-Length, before reading them;
# the channels keep their own 64 KiB check (Sanic's default is 100 MB).
export SANIC_REQUEST_MAX_SIZE="${SANIC_REQUEST_MAX_SIZE:-1048576}"
# --enable-api: the desk resumes a conversation after a handoff through Rasa's HTTP API
# (POST /conversations/{id}/tracker/events); set RASA_API_TOKEN to require a token.
api_args=(--enable-api)
if [[ -n "${RASA_API_TOKEN:-}" ]]; then api_args+=(--auth-token "$RASA_API_TOKEN"); fi
# `python -m bot.rasa` is Rasa's CLI with our plug-in installed (bot/rasa/plugin.py).
$PY -m bot.rasa run --model models --credentials var/credentials.yml --endpoints endpoints.yml \
  --interface "$HOST" --port "$PORT" "${api_args[@]}" "$@" &
pids+=($!)
if [[ -n "${CASE_NOTIFY_URLS:-}" ]]; then
  $PY -m bot.notifier &   # delivers new-case notifications from the outbox
  pids+=($!)
fi
export RASA_URL=${RASA_URL:-http://$HOST:$PORT}
$PY -m bot desk &   # the staff web desk, same database
pids+=($!)
echo "PPA 服务台 desk: http://${PPA_DESK_HOST:-127.0.0.1}:${PPA_DESK_PORT:-5080}/"
echo "  first account: .venv/bin/python -m bot staff add NAME --role supervisor  (password on stdin)"
echo "PPA 智能客服: REST webhook http://$HOST:$PORT/webhooks/rest/webhook (Ctrl-C to stop)"
wait -n "${pids[@]}"
