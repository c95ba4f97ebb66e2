# Two commands for a fresh machine with Python >= 3.11 and make:
#   make run    install into .venv and run the default scenario
#   make test   install into .venv (with the test, app and calibrate extras) and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test app lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,app,calibrate]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dmpsim run baseline --seed 0 --out results/baseline

app: $(STAMP)
	$(BIN)/dmpsim app --scenario classroom

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py

clean:
	rm -rf $(VENV) results .pytest_cache
