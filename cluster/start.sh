#!/usr/bin/env bash
# make cluster: two Rasa servers, two action servers, nginx in front (cluster/control.py).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python cluster/control.py start
