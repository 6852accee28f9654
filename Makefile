# Two entry points: `make run` (the main job) and `make test` (the test suite).
# Both create .venv and install what they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: run test bench clean install

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml setup.py core/_fastexec.c $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[dev,postgres]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/bitsota-tui --local --reset-local

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m benchmarks.bench_evaluator --config cifar-default

clean:
	rm -rf $(VENV) build *.egg-info
