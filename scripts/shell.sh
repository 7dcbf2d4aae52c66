#!/usr/bin/env bash
# Support staff: talk to the bot in the terminal (action server in the background).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
[ -f models/triage.tar.gz ] || { echo "error: no trained model (run: make train)" >&2; exit 1; }
.venv/bin/rasa run actions --actions actions --port "$ACTION_PORT" >var/actions-shell.log 2>&1 &
actions=$!
trap 'kill $actions 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:${ACTION_PORT}/health" >/dev/null 2>&1 && break
  sleep 1
done
echo "==> action server up (log: var/actions-shell.log); type /stop to leave"
.venv/bin/rasa shell --model models/triage.tar.gz --endpoints endpoints.yml
