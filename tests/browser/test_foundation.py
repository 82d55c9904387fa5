"""The foundation in a real browser: log in, live-search the catalog, open a service."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_demo_searches_the_catalog_and_opens_a_service(page, live_server, demo_data, login):
    login(page, live_server, "demo", "demo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Dana Demo")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    rows = page.locator("#service-results tbody tr")
    expect(rows).to_have_count(8)
    # Anything that survives on `window` proves no page load happened in between.
    page.evaluate("window.runwellSamePage = true")

    search = page.get_by_role("searchbox", name="Search services")
    search.press_sequentially("pay")  # Payments API, and the Payments team's Ledger and Refunds
    expect(page.locator("#service-results")).to_contain_text("3 services")
    expect(rows).to_have_count(3)
    search.press_sequentially("ments api")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Payments API")
    expect(page).to_have_url(re.compile(r"/services/\?q=payments(%20|\+)api&"))  # hx-push-url
    assert page.evaluate("window.runwellSamePage") is True

    page.get_by_role("link", name="Payments API").click()
    expect(page).to_have_url(f"{live_server.url}/services/payments-api/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Payments API")
    expect(page.get_by_role("link", name="Payments", exact=True)).to_be_visible()  # the owner
    expect(
        page.get_by_role("link", name="https://runbooks.example.com/payments-api")
    ).to_be_visible()
    depends_on = page.locator("section", has=page.get_by_role("heading", name="Depends on"))
    expect(depends_on.get_by_role("link")).to_have_text(["Ledger", "Postgres (main)"])


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_htmx_shows_the_message_of_a_refused_change(
    page, live_server, demo_data, login, settings, debug
):
    """A 400 answer to an htmx request is swapped in (base.html's htmx-config): the manager
    sees why the last manager cannot be removed, next to the members list. With DEBUG on,
    django-htmx's error-page helper must not replace the whole page (static/js/runwell.js)."""
    settings.DEBUG = debug
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/teams/payments/")
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    page.evaluate("window.runwellSamePage = true")
    members = page.locator("#members")
    members.get_by_role("row", name=re.compile("@demo")).get_by_role(
        "button", name="Remove"
    ).click()
    expect(members.get_by_role("alert")).to_have_text(
        "The last manager cannot be removed: make someone else manager first."
    )
    expect(members).to_contain_text("@demo")
    assert page.evaluate("window.runwellSamePage") is True
    # The rest of the page is still there: only the members card was swapped.
    expect(page.locator("header.topbar")).to_be_visible()
    expect(page.get_by_role("heading", name="Services")).to_be_visible()
