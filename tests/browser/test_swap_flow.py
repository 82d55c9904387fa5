"""A cover request in a real browser: alice asks bob to cover her next shift from "My shifts",
bob accepts in one click from his inbox (no page load), and the calendar shows bob covering
for alice."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oncall.swaps import services as swap_services
from oncall.swaps import time_off
from tests import factories

pytestmark = pytest.mark.browser


@pytest.fixture
def rota(transactional_db):
    """A daily rota (handoff 00:00 UTC) where carol is on call today and alice tomorrow."""
    team = factories.TeamFactory(slug="payments", name="Payments")
    people = {
        name: factories.MembershipFactory(team=team, user__username=name).user
        for name in ("alice", "bob", "carol")
    }
    today = timezone.now().date()
    schedule = factories.ScheduleFactory(team=team, name="Primary")
    factories.LayerFactory(
        schedule=schedule,
        name="Daily",
        shift_unit="days",
        rotation_start=today - timedelta(days=2),
        handoff_time=time(0),
        participants=[people["alice"], people["bob"], people["carol"]],
    )
    return schedule, today + timedelta(days=1), people


def test_alice_asks_bob_accepts_from_the_inbox_and_the_calendar_shows_it(
    browser, page, live_server, login, rota
):
    schedule, alice_day, people = rota

    # Alice asks bob to cover her next shift, from "My shifts".
    login(page, live_server, "alice", "pw")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My shifts").click()
    first = page.locator("#shifts tbody tr").first
    expect(first).to_contain_text(alice_day.strftime("%a %-d %b") + " 00:00")
    first.get_by_role("link", name="Ask for cover / swap").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for cover or propose a swap")
    ask = page.get_by_label("Ask", exact=True)
    expect(ask.locator("option", has_text="bob (@bob)")).to_contain_text("h on call in 90 days")
    ask.select_option(value=str(people["bob"].pk))
    page.get_by_label("Reason").fill("Dentist")
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#request")).to_contain_text("Waiting for a colleague")

    # Bob accepts from his inbox, in one click, without a page load.
    bob_context = browser.new_context()
    bob = bob_context.new_page()
    try:
        login(bob, live_server, "bob", "pw")
        bob.get_by_role("navigation", name="Main").get_by_role(
            "link", name=re.compile("Inbox")
        ).click()
        message = bob.locator("li.message", has_text="alice asks you to cover: Primary")
        expect(message).to_contain_text("Dentist")
        bob.evaluate("window.runwellSamePage = true")
        message.get_by_role("button", name="Accept").click()
        expect(message.locator(".swap-actions")).to_contain_text("In effect")
        expect(message.get_by_role("status")).to_contain_text("the shift is yours")
        expect(message.get_by_role("button", name="Accept")).to_have_count(0)
        assert bob.evaluate("window.runwellSamePage") is True

        # The calendar shows bob covering for alice on her day.
        bob.goto(
            f"{live_server.url}{schedule.get_absolute_url()}?view=week&start={alice_day:%Y-%m-%d}"
        )
        final = bob.locator(".cal-row.final")
        covered = final.locator(".bar.swap-covered")
        expect(covered).to_have_count(1)
        expect(covered).to_contain_text("bob for alice")
        expect(covered).to_have_attribute("title", re.compile("covered by bob for alice"))
        expect(bob.locator("#swaps")).to_contain_text("Covered by bob for alice")
    finally:
        bob_context.close()

    # Alice's shift is gone from her list: the next one is three days later.
    page.goto(f"{live_server.url}/oncall/")
    expect(page.locator("#shifts tbody tr").first).not_to_contain_text(
        alice_day.strftime("%a %-d %b") + " 00:00"
    )


# --------------------------------------------------------------------------------------------
# A request's page follows every answer given on it: history, "On the rota", the facts
# --------------------------------------------------------------------------------------------


@pytest.fixture
def asked(rota):
    """alice asks bob to cover her shift tomorrow; mia manages the team."""
    schedule, alice_day, people = rota
    factories.MembershipFactory(team=schedule.team, user__username="mia", role="manager")
    start = datetime.combine(alice_day, time(0), tzinfo=UTC)
    request = swap_services.swap_request_create(
        schedule=schedule,
        requester=people["alice"],
        by=people["alice"],
        shift_start=start,
        shift_end=start + timedelta(days=1),
        target=people["bob"],
        reason="Dentist",
    )
    return request, people


def _open(page, live_server, login, username, request):
    login(page, live_server, username, "pw")
    page.goto(f"{live_server.url}{request.get_absolute_url()}")
    page.evaluate("window.runwellSamePage = true")
    page.on("dialog", lambda dialog: dialog.accept())
    return page.locator("#history")


def test_accept_and_revert_update_the_history_and_on_the_rota(page, live_server, login, asked):
    request, _ = asked
    history = _open(page, live_server, login, "bob", request)
    expect(history).not_to_contain_text("On the rota")
    page.locator("#request").get_by_role("button", name="Accept").click()
    expect(page.locator("#request").get_by_role("status")).to_contain_text("the shift is yours")
    expect(history.locator(".swap-events")).to_contain_text("bob accepted")
    expect(history).to_contain_text("On the rota")
    expect(history).to_contain_text("bob covers for alice")
    expect(page.locator("#request-facts")).to_contain_text("Taken by")
    assert page.evaluate("window.runwellSamePage") is True

    page.context.clear_cookies()
    history = _open(page, live_server, login, "mia", request)
    page.locator("#request").get_by_role("button", name="Revert (as manager)").click()
    expect(page.locator("#request").get_by_role("status")).to_contain_text("Reverted")
    expect(history.locator(".swap-events")).to_contain_text("mia reverted")
    expect(history).not_to_contain_text("On the rota")
    expect(history).not_to_contain_text("bob covers for alice")
    assert page.evaluate("window.runwellSamePage") is True


def test_decline_updates_the_history(page, live_server, login, asked):
    request, _ = asked
    history = _open(page, live_server, login, "bob", request)
    page.locator("#request").get_by_role("button", name="Decline").click()
    expect(history.locator(".swap-events")).to_contain_text("bob declined")
    assert page.evaluate("window.runwellSamePage") is True


def test_withdraw_updates_the_history(page, live_server, login, asked):
    request, _ = asked
    history = _open(page, live_server, login, "alice", request)
    page.locator("#request").get_by_role("button", name="Withdraw").click()
    expect(history.locator(".swap-events")).to_contain_text("alice withdrew")
    assert page.evaluate("window.runwellSamePage") is True


def test_approve_updates_the_history_on_the_rota_and_drops_reject_with_a_reason(
    page, live_server, login, asked
):
    request, people = asked
    team = request.schedule.team
    team.swap_approval_required = True
    team.save(update_fields=["swap_approval_required"])
    swap_services.swap_request_accept(request=request, by=people["bob"])
    history = _open(page, live_server, login, "mia", request)
    expect(page.locator("#request-reject")).to_contain_text("Reject with a reason")
    expect(history).not_to_contain_text("On the rota")
    page.locator("#request").get_by_role("button", name="Approve").click()
    expect(history.locator(".swap-events")).to_contain_text("mia approved")
    expect(history).to_contain_text("bob covers for alice")
    expect(page.locator("#request-reject")).not_to_contain_text("Reject with a reason")
    assert page.evaluate("window.runwellSamePage") is True


def test_an_accept_that_cannot_be_used_looks_disabled_and_says_why(page, live_server, login, rota):
    """Bob is on time off during alice's shift that she asks the team to cover: his Accept is
    greyed out, cannot be pressed, and the reason is written beside it (not only a tooltip)."""
    schedule, alice_day, people = rota
    start = datetime.combine(alice_day, time(0), tzinfo=UTC)
    swap_services.swap_request_create(
        schedule=schedule,
        requester=people["alice"],
        by=people["alice"],
        shift_start=start,
        shift_end=start + timedelta(days=1),
        reason="Dentist",
    )
    time_off.time_off_create(
        user=people["bob"], start=start - timedelta(days=1), end=start + timedelta(days=2)
    )

    login(page, live_server, "bob", "pw")
    page.goto(f"{live_server.url}/oncall/swaps/")
    accept = page.get_by_role("button", name="Accept", exact=True).first
    expect(accept).to_be_disabled()
    reason = page.locator(".swap-actions .why").first
    expect(reason).to_be_visible()
    expect(reason).to_contain_text("time off")
    expect(accept).to_have_accessible_description(re.compile("time off"))
    looks = accept.evaluate(
        "b => { const s = getComputedStyle(b); return [s.backgroundColor, s.cursor]; }"
    )
    assert looks[1] == "not-allowed"
    assert looks[0] != "rgb(15, 118, 110)", "a disabled button must not wear the accent colour"
