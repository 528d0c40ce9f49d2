# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := CAMPAIGN_ENV=$${CAMPAIGN_ENV:-development} $(BIN)/flask --app campaign
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format migrate seed bench audit load scaleout clean

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
run: $(VENV)/.installed-run
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) devserver --host $(HOST) --port $(PORT)

## test: install the test extras, lint, and run the whole suite
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest --ignore=tests/audit $(PYTEST_ARGS)

## bench: run every benchmark under bench/ and print one table (ratios against baselines)
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

## load: locust, 50 users for 60 s, against gunicorn on SQLite then PostgreSQL (bench/load/run.py)
load: $(VENV)/.installed-load
	$(BIN)/python bench/load/run.py

## scaleout: 2 gunicorns + 2 schedulers on PostgreSQL with Redis rate limits (bench/scaleout.py)
scaleout: $(VENV)/.installed-test
	$(BIN)/python bench/scaleout.py

## audit: bandit, an sqlmap scan of a local server, then the tests in tests/audit (.ci/audit)
audit: $(VENV)/.installed-audit
	bash .ci/audit

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(VENV)/.installed-run
	$(FLASK) db upgrade

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
