# Runwell: `make run` (set up and start with demo data) and `make test` (set up and pass the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEPS   := $(VENV)/.deps-installed
APT_GET := $(if $(filter 0,$(shell id -u)),apt-get,sudo apt-get)

.PHONY: run test bench lint format deps browser alertmanager clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(DEPS): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

deps: $(DEPS)

# Browser tests drive Debian's chromium through Playwright (Playwright's own download cannot
# work here), so install it from the distribution when it is missing.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		$(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq chromium >/dev/null; \
	fi

# The reliability suite runs the real Prometheus Alertmanager (tests/reliability/
# test_alertmanager.py starts its own on a free loopback port), so install Debian's when it is
# missing, without leaving the package's own service running.
alertmanager:
	@if ! command -v prometheus-alertmanager >/dev/null 2>&1; then \
		echo "Installing Debian's prometheus-alertmanager for the reliability tests"; \
		$(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq prometheus-alertmanager >/dev/null; \
		(service prometheus-alertmanager stop || systemctl stop prometheus-alertmanager) >/dev/null 2>&1 || true; \
	fi

run: deps
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --scale small
	$(BIN)/python manage.py runportal

test: deps browser alertmanager
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	$(BIN)/pytest

bench: deps
	$(BIN)/python -m bench

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles .pytest_cache .ruff_cache
