#!/usr/bin/env bash
# Support staff: talk to the bot in the terminal (action server in the background).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# Library deprecation notices at start-up say nothing to someone running the bot.
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
[ -f models/triage.tar.gz ] || { echo "error: no trained model (run: make train)" >&2; exit 1; }
health="http://127.0.0.1:${ACTION_PORT}/health"
if http_up "$health"; then
  echo "==> using the action server already running on port ${ACTION_PORT} (make run)"
else
  .venv/bin/python -m rasa_sdk --actions actions --port "$ACTION_PORT" >var/actions-shell.log 2>&1 &
  actions=$!
  trap 'kill $actions 2>/dev/null || true' EXIT INT TERM
  for _ in $(seq 1 60); do
    http_up "$health" && break
    kill -0 "$actions" 2>/dev/null || { echo "error: the action server failed (var/actions-shell.log)" >&2; exit 1; }
    sleep 1
  done
  echo "==> action server up (log: var/actions-shell.log)"
fi
# The shell runs its own Rasa server, on a port of its own so that it works beside make run.
: "${SHELL_PORT:=5006}"
echo "==> type a message; pick a button with the arrow keys and Enter;"
echo "    /restart starts a fresh conversation, /stop leaves"
.venv/bin/rasa shell --model models/triage.tar.gz --endpoints endpoints.yml --port "$SHELL_PORT"
