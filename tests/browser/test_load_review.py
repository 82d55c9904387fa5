"""The load review in a real browser: demo (manager of Payments) opens it from the team page,
sees the three server-side SVG charts drawn with data, and changes the period in place."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_demo_opens_the_load_review_and_sees_the_charts(page, live_server, demo_data, login):
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/teams/payments/")
    page.get_by_role("link", name="Load review").click()
    expect(page).to_have_url(f"{live_server.url}/reports/teams/payments/load/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Load review: Payments")

    hours = page.get_by_role("img", name="On-call hours per person")
    daily = page.get_by_role("img", name="Interruptions per day")
    heatmap = page.get_by_role("img", name="Pages by hour of day and day of week")
    for chart in (hours, daily, heatmap):
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, box
    # Drawn with data: the demo history pages Payments in the last 30 days.
    expect(daily.locator("rect.bar").first).to_be_visible()
    assert daily.locator("rect.bar").count() > 0
    expect(heatmap.locator("rect.cell")).to_have_count(7 * 24)
    assert heatmap.locator("rect.cell[fill-opacity]:not([fill-opacity='1'])").count() > 0
    expect(page.locator("table.load-table tbody tr.team-row")).to_contain_text("Team")

    # Changing the period swaps the report in place (htmx) and keeps the charts.
    page.evaluate("window.runwellSamePage = true")
    page.get_by_label("Period", exact=True).select_option("90")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"period=90"))
    expect(page.locator("#report")).to_contain_text("Last 90 days")
    expect(page.get_by_role("img", name="Interruptions per day")).to_be_visible()
    assert page.evaluate("window.runwellSamePage") is True
