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
# The shell runs its own Rasa server, on a port of its own so that it works beside make run,
# on this machine only (its channel, like Rasa's, asks for no credentials).
: "${SHELL_PORT:=5006}"
# The conversation: a new one unless SHELL_CONVERSATION names one, so that a person can come
# back to it (a check-in that fell due is shown when they write again: bot/channels/shell.py).
if [ -z "${SHELL_CONVERSATION:-}" ]; then
  SHELL_CONVERSATION="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(6))')"
fi
if ! [[ "$SHELL_CONVERSATION" =~ ^[A-Za-z0-9._-]{1,64}$ ]]; then
  echo "error: SHELL_CONVERSATION must be 1 to 64 letters, digits, dots, dashes or underscores" >&2
  exit 2
fi
echo "==> conversation ${SHELL_CONVERSATION}; to come back to it later:"
echo "    make shell SHELL_CONVERSATION=${SHELL_CONVERSATION}"
echo "==> type a message; pick a button with the arrow keys and Enter;"
echo "    /restart starts a fresh conversation, /stop leaves"
.venv/bin/python -m bot.channels.shell --model models/triage.tar.gz --endpoints endpoints.yml \
  --port "$SHELL_PORT" --interface 127.0.0.1 --conversation-id "$SHELL_CONVERSATION"
