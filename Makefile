# Two commands on a fresh machine: `make demo` runs the product, `make test` the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint lock services-up services-down clean simulate bench

$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m devstack demo --profile demo

# Against a running `make demo`: a campaign like Amanda Palmer's replayed through the API.
# SIMULATE_ARGS="--backers 24883" for the whole story.
simulate: $(STAMP)
	$(PY) -m devstack run --profile demo -- $(PY) manage.py simulate_campaign $(SIMULATE_ARGS)

# By hand, not CI: every figure beside its baseline, written to var/bench/results.json.
bench: $(STAMP)
	$(PY) -m devstack run --profile test -- $(PY) bench/run.py $(BENCH_ARGS)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m devstack run --profile test -- $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Re-pin every dependency from requirements.in (needs the package index).
lock:
	$(PYTHON) -m venv var/lockenv && var/lockenv/bin/pip install --quiet -r requirements.in
	var/lockenv/bin/pip freeze --exclude-editable | LC_ALL=C sort > requirements.lock
	rm -rf var/lockenv

services-up: $(STAMP)
	$(PY) -m devstack up --profile demo

services-down: $(STAMP)
	$(PY) -m devstack down --profile demo
	$(PY) -m devstack down --profile test

clean: services-down
	rm -rf var $(VENV)
