"""An alert in a real browser: Alertmanager posts to the webhook, the on-call person sees the
incident appear (the page updates itself as escalation pages her), acknowledges it and sees
escalation stop: later ticks page nobody else."""

import json
import re
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents import escalation, ingest
from incidents.models import Incident
from portal.notifications.models import Kind, Message
from tests import factories
from tests.incidents.conftest import am_alert, am_payload

pytestmark = pytest.mark.browser


@pytest.fixture
def on_call(transactional_db):
    """Payments: alice is on call (a weekly rota of one), bob is the backup after 5 minutes."""
    team = factories.TeamFactory(slug="payments", name="Payments")
    alice = factories.MembershipFactory(team=team, user__username="alice").user
    bob = factories.MembershipFactory(team=team, user__username="bob").user
    schedule = factories.ScheduleFactory(team=team, name="Payments primary")
    factories.LayerFactory(schedule=schedule, participants=[alice])
    policy = factories.EscalationPolicyFactory(team=team, name="Payments default")
    factories.EscalationStepFactory(policy=policy, position=0, wait_minutes=5, schedules=[schedule])
    factories.EscalationStepFactory(policy=policy, position=1, wait_minutes=5, users=[bob])
    integration = factories.IntegrationFactory(team=team, name="Prometheus")
    return integration, alice, bob


def test_alert_pages_the_on_call_person_who_acknowledges_and_escalation_stops(
    page, live_server, login, on_call
):
    integration, alice, bob = on_call
    login(page, live_server, "alice", "pw")

    # Alertmanager posts a firing alert.
    payload = am_payload(am_alert("f00d", summary="Checkout 5xx above 2%", instance="api-1"))
    response = httpx.post(
        f"{live_server.url}/hooks/alertmanager/{integration.token}/",
        content=json.dumps(payload),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 202
    ingest.inbox_drain()  # what the worker does once the webhook has stored the payload
    assert Incident.objects.get().status == Incident.Status.TRIGGERED  # stored, nobody paged
    assert not Message.objects.exists()

    # The on-call person sees it on her dashboard and opens it.
    page.goto(f"{live_server.url}/")
    panel = page.locator("section.panel", has=page.get_by_role("heading", name="Open incidents"))
    expect(panel).to_contain_text("Checkout 5xx above 2%")
    panel.get_by_role("link", name=re.compile("Checkout 5xx")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout 5xx above 2%")
    expect(page.locator("[data-status]")).to_have_text("Triggered")

    # The beat tick pages her; the open page shows it without a reload (htmx polling).
    now = timezone.now()
    escalation.escalation_tick(now=now)
    assert list(Message.objects.filter(kind=Kind.PAGE).values_list("user", flat=True)) == [alice.pk]
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Paged Alice", timeout=15_000, ignore_case=True)
    expect(page.locator("#escalation-state")).to_contain_text("Next step 2")

    # She acknowledges; escalation stops.
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("[data-status]")).to_have_text("Acknowledged")
    expect(page.locator("#escalation-state")).to_have_attribute("data-state", "stopped")
    expect(page.locator("#escalation-state")).to_contain_text("Escalation stopped: acknowledged")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)

    # Step 2 would have paged bob five minutes later: nobody else is ever paged.
    for minutes in (5, 10, 60):
        escalation.escalation_tick(now=now + timedelta(minutes=minutes))
    assert not Message.objects.filter(kind=Kind.PAGE, user=bob).exists()
    assert Message.objects.filter(kind=Kind.PAGE).count() == 1
    page.reload()
    expect(timeline).to_contain_text("Acknowledged by")
    expect(timeline.locator("li[data-kind=page]")).to_have_count(1)


def test_a_timeline_note_is_checked_in_place_and_the_timeline_follows(
    page, live_server, login, on_call, settings
):
    settings.DEBUG = True  # as under `make run`, where a 400 must not become a whole page
    integration, alice, _ = on_call
    incident = factories.IncidentFactory(team=integration.team, title="Disk full on db-1")
    login(page, live_server, "alice", "pw")
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    page.evaluate("window.runwellSamePage = true")
    note = page.locator("#note")
    note.get_by_role("button", name="Add").click()
    expect(note.get_by_role("alert")).to_contain_text("This field is required.")
    expect(page).to_have_url(re.compile(rf"/incidents/{incident.pk}/$"))

    note.get_by_label("Note").fill("Cleaning old WAL segments")
    note.get_by_role("button", name="Add").click()
    expect(note.get_by_role("status")).to_contain_text("Added to the timeline.")
    expect(page.locator("#incident-live")).to_contain_text("Cleaning old WAL segments")
    expect(note.get_by_label("Note")).to_have_value("")
    assert page.evaluate("window.runwellSamePage") is True
