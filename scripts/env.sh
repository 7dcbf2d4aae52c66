# Defaults for the settings the servers read (sourced by serve.sh and the tests' fixtures).
# Any of them can be set in the environment instead; see README.md "Configuration".
: "${EMERGENCY_NUMBER:=112}"
: "${RASA_PORT:=5005}"
: "${ACTION_PORT:=5055}"
: "${ACTION_ENDPOINT_URL:=http://127.0.0.1:${ACTION_PORT}/webhook}"
# Tracker store: an SQLite file by default; any SQLAlchemy URL, e.g.
# postgresql://user:password@127.0.0.1:5432/rasa, selects another database.
: "${TRACKER_DB_URL:=sqlite:///var/tracker.db}"
TRACKER_DB_DIALECT="${TRACKER_DB_URL%%:*}"
TRACKER_DB_DIALECT="${TRACKER_DB_DIALECT%%+*}"
TRACKER_DB_NAME="${TRACKER_DB_URL##*/}"
export EMERGENCY_NUMBER RASA_PORT ACTION_PORT ACTION_ENDPOINT_URL
export TRACKER_DB_URL TRACKER_DB_DIALECT TRACKER_DB_NAME

# True when a local URL answers (used while waiting for the servers; needs no curl).
http_up() { .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; }
