# Two commands on a fresh machine: `make demo` runs the product, `make test` every check and the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python caches compiled modules (__pycache__, ignored by git) even where the environment says
# not to: the suite starts dozens of Python processes (workers, servers, settings checks), and
# without the cache each compiled the project's modules again, seconds of CPU apiece.
unexport PYTHONDONTWRITEBYTECODE
# Settings Django can load with no service running (nothing connects): for manage.py's offline
# commands (make messages) and mypy's django plugin, which imports config.settings.
OFFLINE_ENV := PLEDGEBOARD_PROFILE=offline DATABASE_URL=postgres://unused@127.0.0.1:1/unused REDIS_URL=redis://127.0.0.1:1/0
# Types (pyproject.toml [tool.mypy]: strict for core and every services and selectors module).
MYPY := $(OFFLINE_ENV) $(PY) -m mypy

.PHONY: demo test fuzz audit lint docs lock services-up services-down clean chromium simulate bench messages screenshots

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


# The browser tests drive Debian's Chromium, headless: its package chromium-headless-shell (the
# same build without the full browser's window machinery; a third less CPU than /usr/bin/chromium).
# Playwright cannot download its own here. Installed when missing; if it cannot be, the browser
# tests fail: they are never skipped. (`--headed`, to watch a test, needs Debian's `chromium`.)
CHROMIUM := /usr/bin/chromium-headless-shell

chromium:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium-headless-shell for the browser tests"; \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium-headless-shell \
		|| echo "Could not install chromium-headless-shell: the browser tests will fail"; }

# Every check, then the suite in TEST_PROCESSES processes (pytest-xdist; each with a database,
# a Redis database and a localstripe of its own: tests/parallel.py), the 20 slowest printed.
# --dist loadfile keeps a module's tests (and its module fixtures) in one process; modules are handed
# out in collection order (tests/conftest.py puts modules that wait beside busy ones first, then
# the long ones), not largest first.
# Three processes on two cores: many tests wait (on a browser, a worker, the clock), and a third
# process uses the core a waiting one leaves idle (docs/development.md, "How long it takes").
TEST_PROCESSES ?= 3
test: $(STAMP) chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(MYPY)
	$(PY) -m devstack.audit
	$(MKDOCS) build --strict --quiet
	$(PY) -m devstack run --profile test -- $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder --durations=20 $(PYTEST_ARGS)

# The documentation site (docs/, mkdocs.yml) into var/site; make test builds it with --strict.
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs
docs: $(STAMP)
	$(MKDOCS) build --strict
	@echo "Open var/site/index.html"

# By hand, not in CI: each figure beside its baseline measured in the same run (var/bench/results.json).
bench: $(STAMP)
	$(PY) -m devstack run --profile test -- $(PY) bench/run.py $(BENCH_ARGS)

# The browser tests alone, with every checked page screenshotted at desktop and phone width into
# var/screenshots/ (make test skips the screenshots, not the tests).
screenshots: $(STAMP) chromium
	SCREENSHOTS=1 $(PY) -m devstack run --profile test -- $(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile -m browser $(PYTEST_ARGS)

# The long fuzzing run (make test runs the same tests with 3 examples per operation and caller).
FUZZ_EXAMPLES ?= 200
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m devstack run --profile test -- $(PY) -m pytest tests/fuzz -q

# For developers (needs GNU gettext): re-extract every marked string into locale/*/LC_MESSAGES/django.po,
# then compile the .mo files. Both are committed, so `make demo` and `make test` never need gettext;
# tests/i18n fails while a msgid has no translation or a .mo is older than its .po.
messages: $(STAMP)
	$(OFFLINE_ENV) $(PY) manage.py makemessages --locale de --no-obsolete --add-location file \
		--ignore .venv --ignore var --ignore tests --ignore bench --ignore devstack
	$(OFFLINE_ENV) $(PY) manage.py compilemessages --locale de --ignore .venv --ignore var

# Known vulnerabilities in requirements.lock (pip-audit); make test runs it too.
audit: $(STAMP)
	$(PY) -m devstack.audit

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(MYPY)

# Re-pin every dependency (needs the package index): requirements.lock from
# requirements-dev.in (.venv, tests), requirements-runtime.lock from requirements.in (the image),
# the second with the versions of the first.
lock:
	rm -rf var/lockenv var/runtimeenv
	$(PYTHON) -m venv var/lockenv && var/lockenv/bin/pip install --quiet -r requirements-dev.in
	var/lockenv/bin/pip freeze --exclude-editable | LC_ALL=C sort > requirements.lock
	$(PYTHON) -m venv var/runtimeenv && var/runtimeenv/bin/pip install --quiet -c requirements.lock -r requirements.in
	var/runtimeenv/bin/pip freeze --exclude-editable | LC_ALL=C sort > requirements-runtime.lock
	rm -rf var/lockenv var/runtimeenv

services-up: $(STAMP)
	$(PY) -m devstack up --profile demo

services-down: $(STAMP)
	$(PY) -m devstack down --profile demo
	$(PY) -m devstack down --profile test

clean: services-down
	rm -rf var $(VENV)
