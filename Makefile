# make run   - set up, train if needed, start the bot (action server + Rasa server)
# make test  - set up, train if needed, run every test (this is what CI runs)
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
MODEL   := models/triage.tar.gz
NLP     := build/spacy_model/patterns.sha256
STAMP   := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

export PYTHONPATH := $(CURDIR)
# Keep TensorFlow's start-up chatter and Rasa's telemetry out of the way.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export RASA_TELEMETRY_ENABLED ?= false
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1

# The custom NLU components are part of the model: a change to them retrains it too.
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(NLP) \
                $(wildcard bot/language/components/*.py) bot/rasa_patches/training.py

.PHONY: help install system-deps web build-nlp train migrate run shell test unit validate nlu-report safety-report diagram lock clean

help:
	@echo "make run     start the bot (installs and trains when needed)"
	@echo "make test    run every test (what CI runs)"
	@echo "make shell   talk to the bot in the terminal"
	@echo "make train   train the model if data or config changed"
	@echo "make migrate apply database migrations"
	@echo "make nlu-report  5-fold cross-validation and held-out NLU scores, with plots"
	@echo "make safety-report  triage of the vignettes and the held-out messages (about 4 minutes)"
	@echo "make bench   speed, cost and quality against Rasa's stock bot (about 13 minutes)"
	@echo "make cluster / cluster-stop   two Rasa and two action servers behind nginx"
	@echo "make reliability  load, faults and hostile input against a cluster (CI runs it)"
	@echo "make soak    20 people for 30 minutes against a cluster: memory, errors, p95 (SOAK_MINUTES)"
	@echo "make backup / restore FILE=...  archive the conversations and records / put them back"
	@echo "make audit   known advisories of the pinned packages (needs the internet)"
	@echo "make diagram render docs/architecture/architecture.dot (Graphviz) to PNG and SVG"
	@echo "make clean   remove the venv, models, caches and build output"

install: $(STAMP)

$(STAMP): requirements.txt
	@python=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ] || [ "$$($(PY) -c 'import sys;print(sys.version_info[:2]==(3,10))')" != True ]; then \
	  echo "==> creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV) || exit 1; \
	fi
	@echo "==> installing pinned dependencies (first time: about 3 minutes)"
	$(PY) -m pip install --disable-pip-version-check --upgrade "pip<25" >/dev/null
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*; touch $@

# Debian's chromium (browser tests) and nginx (make cluster), when missing.
system-deps:
	@scripts/install_system_packages.sh

# The chat widget: rasa-webchat from npm, pinned by web/package-lock.json, served by the
# project itself (scripts/serve.sh), never from a CDN.
web: web/node_modules/.installed

web/node_modules/.installed: web/package-lock.json
	@command -v npm >/dev/null || { echo "error: npm (Node.js 18+) is needed for the chat widget" >&2; exit 1; }
	@echo "==> installing the chat widget (rasa-webchat from npm, about 30 s)"
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build-nlp: $(NLP)

$(NLP): $(STAMP) $(wildcard data/patterns/*.yml) $(wildcard bot/language/*.py) \
        data/context/patient_rules.json data/safety/screens.yml
	@echo "==> building the spaCy pipeline"
	$(PY) -m bot.language.build --patterns data/patterns --out build/spacy_model
	@touch $@

train: $(MODEL)

# bot/staff/retrain.py chooses from what changed: Rasa's cache in .rasa/ alone (only responses,
# rules or stories) or a full training (anything else, or no previous model: a clean clone,
# CI). FULL=1 forces a full training; FINETUNE=1 fine-tunes after new NLU examples (a draft).
$(MODEL): $(STAMP) $(TRAIN_INPUTS)
	@$(PY) -m bot.staff.retrain --model $(MODEL) $(if $(FULL),--full) $(if $(FINETUNE),--finetune)
	@touch $@

migrate: $(STAMP)
	@echo "==> applying database migrations (triage records)"
	@source scripts/env.sh && $(PY) -m alembic upgrade head

run: $(MODEL) migrate web
	@scripts/serve.sh

shell: $(MODEL) migrate
	@mkdir -p var && scripts/shell.sh

validate: $(STAMP)
	@echo "==> validating domain, data and config"
	$(PY) scripts/validate_project.py

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

# The load and fault tests have their own target (make reliability); CI runs both.
test: $(MODEL) validate system-deps web
	$(PY) -m pytest tests -q --ignore=tests/reliability

nlu-report: $(MODEL)
	@echo "==> 5-fold cross-validation of the NLU on data/ (nlu and responses) (trains 5 times: about 8 minutes)"
	$(RASA) test nlu --nlu data --config config.yml --cross-validation --folds 5 \
	  --out results/nlu-cv
	@echo "==> held-out test set"
	$(RASA) test nlu --nlu tests/nlu/test_nlu.yml --model $(MODEL) --out results/nlu --successes
	$(PY) -m bot.staff.nlu_quality results/nlu results/nlu-cv
	@echo "==> reports and images in results/nlu-cv/ and results/nlu/"

# Emergency sensitivity, safety, accuracy and red-flag recall on the vignettes and the held-out
# messages (bot/staff/safety_report.py); last line one JSON object; plot in results/safety/,
# copied to docs/safety-report.png for the README.
safety-report: $(MODEL)
	@scripts/safety_report.sh --copy-plot docs/safety-report.png

# The architecture diagram is drawn from text (docs/architecture/architecture.dot); the images
# are committed beside it, with the source's hash so that a test notices a stale rendering.
DIAGRAM := docs/architecture/architecture

diagram: $(DIAGRAM).png

$(DIAGRAM).png: $(DIAGRAM).dot
	@command -v dot >/dev/null || { echo "error: Graphviz's dot is needed: apt-get install graphviz" >&2; exit 1; }
	@echo "==> rendering $<"
	dot -Tpng -Gdpi=100 $< -o $@
	dot -Tsvg $< -o $(DIAGRAM).svg
	sha256sum $< | cut -c1-64 > $(DIAGRAM).dot.sha256

lock:
	@echo "==> re-locking: a fresh venv from requirements.in, then pip freeze"
	rm -rf /tmp/triage-lock && "$$(scripts/find_python.sh)" -m venv /tmp/triage-lock
	/tmp/triage-lock/bin/pip install -r requirements.in
	( echo "# Generated from requirements.in by 'make lock' (pip freeze of a fresh Python 3.10 venv)."; \
	  echo "# Every package of the tree pinned exactly, so a fresh install gives the same versions."; \
	  /tmp/triage-lock/bin/pip freeze ) > requirements.txt

clean:
	rm -rf $(VENV) models build .rasa results var .pytest_cache

# Benchmarks (make bench) and the multi-instance set-up (make cluster, make reliability).
-include mk/*.mk
