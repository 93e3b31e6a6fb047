# `make demo` and `make test` set everything up from nothing; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup browser postgres demo test test-all check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# llama-cpp-python compiles from source the first time (about 5 minutes on 2 cores).
	$(BIN)/python -m pip install --quiet -e '.[local,dev,postgres,ray]'
	touch $(STAMP)

setup: $(STAMP)

# A short speed pass first (streamed, one request at a time), so the run's report has measured
# speed beside quality; then the quick suite, ending in the report.
demo: setup
	$(BIN)/bakeoff speed --runs 5
	$(BIN)/bakeoff run

browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# Debian's PostgreSQL programs: the store tests start a private server of their own with them.
postgres:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		(apt-get update && apt-get install -y postgresql)

# The default run leaves out tests marked slow (pyproject's addopts); test-all runs them too.
test: setup browser postgres
	$(BIN)/python -m pytest -q

test-all: setup browser postgres
	$(BIN)/python -m pytest -q -m ''

check: setup
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

clean:
	rm -rf $(VENV) bakeoff-results .pytest_cache .mypy_cache .ruff_cache
