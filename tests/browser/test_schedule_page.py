"""The schedule page in a real browser: htmx paging, editing the rota, bad input in place."""

import io
import random
import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oncall import demo
from oncall.models import Override, Schedule
from tests import factories

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


# --------------------------------------------------------------------------------------------
# Every panel that shows what an action changed follows it without a reload
# --------------------------------------------------------------------------------------------


@pytest.fixture
def bobs_week(transactional_db):
    """Payments: bob and carol take weeks in turn (bob this week), alice is a member who is
    not on the layer, mia manages the team."""
    team = factories.TeamFactory(slug="payments", name="Payments")
    people = {
        name: factories.MembershipFactory(team=team, user__username=name).user
        for name in ("alice", "bob", "carol")
    }
    factories.MembershipFactory(team=team, user__username="mia", role="manager")
    today = timezone.now().date()
    schedule = factories.ScheduleFactory(team=team, name="Primary")
    factories.LayerFactory(
        schedule=schedule,
        name="Weekly",
        shift_unit="weeks",
        rotation_start=today - timedelta(days=today.weekday()),
        handoff_time=time(0),
        participants=[people["bob"], people["carol"]],
    )
    return schedule


def test_an_override_from_now_updates_on_call_now_and_my_shifts(
    page, live_server, login, bobs_week
):
    login(page, live_server, "alice", "pw")
    page.goto(f"{live_server.url}{bobs_week.get_absolute_url()}")
    page.evaluate("window.runwellSamePage = true")
    now_card, swaps = page.locator("#now"), page.locator("#swaps")
    expect(now_card.locator("dd").first).to_contain_text("bob")
    expect(swaps).to_contain_text("You have no shifts here")

    overrides = page.locator("#overrides")
    overrides.get_by_label("Reason").fill("Bob is at the dentist")
    overrides.get_by_role("button", name="Add override").click()
    expect(overrides.get_by_role("table")).to_contain_text("Bob is at the dentist")
    expect(now_card.locator("dd").first).to_contain_text("alice")
    expect(swaps).not_to_contain_text("You have no shifts here")
    expect(swaps.locator("tr.mine")).to_have_count(1)

    # Ending it now puts bob back, everywhere.
    page.on("dialog", lambda dialog: dialog.accept())
    overrides.get_by_role("button", name="End now").click()
    expect(overrides).to_contain_text("No current or upcoming overrides")
    expect(now_card.locator("dd").first).to_contain_text("bob")
    expect(swaps).to_contain_text("You have no shifts here")
    assert page.evaluate("window.runwellSamePage") is True


def test_a_layer_change_updates_on_call_now_and_coverage(page, live_server, login, bobs_week):
    login(page, live_server, "mia", "pw")
    page.goto(f"{live_server.url}{bobs_week.get_absolute_url()}")
    page.evaluate("window.runwellSamePage = true")
    now_card, coverage = page.locator("#now"), page.locator("#coverage")
    expect(now_card.locator("dd").first).to_contain_text("bob")
    expect(coverage).to_contain_text("Somebody is on call at every moment")

    page.on("dialog", lambda dialog: dialog.accept())
    layers = page.locator("#layers")
    layers.get_by_role("button", name="Remove bob").click()
    expect(layers).not_to_contain_text("@bob")
    expect(now_card.locator("dd").first).to_contain_text("carol")
    expect(now_card.locator("dd").first).not_to_contain_text("bob")

    layers.get_by_role("button", name="Remove", exact=True).click()  # the whole layer
    expect(layers).to_contain_text("No layers yet")
    expect(now_card).to_contain_text("Nobody on call")
    expect(coverage).to_contain_text("gap")
    assert page.evaluate("window.runwellSamePage") is True
