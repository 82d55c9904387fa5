# Runwell: `make run` (set up and start with demo data) and `make test` (set up and pass the suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEPS   := $(VENV)/.deps-installed
APT_GET := $(if $(filter 0,$(shell id -u)),apt-get,sudo apt-get)

.PHONY: run test test-calendar test-at bench lint format deps browser axe faketime alertmanager clean

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

# The accessibility check (tests/browser/test_accessibility.py) injects axe-core from the npm
# registry into each main page: install the version locked in tests/browser/package-lock.json
# when it is missing (needs Debian's npm, installed here when missing too).
AXE := tests/browser/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "Installing Debian's npm for the accessibility check"; \
		$(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq npm >/dev/null; \
	fi
	cd tests/browser && CI=true npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The calendar sweep moves the whole process's clock (datetime.now(), time.time(), the C
# library) with Debian's faketime, so install it when it is missing.
faketime:
	@if ! command -v faketime >/dev/null 2>&1; then \
		echo "Installing Debian's faketime for the calendar sweep"; \
		$(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq faketime >/dev/null; \
	fi

# Instants (UTC) the suite must pass at: US and EU spring-forward days, US and EU fall-back
# nights, 29 February, 31 December 23:40, a Saturday and a Monday.
SWEEP_DATES ?= 2027-03-14T07:30 2027-03-28T00:30 2027-11-07T05:30 2027-10-31T00:45 \
	2028-02-29T23:50 2027-12-31T23:40 2027-01-09T12:00 2027-01-04T08:15
# What the sweep leaves out: browser and process-level (reliability) tests, and the API
# fuzzer (its budget is spent on the schema, not on dates).
SWEEP_MARKS := not browser and not reliability and not fuzz
# The outbound-HTTP tests (a dozen loopback and TLS servers in threads, no dates) once crashed
# the interpreter under libfaketime 0.9.10 (a segfault in a server thread's select); they run
# in `make test`.
SWEEP_SKIP := --ignore=tests/test_outbound.py


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

test: deps browser axe alertmanager
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null
	$(BIN)/pytest

# `make test-calendar`: the suite (less browser, reliability and fuzzer) once per date above,
# SWEEP_JOBS dates at a time; each date has its own test database and Redis database.
SWEEP_JOBS ?= 2
SWEEP_SLOTS := $(shell seq 1 $(words $(SWEEP_DATES)))
test-calendar: deps faketime
	@$(MAKE) --no-print-directory -j$(SWEEP_JOBS) --output-sync=target \
		$(addprefix sweep-,$(SWEEP_SLOTS))
	@echo "calendar sweep: the suite passed at $(words $(SWEEP_DATES)) dates: $(SWEEP_DATES)"

sweep-%:
	@echo "== the suite with the clock at $(word $*,$(SWEEP_DATES)) UTC"
	@$(MAKE) --no-print-directory test-at DATE="$(word $*,$(SWEEP_DATES))" SWEEP_SLOT=$* \
		PYTEST_ARGS="-q -p no:cacheprovider"

# `make test-at DATE=2027-03-14T07:30 [PYTEST_ARGS=...]`: the suite with the process clock
# starting at DATE (UTC) and ticking on from there.
test-at: deps faketime
	@test -n "$(DATE)" || { echo "usage: make test-at DATE=YYYY-MM-DDTHH:MM [PYTEST_ARGS=...]"; exit 2; }
	@set -e; \
	if [ -n "$(SWEEP_SLOT)" ]; then \
		case "$$DATABASE_URL" in postgres*) \
			db="$${DATABASE_URL##*/}"; export TEST_DATABASE_NAME="test_$${db%%\?*}_sweep$(SWEEP_SLOT)";; \
		esac; \
		if [ -n "$$REDIS_URL" ]; then export REDIS_URL="$${REDIS_URL%/*}/$$((7 + $(SWEEP_SLOT)))"; fi; \
	fi; \
	TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "@$(subst T, ,$(DATE)):00" \
		$(BIN)/pytest -m "$(SWEEP_MARKS)" $(SWEEP_SKIP) $(PYTEST_ARGS)

bench: deps
	$(BIN)/python -m bench

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var db.sqlite3 staticfiles .pytest_cache .ruff_cache tests/browser/node_modules
