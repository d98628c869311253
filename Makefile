# louzu: `make run` to talk to the bot at this terminal, `make test` for the whole suite,
# `make bench` for reply latency through the Wechaty puppet service, `make mutate` for mutation testing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The end-to-end tests' WeChat stand-in (Node.js); npm ci writes this file, so it stamps the install.
HARNESS := tests/e2e/harness
NODE_STAMP := $(HARNESS)/node_modules/.package-lock.json

MUTATE_STAMP := $(VENV)/.mutate-stamp
MUTATE_ARGS ?= --fail-under 95

.PHONY: run test bench mutate db-upgrade clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/louzu run

db-upgrade: $(STAMP)
	$(VENV)/bin/louzu db upgrade

$(NODE_STAMP): $(HARNESS)/package-lock.json
	cd $(HARNESS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP) $(NODE_STAMP)
	$(PY) -m tests.bench $(BENCH_ARGS)

$(MUTATE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,mutate]'
	touch $(MUTATE_STAMP)

# Mutation testing of the money and permission paths (tests/mutation/, README "Tests"; slow, not in CI).
mutate: $(MUTATE_STAMP)
	$(PY) -m tests.mutation $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache $(HARNESS)/node_modules mutants
