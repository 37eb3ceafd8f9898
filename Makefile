# Two commands for a fresh machine with Python 3.11 and make:
#   make run    install into .venv and start the dashboard on the demo data
#   make test   install into .venv and run every test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-all bench bench-1m test-tools clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/python -m analytics demo --if-empty
	OPENBLAS_NUM_THREADS=1 $(BIN)/python scripts/serve.py --port $(PORT)

test-tools:
	@bash scripts/ensure-test-tools.sh

# two workers, each taking whole test files (a file's fixtures, such as its dashboard server, are built once)
test: $(VENV)/.dev test-tools
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-all: $(VENV)/.dev test-tools
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "slow or not slow"

# the product's own modules byte-compiled first, as pip does for installed packages (a process then starts
# without compiling them, whatever PYTHONDONTWRITEBYTECODE says)
bench: $(VENV)/.dev
	$(BIN)/python -m compileall -q analytics app.py ui.py views
	$(BIN)/python benchmarks/run.py

bench-1m: $(VENV)/.dev
	$(BIN)/python -m compileall -q analytics app.py ui.py views
	$(BIN)/python benchmarks/run.py --employees 1000000

clean:
	rm -rf $(VENV) data/retention.duckdb data/retention.duckdb.wal
