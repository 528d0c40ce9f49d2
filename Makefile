# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := CAMPAIGN_ENV=$${CAMPAIGN_ENV:-development} $(BIN)/flask --app campaign
FLASK_EXEC := CAMPAIGN_ENV=$${CAMPAIGN_ENV:-development} exec $(BIN)/flask --app campaign
HOST ?= 127.0.0.1
PORT ?= 5000
INSTANCE := $(or $(CAMPAIGN_INSTANCE_PATH),instance)

.PHONY: run test i18n-extract i18n-update i18n-compile lint format migrate seed bench audit load scaleout htmlcheck lighthouse clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

$(VENV)/.installed-audit: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,audit]'
	touch $@

$(VENV)/.installed-load: pyproject.toml $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e '.[test,load]'
	touch $@

## run: install, migrate SQLite in instance/, seed the demo once, serve on http://$(HOST):$(PORT)
## (links in mail, calendars and cards follow HOST and PORT; Ctrl-C stops it)
# The server is exec'd so Ctrl-C and SIGTERM reach it, not a shell: it then stops the
# scheduler cleanly before make returns.
run: $(VENV)/.installed-run $(INSTANCE)/config.py i18n-compile
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK_EXEC) devserver --host $(HOST) --port $(PORT)

# Written once, never overwritten: marks this checkout as a development one, so that every
# `.venv/bin/flask --app campaign ...` command works in any terminal, as make run does.
$(INSTANCE)/config.py:
	@mkdir -p $(@D)
	@printf '%s\n' \
	  '# Written once by `make run`: this checkout runs in development. Settings here beat' \
	  '# the defaults in campaign/config.py; CAMPAIGN_* environment variables beat them.' \
	  '# A production deployment sets CAMPAIGN_ENV=production (see README.md).' \
	  'ENV = "development"' >$@
	@echo 'Wrote $@ (ENV = "development"): .venv/bin/flask commands now work in any terminal.'

## test: install the test extras, lint, type-check, and run the whole suite
## (in parallel: one pytest-xdist worker per CPU, at most 8; PYTEST_ARGS='-n 0' runs it serially)
# worksteal: a worker with nothing left takes tests queued for another, so no worker idles
# while one still holds a backlog behind a long test.
# PYTHONDONTWRITEBYTECODE is cleared for pytest: every worker imports the ~270 test modules,
# which pytest rewrites (its assert messages) and caches as bytecode in the git-ignored
# __pycache__ folders only when writing bytecode is allowed; without that cache each worker
# spent 6 of its 9 seconds of start-up rewriting them, on every run. (A cache once written
# is read even where the variable is set.)
test: $(VENV)/.installed-test i18n-compile
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest --ignore=tests/audit -n auto --dist worksteal $(PYTEST_ARGS)

# --- translations (campaign/i18n; README "Languages") ---------------------------------------
PYBABEL := $(BIN)/pybabel
CATALOGS := translations
POT := $(CATALOGS)/messages.pot
# The .pot names files but no line numbers and carries no date, so it changes only when the
# messages (or the files they are in) do.
EXTRACT := $(PYBABEL) -q extract -F babel.cfg -k lazy_gettext -k N_ --add-location=file \
	--omit-header --sort-output --no-wrap

## i18n-extract: collect every marked string of campaign/ and templates/ into translations/messages.pot
i18n-extract: $(VENV)/.installed-run
	$(EXTRACT) -o $(POT) .

## i18n-update: extract, then merge the new strings into every language's messages.po
i18n-update: i18n-extract
	$(PYBABEL) -q update -i $(POT) -d $(CATALOGS) --no-wrap --ignore-obsolete --ignore-pot-creation-date

## i18n-compile: compile every messages.po to the messages.mo the app reads (make run and make test do it)
i18n-compile: $(VENV)/.installed-run
	$(PYBABEL) -q compile -d $(CATALOGS)

## bench: run every benchmark under bench/ and print one table (ratios against baselines)
bench: $(VENV)/.installed-test i18n-compile
	$(BIN)/python bench/run_all.py

## load: locust, 50 users for 60 s, against gunicorn on SQLite then PostgreSQL (bench/load/run.py)
load: $(VENV)/.installed-load i18n-compile
	$(BIN)/python bench/load/run.py

## scaleout: 2 gunicorns + 2 schedulers on PostgreSQL with Redis rate limits (bench/scaleout.py)
scaleout: $(VENV)/.installed-test i18n-compile
	$(BIN)/python bench/scaleout.py

## audit: bandit, an sqlmap scan of a local server, then the tests in tests/audit (.ci/audit)
audit: $(VENV)/.installed-audit i18n-compile
	bash .ci/audit

# The page checks' npm tools, installed here (git-ignored), never globally.
AUDIT_NODE := .tools/audit-node
$(AUDIT_NODE)/.installed:
	mkdir -p $(AUDIT_NODE)
	npm install --prefix $(AUDIT_NODE) --no-audit --no-fund --silent lighthouse@12.8.2 vnu-jar@26.9.27
	touch $@

## htmlcheck: the W3C Nu checker (vnu, needs java) on every public and organizer page of a seeded site
htmlcheck: $(VENV)/.installed-test $(AUDIT_NODE)/.installed i18n-compile
	$(BIN)/python .ci/pagecheck.py html

## lighthouse: Lighthouse (Chromium at CHROME_PATH) on /, /events, an event page and /facts, mobile and desktop
lighthouse: $(VENV)/.installed-test $(AUDIT_NODE)/.installed i18n-compile
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python .ci/pagecheck.py lighthouse

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(VENV)/.installed-run
	$(FLASK) db upgrade

## seed: migrate, then seed the demo campaign if the database has none (make run does both)
seed: migrate
	$(FLASK) seed-demo --if-empty

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
