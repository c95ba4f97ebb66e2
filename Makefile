# Two commands for a fresh machine with Python >= 3.11 and make:
#   make run    install into .venv and run the default scenario
#   make test   install into .venv (with the test, app and calibrate extras) and run the tests
#   make test-oldest   the same tests on the oldest releases pyproject.toml allows (.venv-oldest)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-oldest app lint bench clean

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

# The oldest releases that pyproject.toml allows for each of dmpsim's own requirements (uv's
# lowest-direct resolution), so that a floor that no longer works fails here, not for a user.
OLDEST := .venv-oldest
$(OLDEST)/.installed: pyproject.toml
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet "uv>=0.5"
	$(OLDEST)/bin/uv pip install --quiet --python $(OLDEST)/bin/python --resolution lowest-direct -e ".[test,app,calibrate]"
	touch $@

test-oldest: $(OLDEST)/.installed
	$(OLDEST)/bin/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py

clean:
	rm -rf $(VENV) $(OLDEST) results .pytest_cache
