# Defaults for the settings the servers read (sourced by serve.sh and the tests' fixtures).
# Any of them can be set in the environment instead; see README.md "Configuration".
# The health system the replies speak of (uk, eu, us, au: bot/settings.py); EMERGENCY_NUMBER,
# when set, replaces its emergency number.
: "${REGION:=eu}"
: "${RASA_PORT:=5005}"
: "${ACTION_PORT:=5055}"
: "${ACTION_ENDPOINT_URL:=http://127.0.0.1:${ACTION_PORT}/webhook}"
# Tracker store: an SQLite file by default; any SQLAlchemy URL, e.g.
# postgresql://user:password@127.0.0.1:5432/rasa, selects another database.
: "${TRACKER_DB_URL:=sqlite:///var/tracker.db}"
TRACKER_DB_DIALECT="${TRACKER_DB_URL%%:*}"
TRACKER_DB_DIALECT="${TRACKER_DB_DIALECT%%+*}"
TRACKER_DB_NAME="${TRACKER_DB_URL##*/}"
# The chat widget's page (bot/web/server.py) and the origins allowed to talk to the bot from a
# browser (comma-separated; the widget page's own origin by default).
: "${WIDGET_PORT:=8080}"
# The staff console (python -m bot.console; README "The staff console").
: "${CONSOLE_PORT:=8090}"
: "${CORS_ORIGINS:=http://localhost:${WIDGET_PORT},http://127.0.0.1:${WIDGET_PORT}}"
# Telegram (credentials.yml): off while TELEGRAM_TOKEN is empty.
: "${TELEGRAM_TOKEN:=}" "${TELEGRAM_BOT_NAME:=}" "${TELEGRAM_WEBHOOK_URL:=}"
: "${TELEGRAM_API_URL:=https://api.telegram.org}" "${TELEGRAM_WEBHOOK_SECRET:=}"
export REGION EMERGENCY_NUMBER RASA_PORT ACTION_PORT ACTION_ENDPOINT_URL WIDGET_PORT CORS_ORIGINS
export CONSOLE_PORT
# The REST webhook (bot/channels/auth.py): open on a server that listens on a loopback address
# only (make run on this machine, as the README's curl example uses it); anywhere else it
# needs REST_TOKEN or a JWT signed with REST_JWT_SECRET.
case "${RASA_INTERFACE:-127.0.0.1}" in
  127.*|localhost|::1) : "${REST_AUTH:=open}" ;;
  *) : "${REST_AUTH:=token}" ;;
esac
export REST_AUTH
export TELEGRAM_TOKEN TELEGRAM_BOT_NAME TELEGRAM_WEBHOOK_URL TELEGRAM_API_URL TELEGRAM_WEBHOOK_SECRET
export TRACKER_DB_URL TRACKER_DB_DIALECT TRACKER_DB_NAME
# TensorFlow's thread pools, one thread each: this bot's models are small, and on 2 cores the
# other threads of a pool only compete with the next message (measured by hand, two A/B rounds
# of 208 messages: Rasa server CPU per message 27.9 and 30.6 ms -> 26.4 and 26.0 ms).
: "${TF_INTRA_OP_PARALLELISM_THREADS:=1}" "${TF_INTER_OP_PARALLELISM_THREADS:=1}"
export TF_INTRA_OP_PARALLELISM_THREADS TF_INTER_OP_PARALLELISM_THREADS

# True when a local URL answers (used while waiting for the servers; needs no curl).
http_up() { .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; }
