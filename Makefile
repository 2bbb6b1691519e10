# ACSA Ledger — the two commands are `make demo` and `make test`.
#
# Everything the project needs is installed by these targets: Python packages
# into .venv, the Debian packages (Chromium for the browser tests,
# ledger for the journal cross-check, poppler for PDF rendering, a CJK font)
# through apt-get when they are missing and we run as root, and axe-core for
# the browser tests' accessibility audit from npm (tests/e2e/package-lock.json).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBIAN_PACKAGES := chromium ledger poppler-utils fonts-ipafont-gothic zbar-tools
E2E_MODULES := tests/e2e/node_modules/.package-lock.json

# CI provides PostgreSQL on loopback; storage tests then run on both engines.
ifeq ($(CI),true)
export ACSA_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
endif

.PHONY: demo test lint typecheck unit bench bench-1m bench-plot bench-packages crash system-packages e2e-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

system-packages:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (run as root, or install them; tests that need them will skip)"; \
	  fi; \
	fi

# npm ci installs exactly the locked axe-core, again only when the lock file changed.
e2e-packages:
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "npm is missing: the accessibility audit in tests/e2e skips (fails under CI=true)"; \
	elif [ ! -f $(E2E_MODULES) ] || [ tests/e2e/package-lock.json -nt $(E2E_MODULES) ]; then \
	  npm ci --prefix tests/e2e --no-audit --no-fund --ignore-scripts --loglevel=error; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# The browser tests run on their own after the rest: Chromium and their two live
# nodes would otherwise compete for the same two cores with the federation fault
# suite's live nodes, whose timing tests then wait on the machine, not the code.
test: system-packages e2e-packages $(STAMP) lint typecheck
	$(BIN)/pytest -n 2 --dist loadgroup -q --ignore=tests/e2e
	$(BIN)/pytest -q tests/e2e

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# Writers killed with SIGKILL at random moments: 100 kills of the service layer and 100 of
# the HTTP API per engine (PostgreSQL when ACSA_TEST_POSTGRES_URL is set). `make test` runs
# a sample of 3 of each.
crash: system-packages $(STAMP)
	ACSA_CRASH_KILLS=$${ACSA_CRASH_KILLS:-100} $(BIN)/pytest -q -s tests/crash

demo: system-packages $(STAMP)
	$(BIN)/acsa demo

# Benchmarks, never part of `make test`: minutes at 10,000 and 100,000 orders; `bench-1m`
# runs the same parts at 1,000,000 orders (hours: the data set alone is ~13 GB).
# hledger is a reference where installed (not at 1M: ~2.2 GB at 100,000 orders, so ~22 GB
# at 1,000,000, this machine's whole memory); GNU time reads each command's peak RSS.
bench: system-packages bench-packages $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-1m: system-packages bench-packages $(STAMP)
	$(BIN)/python -m bench.run --parts reports,rebuild,reconcile --orders 1000000 --repeats 3 --skip hledger $(BENCH_ARGS)

bench-plot: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.plot

bench-packages:
	@for p in hledger time; do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' && continue; \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$p) >/dev/null 2>&1 || \
	      echo "$$p could not be installed: the benchmarks go on without it"; \
	  else echo "$$p is missing: the benchmarks go on without it"; fi; \
	done

clean:
	rm -rf $(VENV) demo-data bench/out .pytest_cache .mypy_cache .ruff_cache .hypothesis \
	  tests/e2e/node_modules
