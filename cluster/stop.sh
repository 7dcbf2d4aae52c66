#!/usr/bin/env bash
# make cluster-stop: stop what make cluster started, by the process ids it recorded.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python cluster/control.py stop
