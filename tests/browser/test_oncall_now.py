"""What an incident responder looks for: "On call now" reached from the main navigation, its
filters, on a desktop and at phone width; the service page's "Who gets paged" and the
incident page's runbook link."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_on_call_now_from_the_navigation_with_filters(page, live_server, demo_data, login):
    login(page, live_server, "demo", "demo")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="On call").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("On call now")
    expect(page).to_have_url(re.compile(r"/oncall/now/$"))
    rows = page.locator("#oncall-results tbody tr[data-schedule]")
    expect(rows).to_have_count(4)  # every team's schedules, not only demo's teams
    expect(page.locator("#oncall-results")).to_contain_text("Search daytime")
    expect(page.locator("#oncall-results")).to_contain_text("until")
    # The team filter and the text filter swap the results in place.
    page.get_by_label("Team", exact=True).select_option("platform")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Platform on call")
    expect(page).to_have_url(re.compile(r"team=platform"))
    page.get_by_label("Team", exact=True).select_option("")
    page.get_by_label("Filter by schedule, team or person").fill("secondary")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Payments secondary")


def test_on_call_now_fits_a_phone(page, live_server, demo_data, login):
    page.set_viewport_size(PHONE)
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/oncall/now/")
    rows = page.locator("#oncall-results tbody tr[data-schedule]")
    expect(rows).to_have_count(4)
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"the page scrolls sideways: {width}"
    # Each schedule reads as a labelled block: the header row is hidden on a phone.
    expect(page.locator(".rota-everywhere thead")).to_be_hidden()
    label = rows.first.locator("td.oncall-now").evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert "On call now" in label


def test_service_page_and_incident_page_answer_the_responder(page, live_server, demo_data, login):
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/services/payments-api/")
    panel = page.locator("#paging-now")
    expect(panel).to_contain_text("Escalation policy:")
    expect(panel).to_contain_text("Paged now:")
    page.goto(f"{live_server.url}/services/")
    expect(page.locator("th", has_text="On call now")).to_be_visible()
    page.goto(f"{live_server.url}/incidents/")
    page.locator("table a[href^='/incidents/']").first.click()
    expect(page.locator("#runbooks a.runbook-link").first).to_have_attribute(
        "href", re.compile(r"^https://runbooks\.example\.com/")
    )
