# Grantflow: the project's verbs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYSTEM ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SERVICES := applications scoring impact
# The commit that first had protos: nothing on main may break what was published since.
BUF_BASELINE := $(shell git log --diff-filter=A --format=%H -- buf.yaml 2>/dev/null | tail -n 1)

.PHONY: help install browser generate check-generated lint fmt readme breaking run test test-sqlite test-postgres bench ci lock clean

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies (hash-checked)

# The console's end-to-end tests drive Debian's chromium; Playwright's own browser download is
# neither wanted nor possible here.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	@echo "installing Debian's chromium for the console's browser tests"
	$(SUDO) apt-get install -y --no-install-recommends chromium \
		|| ($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

browser: $(CHROMIUM) ## Install Debian's chromium (the console's end-to-end tests use it)

generate: $(STAMP) ## Regenerate Python code and typed stubs from protos/ into gen/python
	$(PY) tools/generate_protos.py

check-generated: generate ## Fail when the committed generated code is stale
	@git diff --exit-code --stat -- gen/ && test -z "$$(git status --porcelain -- gen/)" \
		|| (echo "gen/ is stale: run 'make generate' and commit the result" && exit 1)

lint: $(STAMP) ## ruff, mypy --strict, buf lint and format, migrations match the models
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code
	$(PY) -m grantflow_runtime.migrations check $(SERVICES)

readme: $(STAMP) ## Regenerate the README's tables and docs/asyncapi.yaml from the code
	$(PY) tools/update_readme.py
	$(PY) -m grantflow_runtime.asyncapi > docs/asyncapi.yaml

fmt: $(STAMP) ## Format Python and protos in place
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/buf format -w

breaking: $(STAMP) ## buf breaking against the first commit that published the protos
	@if [ -n "$(BUF_BASELINE)" ]; then $(BIN)/buf breaking --against ".git#ref=$(BUF_BASELINE)"; \
		else echo "no committed protos yet: nothing to compare"; fi

DEMO ?= 1
run: $(STAMP) generate ## Start NATS, the services and the gateway, run the demo round (DEMO=0 skips it)
	$(PY) -m grantflow_runtime.devstack $(if $(filter 0,$(DEMO)),--no-demo,)

test: $(STAMP) $(CHROMIUM) ## The whole suite on SQLite (GRANTFLOW_TEST_BACKEND=postgres for PostgreSQL)
	GRANTFLOW_CHROMIUM=$(CHROMIUM) $(BIN)/pytest

test-sqlite: $(STAMP) $(CHROMIUM)
	GRANTFLOW_CHROMIUM=$(CHROMIUM) GRANTFLOW_TEST_BACKEND=sqlite $(BIN)/pytest

test-postgres: $(STAMP) $(CHROMIUM) ## The whole suite on the PostgreSQL at 127.0.0.1:5432
	GRANTFLOW_CHROMIUM=$(CHROMIUM) GRANTFLOW_TEST_BACKEND=postgres $(BIN)/pytest

bench: $(STAMP) ## Throughput, latency, scale and memory against this machine's limits: one table, bench/results/latest.json (BENCH_ARGS=--help)
	$(PY) -m bench $(BENCH_ARGS)

ci: check-generated lint breaking test-sqlite test-postgres ## What CI runs

lock: ## Re-resolve requirements.lock (with hashes) from pyproject.toml; needs uv
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock

clean: ## Remove the venv, caches and local data
	rm -rf $(VENV) .grantflow .pytest_cache .mypy_cache .ruff_cache *.egg-info
