# The multi-instance set-up and its load, fault and fuzz tests (README.md, "Running several servers").
.PHONY: cluster cluster-stop cluster-status reliability audit model-locked

# The model, trained only under the training lock (another make may be training it).
model-locked: $(STAMP)
	@flock /tmp/triage-train.lock $(MAKE) --no-print-directory train

cluster: system-deps model-locked
	@cluster/start.sh

cluster-stop:
	@cluster/stop.sh

cluster-status:
	@$(PY) cluster/control.py status

# Load, faults and fuzzing against a cluster of its own (own ports, own databases); the last
# line printed is one JSON object with the figures. Restarts the local PostgreSQL once.
reliability: system-deps model-locked
	@mkdir -p var/reliability; rm -f var/reliability/summary.json
	@start=$$(date +%s); \
	timeout 900 $(PY) -m pytest tests/reliability -q -s -W ignore -p no:cacheprovider; status=$$?; \
	echo "==> reliability tests finished in $$(( $$(date +%s) - start )) s (exit $$status)"; \
	$(PY) tests/reliability/summary.py var/reliability/summary.json; exit $$status

# Known advisories in the pinned dependencies. Needs PyPI's advisory data (pypi.org JSON API);
# --strict fails when a package could not be checked, so "nothing found" means checked.
# Not part of make test: the advisory source is unreachable on some machines.
AUDIT_VENV := var/audit-venv
audit: requirements-audit.txt
	@[ -x $(AUDIT_VENV)/bin/pip-audit ] || { python3 -m venv $(AUDIT_VENV) && \
	  $(AUDIT_VENV)/bin/pip install -q --disable-pip-version-check -r requirements-audit.txt; }
	$(AUDIT_VENV)/bin/pip-audit --requirement requirements.txt --no-deps --disable-pip \
	  --progress-spinner off --desc on --strict
