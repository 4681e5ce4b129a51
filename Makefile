# The two commands: `make up` runs warroom on its embedded default, `make test` passes the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: up test install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

up: install
	$(BIN)/warroom up

test: install-test
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python bench/brain.py

clean:
	rm -rf $(VENV) .warroom .pytest_cache
