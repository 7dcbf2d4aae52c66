#!/usr/bin/env bash
# Start the action server and the Rasa server together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# Library deprecation notices at start-up say nothing to someone running the bot.
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
RASA=.venv/bin/rasa
MODEL=${MODEL:-models/triage.tar.gz}

[ -f "$MODEL" ] || { echo "error: no trained model at $MODEL (run: make train)" >&2; exit 1; }
region_line=$(.venv/bin/python -c 'from bot import settings
r = settings.region(); print(f"{r.code} ({r.name}): emergency number {settings.emergency_number()}, {r.urgent_line}, {r.emergency_department}, {r.family_doctor}")') || exit 1
mkdir -p var

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "==> stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

echo "==> starting the action server on 127.0.0.1:${ACTION_PORT}"
# The action server with /health (its database) and /metrics (bot/operations/action_server.py).
.venv/bin/python -m bot.operations.action_server --actions actions --port "$ACTION_PORT" &
pids+=($!)
echo "==> starting the Rasa server on port ${RASA_PORT} (model $MODEL)"
IFS=, read -r -a origins <<< "$CORS_ORIGINS"
# Rasa's HTTP API (trackers, model, events) only with authentication: bot.channels.serve turns it
# on when RASA_API_TOKEN or RASA_JWT_SECRET (or their _FILE variants) is set, and hands the
# secret to Rasa inside the process, so that it never shows in the process list.
.venv/bin/python -m bot.channels.serve --model "$MODEL" --interface "${RASA_INTERFACE:-127.0.0.1}" \
  --port "$RASA_PORT" --endpoints endpoints.yml --credentials credentials.yml --cors "${origins[@]}" &
pids+=($!)
echo "==> starting the chat widget's page on port ${WIDGET_PORT}"
.venv/bin/python -m bot.web --port "$WIDGET_PORT" &
pids+=($!)
echo "==> starting the staff console on port ${CONSOLE_PORT}"
.venv/bin/python -m bot.console --port "$CONSOLE_PORT" &
pids+=($!)

ready=""
for _ in $(seq 1 180); do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "error: a server exited during start-up (see its output above)" >&2; exit 1; }
  done
  if http_up "http://127.0.0.1:${RASA_PORT}/" && http_up "http://127.0.0.1:${ACTION_PORT}/health" \
     && http_up "http://127.0.0.1:${WIDGET_PORT}/health" \
     && http_up "http://127.0.0.1:${CONSOLE_PORT}/health"; then ready=1; break; fi
  sleep 1
done
[ -n "$ready" ] || { echo "error: the servers did not answer within 180 s" >&2; exit 1; }
console_hint=$(.venv/bin/python -c 'from bot.console.__main__ import first_run_hint; print(first_run_hint())') || true
cat <<MSG

  The bot is ready.
  Chat widget: http://localhost:${WIDGET_PORT}/
  REST:    curl -s -XPOST http://localhost:${RASA_PORT}/webhooks/rest/webhook \\
             -d '{"sender": "me", "message": "hi"}'
  Shell:   in another terminal, make shell (it uses this action server)
  Staff console: http://localhost:${CONSOLE_PORT}/
${console_hint}
  Health system in replies: REGION=${region_line} (set REGION or EMERGENCY_NUMBER to change it)
  Press Ctrl-C to stop the servers.

MSG
wait -n "${pids[@]}"
