"""The browser-test harness: Playwright's sync API driving Debian's chromium against
pytest-django's ``live_server``.

Use it like this (see test_foundation.py)::

    @pytest.mark.browser
    def test_something(page, live_server, demo_data, login):
        login(page, live_server, "demo", "demo")
        page.goto(f"{live_server.url}/services/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Service catalog")

Fixtures:
- ``browser`` (session): headless chromium from /usr/bin/chromium (``make browser`` installs
  it; RUNWELL_CHROMIUM points elsewhere). Missing chromium or Playwright skips the test with
  the reason, or fails it when RUNWELL_REQUIRE_SERVICES=1 (as in CI).
- ``page``: a fresh browser context (own cookies) and page per test, 10 s default timeout.
  An uncaught JavaScript error on the page fails the test.
- ``login``: ``login(page, live_server, username, password)`` logs in through the login form.
- ``demo_data``: the small demo data set (``seed_demo --scale small``: ``demo`` / ``demo``
  manages Payments and is a member of Platform). It brings the transactional database the live
  server needs; a test without it must ask for ``transactional_db`` itself.

Browser tests live here and nowhere else, one module per area (test_<area>.py), and share one
chromium; tests/test_test_layout.py checks that. Browser tests run last (the Playwright
event loop then lives only at the end of the session): Playwright's sync API keeps an event
loop running in the test thread, so Django's async-safety check is switched off once the
browser starts (DJANGO_ALLOW_ASYNC_UNSAFE).
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = Path(os.environ.get("RUNWELL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEFAULT_TIMEOUT_MS = 10_000


def _missing(reason: str):
    if os.environ.get("RUNWELL_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (RUNWELL_REQUIRE_SERVICES=1, so this is a failure, not a skip)")
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Run browser tests after all others (stable sort keeps their own order)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


class _Chromium:
    """One Playwright driver and one chromium per test process, however many conftests
    import the fixtures: a second sync_playwright() would find the first one's event loop
    running and refuse to start."""

    playwright = None
    browser = None
    users = 0

    @classmethod
    def acquire(cls):
        if cls.browser is None:
            if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
                _missing(
                    f"needs chromium at {CHROMIUM}: run `make browser` (apt-get install chromium)"
                )
            try:
                from playwright.sync_api import Error, expect, sync_playwright
            except ImportError:
                _missing("needs Playwright: pip install -e '.[dev]'")
            expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            cls.playwright = sync_playwright().start()
            try:
                cls.browser = cls.playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
            except Error as exc:
                cls.playwright.stop()
                cls.playwright = None
                _missing(f"chromium at {CHROMIUM} does not start: {exc.message.splitlines()[0]}")
        cls.users += 1
        return cls.browser

    @classmethod
    def release(cls):
        cls.users -= 1
        if cls.users == 0 and cls.browser is not None:
            cls.browser.close()
            cls.playwright.stop()
            cls.browser = cls.playwright = None


@pytest.fixture(scope="session")
def browser():
    """Headless chromium for the whole session (shared even if imported by other conftests)."""
    yield _Chromium.acquire()
    _Chromium.release()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    form = page.locator("main form")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(password)
    with page.expect_navigation():  # a page load, whether the login succeeds or not
        form.get_by_role("button", name="Log in").click()
    if "/login/" in page.url:
        message = page.locator(".error").all_inner_texts()
        raise AssertionError(f"could not log in as {username!r}: {message}")


@pytest.fixture
def login():
    """``login(page, live_server, username, password)``: log in through the login page."""
    return _login


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", scale="small", stdout=StringIO())
