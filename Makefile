# The two commands: `make up` runs warroom on its embedded default, `make test` passes the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

CALENDARS := week-1 week-2 week-3 weekend-night

.PHONY: up test lint test-calendars install install-test alertmanager chromium nginx oidc-provider bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'

up: install
	$(BIN)/warroom up

# Lint, the whole suite on the real clock, then the tests that run no workflow once per calendar
# (tests/calendar.py): three rotation weeks and a weekend night.
test: install-test alertmanager chromium nginx oidc-provider lint
	$(BIN)/python -m pytest
	$(MAKE) --no-print-directory test-calendars

lint: install-test
	$(BIN)/ruff check .

test-calendars:
	@for calendar in $(CALENDARS); do \
	  echo "--- the suite's clock-only tests with the clock in $$calendar"; \
	  WARROOM_PROPERTY_EXAMPLES=25 $(BIN)/python -m pytest -q -m "not temporal" --calendar $$calendar || exit 1; \
	done

# The end-to-end alert test drives a real Prometheus Alertmanager (Debian package).
alertmanager:
	@command -v prometheus-alertmanager >/dev/null || { \
	  echo "installing prometheus-alertmanager (Debian) for the end-to-end alert test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager; }

# The web app's browser tests drive Debian's chromium (Playwright, no browser download) and sign in
# through a real OpenID provider (panva/oidc-provider, run with node).
chromium:
	@command -v chromium >/dev/null || { \
	  echo "installing chromium (Debian) for the web app's browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The TLS tests put Debian's nginx in front of a dev server: it terminates TLS (and mutual TLS)
# and passes gRPC on, as a secured cluster's front door does. (/usr/sbin is not on every PATH.)
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { \
	  echo "installing nginx (Debian) for the TLS tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

oidc-provider:
	@test -d tests/e2e/oidc/node_modules/oidc-provider || npm ci --prefix tests/e2e/oidc --no-audit --no-fund --silent

bench: install-test
	$(BIN)/python bench/brain.py
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/chaos.py
	$(BIN)/python bench/cli.py

clean:
	rm -rf $(VENV) .warroom .pytest_cache
