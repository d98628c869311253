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

# The venv's Python, or the one that is to make it, must be one louzu runs on (pyproject.toml's
# requires-python); said in one line before anything is made. Plain enough for any Python to read.
define CHECK_PYTHON
import sys
v = "%d.%d.%d" % sys.version_info[:3]
if sys.version_info < (3, 10):
    sys.exit("louzu needs Python 3.10 or newer (tested: 3.10 to 3.13), and %s is %s: install Python 3.10 or newer, then run make again with PYTHON=<its path>" % (sys.executable, v))
if sys.version_info >= (3, 14):
    sys.stderr.write("note: louzu is tested on Python 3.10 to 3.13; %s is %s, newer and untested\n" % (sys.executable, v))
endef
export CHECK_PYTHON
CHECKED_PYTHON = $(if $(wildcard $(PY)),$(PY),$(PYTHON))

$(STAMP): pyproject.toml
	@command -v $(CHECKED_PYTHON) >/dev/null || { echo "louzu needs Python 3.10 or newer (tested: 3.10 to 3.13), and there is no $(CHECKED_PYTHON) here: install Python 3.10 or newer, then run make again with PYTHON=<its path>" >&2; exit 1; }
	@$(CHECKED_PYTHON) -c "$$CHECK_PYTHON"
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
# AGAIN=1: keep the last run's results and test again only the mutants it did not kill.
mutate: $(MUTATE_STAMP)
	$(PY) -m tests.mutation $(if $(AGAIN),--again) $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache $(HARNESS)/node_modules mutants
