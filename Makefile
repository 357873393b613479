# Tixxety: `make run` to try it, `make test` to prove it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Readable log lines on a terminal; production keeps the JSON default.
export LOG_FORMAT ?= text

.PHONY: run test lint install migrate seed

## Set up (venv, dependencies, database, demo data) and run web + worker + scheduler.
run: $(VENV)/.installed-runtime migrate seed
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "Redis broker: web on :$(PORT), a Dramatiq worker and the scheduler (Ctrl-C stops all three)"; \
	  rm -rf .metrics && mkdir .metrics && export PROMETHEUS_MULTIPROC_DIR="$(CURDIR)/.metrics"; \
	  exec $(PY) -m ops.supervise \
	    "worker=$(PY) manage.py rundramatiq --processes 1 --threads 4" \
	    "scheduler=$(PY) manage.py crontab" \
	    "web=$(PY) manage.py rundev $(PORT)"; \
	else \
	  echo "Zero-setup mode: SQLite, in-process broker, worker and scheduler (development only)"; \
	  exec $(PY) -m ops.supervise "web=$(PY) manage.py rundev $(PORT)"; \
	fi

## Run the whole test suite (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set).
test: $(VENV)/.installed-dev
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

install: $(VENV)/.installed-dev

migrate: $(VENV)/.installed-runtime
	$(PY) manage.py migrate --noinput

seed: $(VENV)/.installed-runtime
	$(PY) manage.py seed_demo

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime
