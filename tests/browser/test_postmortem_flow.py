"""A postmortem in a real browser: start it from a resolved incident in one click, write as
you type (autosave, and a colleague's stale save refused with their text shown), add an
action item, ask for a review (Publish is offered only once it is approved), get it approved
and publish it."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident, IncidentEvent
from portal.catalog.models import Service
from portal.people.models import Team

pytestmark = pytest.mark.browser


def _resolved_incident() -> Incident:
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["demo", "bob"])}
    now = timezone.now()
    start = now - timedelta(hours=2)
    incident = Incident.objects.create(
        team=Team.objects.get(slug="payments"),
        title="Card payments failing at checkout",
        severity=2,
        status=Incident.Status.RESOLVED,
        commander=users["demo"],
        triggered_at=start,
        acknowledged_at=start + timedelta(minutes=3),
        acknowledged_by=users["bob"],
        resolved_at=start + timedelta(minutes=41),
        resolved_by=users["demo"],
    )
    incident.services.set(Service.objects.filter(slug="payments-api"))
    for minutes, kind, actor, message in [
        (0, IncidentEvent.Kind.TRIGGERED, None, "Triggered by Alertmanager: HighErrorRate."),
        (3, IncidentEvent.Kind.ACKNOWLEDGED, users["bob"], "Acknowledged by Bob."),
        (25, IncidentEvent.Kind.NOTE, users["demo"], "Rolled back the config push."),
        (41, IncidentEvent.Kind.RESOLVED, users["demo"], "Resolved."),
    ]:
        IncidentEvent.objects.create(
            incident=incident,
            at=start + timedelta(minutes=minutes),
            kind=kind,
            actor=actor,
            message=message,
        )
    return incident


def _second_user(browser, live_server, login, username):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_server, username, "demo")
    return context, page, errors


def test_write_a_postmortem_from_an_incident_and_publish_it(
    browser, page, live_server, demo_data, login
):
    incident = _resolved_incident()
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    page.get_by_role("button", name="Start postmortem").click()

    # One click: the editor opens, pre-filled from the incident.
    expect(page).to_have_url(re.compile(r"/postmortems/\d+/edit/$"))
    pm_url = page.url.removesuffix("edit/")
    expect(page.locator("#header").get_by_label("Title")).to_have_value(
        "Card payments failing at checkout"
    )
    timeline = page.locator("#timeline-entries")
    expect(timeline.locator("li")).to_have_count(4)
    expect(timeline.locator("textarea[name=text]").nth(2)).to_have_value(
        "Rolled back the config push."
    )
    expect(page.locator("#header")).to_contain_text("Bob Okafor")  # people involved

    # A colleague opens the same postmortem before anything is written.
    context2, alice_page, alice_errors = _second_user(browser, live_server, login, "alice")
    alice_page.goto(f"{pm_url}edit/")

    # Autosave: type, and "saved" appears without a page load.
    page.evaluate("window.runwellSamePage = true")
    summary = page.locator("textarea[data-section='Summary']")
    summary.fill("A config push broke **card payments** for 41 minutes.")
    summary_status = page.locator("form.pm-section", has=summary).locator(".save-status")
    expect(summary_status).to_contain_text("Saved at")

    # Her save is based on the old version: refused, with Dana's text shown.
    alice_summary = alice_page.locator("textarea[data-section='Summary']")
    alice_summary.fill("Payments broke.")
    alice_status = alice_page.locator("form.pm-section", has=alice_summary).locator(".save-status")
    expect(alice_status).to_contain_text("Not saved")
    expect(alice_status.locator("pre.theirs")).to_contain_text("card payments")
    alice_status.get_by_role("button", name="Discard mine, load theirs").click()
    expect(alice_page.locator("textarea[data-section='Summary']")).to_have_value(
        "A config push broke **card payments** for 41 minutes."
    )
    context2.close()
    assert not alice_errors, alice_errors

    # More writing and a timeline annotation.
    lessons = page.locator("textarea[data-section='Lessons']")
    lessons.fill("Config changes need a canary.")
    expect(page.locator("form.pm-section", has=lessons).locator(".save-status")).to_contain_text(
        "Saved at"
    )
    entry = timeline.locator("li").nth(2)
    entry.locator("textarea[name=annotation]").fill("The push had no change event.")
    entry.get_by_role("button", name="Save", exact=True).click()
    expect(timeline.locator("li").nth(2).locator(".save-status")).to_contain_text("Saved")

    # An action item: a bad owner is refused next to the field, then it is added.
    items = page.locator("#pm-items")
    items.get_by_label("Title").fill("Canary every config change")
    items.get_by_label("Owner").fill("nobody-by-that-name")
    items.get_by_role("button", name="Add action item").click()
    expect(items.get_by_role("alert")).to_contain_text("There is no active user named")
    items = page.locator("#pm-items")
    items.get_by_label("Owner").fill("bob")
    items.get_by_role("button", name="Add action item").click()
    expect(page.locator("#pm-items")).to_contain_text("Action item added.")
    expect(page.locator("#pm-items tbody tr")).to_have_count(1)
    expect(page.locator("#pm-items tbody tr")).to_contain_text("Bob Okafor")
    assert page.evaluate("window.runwellSamePage") is True

    # Ask Alice to review.
    page.locator("#review-form").get_by_label("Reviewers").fill("alice")
    page.locator("#review-form").get_by_role("button", name="Request review").click()
    expect(page.locator("#workflow")).to_contain_text("In review")
    # Not yet publishable: no Publish button, but what it waits for.
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    expect(page.locator("#publish-waiting")).to_have_text("Publish after approval by Alice Martin.")

    # Alice approves.
    context2, alice_page, alice_errors = _second_user(browser, live_server, login, "alice")
    alice_page.goto(pm_url)
    alice_page.get_by_role("button", name="Approve").click()
    expect(alice_page.locator("#reviewers")).to_contain_text("approved")
    context2.close()
    assert not alice_errors, alice_errors

    # Dana publishes; everyone can read it, rendered from Markdown.
    page.goto(pm_url)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#workflow")).to_contain_text("Published")
    expect(page.locator("#pm-body strong")).to_have_text("card payments")
    expect(page.locator("#timeline")).to_contain_text("The push had no change event.")
    page.goto(f"{live_server.url}/postmortems/?q=canary")
    expect(page.locator("#pm-results")).to_contain_text("Card payments failing at checkout")
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(page.locator("#postmortem-box")).to_contain_text("Canary every config change")
