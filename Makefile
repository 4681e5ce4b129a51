# The two commands: `make up` runs warroom on its embedded default, `make test` passes the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: up test install install-test alertmanager bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

up: install
	$(BIN)/warroom up

test: install-test alertmanager
	$(BIN)/python -m pytest

# The end-to-end alert test drives a real Prometheus Alertmanager (Debian package).
alertmanager:
	@command -v prometheus-alertmanager >/dev/null || { \
	  echo "installing prometheus-alertmanager (Debian) for the end-to-end alert test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager; }

bench: install-test
	$(BIN)/python bench/brain.py
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) .warroom .pytest_cache
