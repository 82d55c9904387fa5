"""The schedule page in a real browser: htmx paging, editing the rota, bad input in place."""

import io
import random
import re

import pytest
from playwright.sync_api import expect

from oncall import demo
from oncall.models import Override, Schedule

pytestmark = pytest.mark.browser


@pytest.fixture
def rotas(demo_data):
    demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    return Schedule.objects.get(name="Payments primary")


def test_manager_pages_the_calendar_and_edits_the_rota(page, live_server, rotas, login, settings):
    # As under `make run`: in DEBUG django-htmx's helper would show any 400 as a whole page.
    settings.DEBUG = True
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}{rotas.get_absolute_url()}")
    page.evaluate("window.runwellSamePage = true")
    calendar = page.locator("#calendar")
    expect(calendar.locator(".cal-row.final")).to_contain_text("Final schedule")
    heading = calendar.get_by_role("heading", level=2).inner_text()

    calendar.get_by_role("link", name="Later ›").click()
    expect(calendar.get_by_role("heading", level=2)).not_to_have_text(heading)
    expect(page).to_have_url(re.compile(r"view=week&start=\d{4}-\d{2}-\d{2}"))
    calendar.get_by_role("link", name="Month").click()
    expect(page).to_have_url(re.compile(r"view=month"))
    expect(calendar.get_by_role("heading", level=2)).to_have_text(re.compile(r"^1 \w+ \d{4} – "))
    assert page.locator("#calendar .cal-head .cal-day").count() >= 28

    # Bad input comes back as a 400 and shows next to the field, in place.
    layers = page.locator("#layers")
    weekly = layers.locator("article", has=page.get_by_role("heading", name="Weekly"))
    weekly.get_by_label("Add to Weekly").fill("dave")
    weekly.get_by_role("button", name="Add to rotation").click()
    expect(layers.get_by_role("alert")).to_contain_text("dave is not a member of Payments")

    # Removing someone applies from now, and the calendar reloads itself.
    page.on("dialog", lambda dialog: dialog.accept())
    weekly = layers.locator("article", has=page.get_by_role("heading", name="Weekly"))
    weekly.get_by_role("button", name="Remove carol").click()
    expect(
        layers.locator("article", has=page.get_by_role("heading", name="Weekly"))
    ).not_to_contain_text("@carol")

    overrides = page.locator("#overrides")
    overrides.get_by_label("Reason").fill("")
    overrides.get_by_role("button", name="Add override").click()
    expect(overrides.get_by_role("alert")).to_contain_text("This field is required.")
    overrides.get_by_label("Reason").fill("Covering the release")
    overrides.get_by_role("button", name="Add override").click()
    expect(overrides.get_by_role("table")).to_contain_text("Covering the release")
    expect(page.locator("#calendar .bar.override").first).to_be_attached()
    assert Override.objects.filter(reason="Covering the release").exists()
    assert page.evaluate("window.runwellSamePage") is True

    # Anyone signed in may look up who is on call; outsiders get the page without the
    # members' cards (and nothing on the page answers them 403).
    page.context.clear_cookies()
    login(page, live_server, "heidi", "demo")
    page.goto(f"{live_server.url}{rotas.get_absolute_url()}")
    page.evaluate("window.runwellSamePage = true")
    expect(page.locator("#calendar .cal-row.final")).to_contain_text("Final schedule")
    expect(page.locator("#feed")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.runwellSamePage") is True
