# Venterom: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint format bench system-deps web-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(WEB_STAMP): web/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

web-deps: $(WEB_STAMP)

run: $(STAMP) $(WEB_STAMP)
	VENTEROM_DEMO=1 $(BIN)/venterom serve

# Debian packages the tests drive for real: Redis, PostgreSQL (its binaries live in
# /usr/lib/postgresql/<version>/bin; the tests start a cluster of their own) and Chromium.
system-deps:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/lib/chromium/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The realtime tests again with every override of socketio/engineio/redis-py internals off
# (docs/upstream.md): the product must work on upstream's own path.
UPSTREAM_TESTS := tests/lobby tests/signaling tests/presence/test_store_contract.py \
	tests/security/test_transport.py tests/security/test_faults.py

test: $(STAMP) $(WEB_STAMP) system-deps lint
	$(BIN)/pytest
	VENTEROM_UPSTREAM=all $(BIN)/pytest -q $(UPSTREAM_TESTS)

bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

clean:
	rm -rf $(VENV) web/node_modules .pytest_cache .mypy_cache .ruff_cache
