#!/usr/bin/env bash
# make safety-report: start a private action server and Rasa server (own ports, a throw-away
# SQLite tracker store, the HTTP API behind a random token), play the safety sets against them
# (python -m bot safety-report), then stop them. Figures and plot in results/safety/.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_PORT="${SAFETY_RASA_PORT:-5095}" ACTION_PORT="${SAFETY_ACTION_PORT:-5097}"
export ACTION_ENDPOINT_URL="http://127.0.0.1:${ACTION_PORT}/webhook"
workdir=$(mktemp -d)
export TRACKER_DB_URL="sqlite:///${workdir}/tracker.db" RECORDS_DB_URL="sqlite:///${workdir}/tracker.db"
source scripts/env.sh
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"
token=$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$workdir"
}
trap stop INT TERM EXIT

.venv/bin/python -m alembic upgrade head >/dev/null
echo "==> starting a private action server (port ${ACTION_PORT}) and Rasa server (port ${RASA_PORT})"
.venv/bin/python -m rasa_sdk --actions actions --port "$ACTION_PORT" >"$workdir/actions.log" 2>&1 &
pids+=($!)
RASA_API_TOKEN="$token" .venv/bin/python -m bot.channels.serve --model models/triage.tar.gz \
  --interface 127.0.0.1 --port "$RASA_PORT" --endpoints endpoints.yml \
  --credentials credentials.yml >"$workdir/rasa.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "error: a server exited during start-up:" >&2; tail -20 "$workdir"/*.log >&2; exit 1; }
  done
  if http_up "http://127.0.0.1:${RASA_PORT}/" && http_up "http://127.0.0.1:${ACTION_PORT}/health"; then break; fi
  sleep 1
done
echo "==> playing the safety sets (about 3 minutes)"
RASA_API_TOKEN="$token" .venv/bin/python -m bot safety-report --url "http://127.0.0.1:${RASA_PORT}" "$@"
