# Bearing: one entry point for set-up, the demo, the tests and the production checks.
# `make demo` and `make test` need nothing but python3 and make: they create .venv and install
# the locked dependencies (requirements.lock, with hashes) through uv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000
# Two processes halve the suite's time on a two-core machine; PYTEST_ARGS= runs it in one. Tests are handed out
# in their collected order (not stolen): the tests on committed transactions stay after the others in each process.
PYTEST_ARGS ?= -n 2 --dist load
DEV_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-true}
# The demo runs as production does, debug off: its static files are collected under staticfiles/ with hashed
# names, which whitenoise serves cached for good. Its secret key is made once and kept under var/.
DEMO_KEY := var/demo-secret-key
DEMO_ENV := DJANGO_DEBUG=$${DJANGO_DEBUG:-false} DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$(cat $(DEMO_KEY))}
SMOKE_ENV := env -u REDIS_URL DATABASE_URL=sqlite:///$(CURDIR)/var/smoke/bearing.sqlite3 DJANGO_DEBUG=true

.PHONY: install demo serve test lint smoke bench lock compose-check clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: requirements.lock | $(BIN)/uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	touch $@

install: $(VENV)/.installed

## demo: migrate the embedded SQLite database, load the demo portfolio and accounts, collect the static
## files, serve on HOST:PORT (debug off, as in production)
demo: install
	mkdir -p var
	test -s $(DEMO_KEY) || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > $(DEMO_KEY)
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## serve: the development server (debug on, static files straight from static/), loading nothing
serve: install
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the whole suite (set DATABASE_URL / REDIS_URL to run it against PostgreSQL and Redis)
test: install
	DJANGO_SETTINGS_MODULE=config.settings_test DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: ruff (lint and format), mypy, and the contract that the apps import one way (import-linter)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-cache

## smoke: the embedded default end to end (fresh SQLite file, migrate, seed twice, crawl as every role)
smoke: install
	rm -rf var/smoke && mkdir -p var/smoke
	$(SMOKE_ENV) $(BIN)/python manage.py migrate --noinput
	$(SMOKE_ENV) $(BIN)/python manage.py seed_demo
	$(SMOKE_ENV) $(BIN)/python manage.py seed_demo
	$(SMOKE_ENV) $(BIN)/python manage.py smoke_check

## bench: every benchmark, each against its budgets and a floor measured in the same run: the pages at 1,000,
## 10,000 and 100,000 initiatives, the full recompute at the same sizes, the dashboard in headless chromium, and
## the stored dashboard's throughput under wrk, the register's downloads, the import of initiatives and the API (set
## DATABASE_URL for PostgreSQL; throughput needs it and wrk).
## Every benchmark runs; the target fails at the end if any missed a budget.
BENCHES := "bench_pages --sizes 1000,10000,100000" "bench_alignment --sizes 1000,10000,100000" \
	"bench_browser --sizes 1000,10000" "bench_throughput --sizes 10000" \
	"bench_export --sizes 1000,100000" "bench_import --sizes 1000,10000,100000" "bench_api --sizes 1000,10000" \
	"bench_events --sizes 1000,10000" "bench_capacity --sizes 1000,10000"
bench: install
	@status=0; for bench in $(BENCHES); do \
		echo "=== $$bench"; $(DEV_ENV) $(BIN)/python manage.py $$bench || status=1; \
	done; exit $$status

## lock: re-resolve the pinned dependencies (requirements.lock for development, requirements.prod.lock for the image)
lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --quiet -o requirements.prod.lock

## compose-check: validate docker-compose.yml (no Docker engine needed)
compose-check:
	DJANGO_SECRET_KEY=compose-check docker-compose -f docker-compose.yml config --quiet

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
