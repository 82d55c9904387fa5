"""Incident pages: list, detail, actions and who may take them, the signed page link, and the
team set-up pages (integrations, policies, maintenance)."""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.utils import timezone

from incidents import escalation
from incidents.models import (
    EscalationPolicy,
    EscalationStep,
    Incident,
    IncidentEvent,
    Integration,
    MaintenanceWindow,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(team, service):
    incident = factories.IncidentFactory(team=team, title="Checkout is slow", severity=2)
    incident.services.set([service])
    return incident


def login(client, user):
    client.force_login(user)
    return client


# ------------------------------------------------------------------------------- access
def test_anonymous_is_sent_to_login(client, incident):
    for url in ("/incidents/", f"/incidents/{incident.pk}/", "/incidents/declare/"):
        r = client.get(url)
        assert r.status_code == 302 and "/login/" in r["Location"]


def test_everyone_logged_in_can_view_but_only_members_act(client, incident, outsider):
    login(client, outsider)
    r = client.get(f"/incidents/{incident.pk}/")
    assert r.status_code == 200
    assert b"Checkout is slow" in r.content
    assert b"Acknowledge</button>" not in r.content
    assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 403
    assert client.post(f"/incidents/{incident.pk}/note/", {"text": "hi"}).status_code == 403
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED
    assert not incident.events.exists()


def test_unknown_incident_is_404(client, member):
    login(client, member)
    assert client.get("/incidents/999999/").status_code == 404
    assert client.post("/incidents/999999/acknowledge/").status_code == 404


def test_staff_can_act_on_any_incident(client, incident, staff):
    login(client, staff)
    r = client.post(f"/incidents/{incident.pk}/acknowledge/")
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED


# ------------------------------------------------------------------------------- actions
def test_member_acknowledges_and_the_timeline_says_who(client, incident, member):
    login(client, member)
    incident.next_escalation_at = timezone.now()
    incident.save()
    r = client.post(f"/incidents/{incident.pk}/acknowledge/", follow=True)
    assert r.status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    assert incident.acknowledged_by == member
    assert incident.next_escalation_at is None
    event = incident.events.get(kind="acknowledged")
    assert event.actor == member
    assert b"Escalation stopped: acknowledged" in r.content


def test_resolve_asks_whether_it_was_actionable(client, incident, member):
    login(client, member)
    r = client.post(f"/incidents/{incident.pk}/resolve/", {"note": "restarted"})
    assert r.status_code == 400
    assert b"feeds the load review" in r.content
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED

    r = client.post(f"/incidents/{incident.pk}/resolve/", {"actionable": "no", "note": "flap"})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.actionable, incident.resolution_note) == (
        "resolved",
        False,
        "flap",
    )


def test_note_status_update_severity_and_roles(client, incident, member, manager):
    login(client, member)
    url = f"/incidents/{incident.pk}"
    assert client.post(f"{url}/note/", {"text": "Looking at the DB"}).status_code == 302
    assert (
        client.post(
            f"{url}/note/", {"text": "Customers affected", "status_update": "on"}
        ).status_code
        == 302
    )
    assert client.post(f"{url}/note/", {"text": "  "}).status_code == 400
    assert client.post(f"{url}/severity/", {"severity": "1"}).status_code == 302
    assert client.post(f"{url}/severity/", {"severity": "9"}).status_code == 400
    assert client.post(f"{url}/role/", {"role": "commander", "user": manager.pk}).status_code == 302
    assert client.post(f"{url}/role/", {"role": "comms_lead", "user": member.pk}).status_code == 302
    incident.refresh_from_db()
    assert (incident.severity, incident.commander, incident.comms_lead) == (1, manager, member)
    kinds = list(incident.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["note", "status_update", "severity", "commander", "comms_lead"]
    assert incident.events.filter(actor=member).count() == 5


def test_an_empty_note_from_the_page_form_is_refused_in_place(client, incident, member):
    """htmx: the note card comes back with the error (400), not a page; nothing written."""
    login(client, member)
    htmx = {"HX-Request": "true", "HX-Target": "note"}
    r = client.post(f"/incidents/{incident.pk}/note/", {"text": "  "}, headers=htmx)
    assert r.status_code == 400
    body = r.content.decode()
    assert body.lstrip().startswith('<section class="card" id="note">'), body[:200]
    assert "<html" not in body and "This field is required." in body
    assert "HX-Trigger" not in r
    assert not incident.events.filter(kind="note").exists()

    r = client.post(f"/incidents/{incident.pk}/note/", {"text": "Looking at it"}, headers=htmx)
    assert r.status_code == 200
    assert "incidentChanged" in json.loads(r["HX-Trigger"])  # the timeline reloads
    body = r.content.decode()
    assert "Added to the timeline." in body and "This field is required." not in body
    assert incident.events.filter(kind="note", message="Looking at it").exists()


def test_an_empty_note_without_htmx_shows_the_incident_page_with_the_error(
    client, incident, member
):
    login(client, member)
    r = client.post(f"/incidents/{incident.pk}/note/", {"text": ""})
    assert r.status_code == 400
    body = r.content.decode()
    assert "<html" in body and "Checkout is slow" in body
    note_card = body[body.index('id="note"') :]
    assert "This field is required." in note_card[: note_card.index("</section>")]


def test_the_live_part_reloads_when_the_incident_changes_even_once_resolved(
    client, incident, member
):
    login(client, member)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'hx-trigger="every 5s, incidentChanged from:body"' in page
    incident.status = Incident.Status.RESOLVED
    incident.save(update_fields=["status"])
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'hx-trigger="incidentChanged from:body"' in page


def test_escalate_now_does_not_page_inside_the_request(
    client, incident, member, django_capture_on_commit_callbacks
):
    from portal.notifications.models import Message

    login(client, member)
    with django_capture_on_commit_callbacks() as callbacks:
        r = client.post(f"/incidents/{incident.pk}/escalate/")
    assert r.status_code == 302
    assert len(callbacks) == 1  # the kick
    assert not Message.objects.exists()
    incident.refresh_from_db()
    assert incident.next_escalation_at is not None


def test_reassign(client, incident, member):
    other = factories.TeamFactory(name="Platform")
    login(client, member)
    r = client.post(f"/incidents/{incident.pk}/reassign/", {"team": other.pk})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.team == other
    assert incident.events.filter(kind="reassigned").exists()
    # The old team's member can no longer act; the new team's can.
    assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 403


def test_acting_on_a_resolved_incident_is_refused_with_a_reason(client, incident, member):
    from incidents import services

    services.incident_resolve(incident=incident, by=member, actionable=True)
    login(client, member)
    r = client.post(f"/incidents/{incident.pk}/escalate/", follow=True)
    assert b"cannot be escalated" in r.content


# ------------------------------------------------------------------------------- declare
def test_declare_incident_goes_to_the_services_team(client, service, outsider):
    login(client, outsider)
    r = client.get("/incidents/declare/")
    assert r.status_code == 200
    r = client.post(
        "/incidents/declare/",
        {
            "title": "Payments failing",
            "severity": "1",
            "services": [service.pk],
            "description": "Card auths erroring",
        },
    )
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert (incident.team, incident.severity, incident.created_by) == (service.team, 1, outsider)
    assert incident.next_escalation_at is not None
    assert incident.events.get(kind="triggered").actor == outsider


@pytest.mark.clock("2027-03-14T07:30:00Z")
def test_declaring_is_limited_per_person(client, clock, service, outsider, settings):
    """A member of another team declared 20 SEV1 incidents in 1.2 s, paging 20 times."""
    settings.INCIDENT_DECLARE_RATE = (5, 600)
    login(client, outsider)
    data = {"title": "Payments down", "severity": "1", "services": [service.pk]}
    for _ in range(5):
        assert client.post("/incidents/declare/", data).status_code == 302
    refused = client.post("/incidents/declare/", data)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"  # the clock sits at the window's start
    body = refused.content.decode()
    assert 'role="alert"' in body and "You have declared 5 incidents within 10 minutes" in body
    assert "Try again in 10 minutes" in body
    assert Incident.objects.count() == 5  # nothing paged for the refused one
    # Someone else may still declare; the person may again once the window has passed.
    login(client, factories.UserFactory())
    assert client.post("/incidents/declare/", data).status_code == 302
    clock.advance(minutes=10)
    login(client, outsider)
    assert client.post("/incidents/declare/", data).status_code == 302
    assert Incident.objects.count() == 7


@pytest.mark.clock("2027-03-14T07:30:00Z")
def test_refused_or_invalid_declarations_do_not_count(client, service, member, settings):
    settings.INCIDENT_DECLARE_RATE = (2, 600)
    login(client, member)
    for _ in range(3):  # invalid: a 400 each, none counted
        assert client.post("/incidents/declare/", {"title": "", "severity": "2"}).status_code == 400
    data = {"title": "Payments down", "severity": "2", "services": [service.pk]}
    assert [client.post("/incidents/declare/", data).status_code for _ in range(4)] == [
        302,
        302,
        429,
        429,
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "severity": "2"}, "title"),
        ({"title": "x", "severity": "5"}, "severity"),
        ({"title": "x", "severity": "2"}, "services"),
    ],
)
def test_declare_bad_input_is_400_next_to_the_field(client, member, data, field):
    login(client, member)
    r = client.post("/incidents/declare/", data)
    assert r.status_code == 400
    assert f'id="id_{field}-error"'.encode() in r.content
    assert not Incident.objects.exists()


# ------------------------------------------------------------------------------- list
def test_list_filters(client, team, service, member):
    other_team = factories.TeamFactory()
    mine = factories.IncidentFactory(team=team, title="Mine open", severity=1)
    mine.services.set([service])
    factories.IncidentFactory(team=team, title="Mine resolved", status="resolved", severity=3)
    factories.IncidentFactory(team=other_team, title="Theirs acked", status="acknowledged")
    login(client, member)

    def titles(query=""):
        r = client.get(f"/incidents/?{query}")
        assert r.status_code == 200
        return set(re.findall(rb"#\d+ ([A-Za-z ]+)</a>", r.content))

    assert titles() == {b"Mine open", b"Theirs acked"}  # default: open
    assert titles("status=all") == {b"Mine open", b"Mine resolved", b"Theirs acked"}
    assert titles("status=resolved") == {b"Mine resolved"}
    assert titles(f"status=all&team={other_team.slug}") == {b"Theirs acked"}
    assert titles(f"status=all&service={service.slug}") == {b"Mine open"}
    assert titles("status=all&severity=1") == {b"Mine open"}
    assert titles("status=all&mine=on") == {b"Mine open", b"Mine resolved"}


def test_list_htmx_returns_only_the_results(client, member, incident):
    login(client, member)
    r = client.get("/incidents/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="incident-results")
    assert r.status_code == 200
    assert b'id="incident-results"' in r.content
    assert b"<html" not in r.content


def test_list_paginates_with_a_fixed_number_of_queries(
    client, team, service, member, django_assert_max_num_queries
):
    for i in range(60):
        inc = factories.IncidentFactory(team=team, title=f"Incident {i}")
        inc.services.set([service])
    login(client, member)
    with django_assert_max_num_queries(12):
        r = client.get("/incidents/")
    assert r.status_code == 200
    assert b"Page 1 of 2" in r.content
    with django_assert_max_num_queries(12):
        assert client.get("/incidents/?page=2").status_code == 200


def test_bad_filter_is_400(client, member):
    login(client, member)
    assert client.get("/incidents/?severity=7").status_code == 400


# -------------------------------------------------------------------------- detail / live
def test_detail_shows_alerts_timeline_and_escalation_state(client, incident, member):
    factories.AlertFactory(incident=incident, summary="p99 latency over 2s")
    factories.IncidentEventFactory(incident=incident, message="Paged Alice", kind="page")
    incident.next_escalation_at = timezone.now() + timedelta(minutes=5)
    incident.save()
    login(client, member)
    r = client.get(f"/incidents/{incident.pk}/")
    assert b"p99 latency over 2s" in r.content
    assert b"Paged Alice" in r.content
    assert b'data-state="waiting"' in r.content
    assert b'hx-trigger="every 5s, incidentChanged from:body"' in r.content


def test_live_partial_for_htmx_polling(client, incident, member, django_assert_max_num_queries):
    login(client, member)
    with django_assert_max_num_queries(15):
        r = client.get(
            f"/incidents/{incident.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="incident-live"
        )
    assert r.status_code == 200
    assert r.content.lstrip().startswith(b'<div id="incident-live"')
    assert b"<html" not in r.content


def test_maintenance_reason_is_shown(client, incident, member):
    incident.paging_suppressed_reason = "Checkout is in maintenance until 12:00 UTC"
    incident.save()
    login(client, member)
    assert b"in maintenance until 12:00" in client.get(f"/incidents/{incident.pk}/").content


@pytest.mark.parametrize(
    "source",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
    ],
)
def test_an_alert_source_that_is_not_http_is_never_a_link(client, incident, member, source):
    """Whoever holds an integration's token chooses ``source``: only http(s) becomes a link."""
    factories.AlertFactory(incident=incident, source=source, summary="Hostile source")
    login(client, member)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Hostile source" in page
    assert ">source</a>" not in page
    assert 'href="javascript' not in page.lower() and 'href="data:' not in page


def test_an_alert_source_that_is_http_is_a_link(client, incident, member):
    factories.AlertFactory(incident=incident, source="https://prometheus.example/graph?g0.expr=up")
    factories.AlertFactory(incident=incident, source="nagios")
    login(client, member)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'href="https://prometheus.example/graph?g0.expr=up"' in page
    assert "from nagios" in page


# ----------------------------------------------------------------------- signed page link
def test_page_link_get_changes_nothing_and_post_acknowledges(client, incident, member):
    path = escalation.page_link_path(incident_id=incident.pk, user_id=member.pk)
    r = client.get(path)  # no login: it is the page's link
    assert r.status_code == 200
    assert b"Acknowledge" in r.content
    assert r["Cache-Control"].startswith("max-age=0")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED and not incident.events.exists()

    r = client.post(path, {"action": "acknowledge"})
    assert r.status_code == 200
    assert b"Acknowledged" in r.content
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    assert incident.acknowledged_by == member


def test_page_link_resolves_with_the_actionable_answer(client, incident, member):
    path = escalation.page_link_path(incident_id=incident.pk, user_id=member.pk)
    assert client.post(path, {"action": "resolve"}).status_code == 400
    r = client.post(path, {"action": "resolve", "actionable": "yes", "note": "fixed"})
    assert r.status_code == 200
    incident.refresh_from_db()
    assert (incident.status, incident.actionable, incident.resolved_by) == (
        "resolved",
        True,
        member,
    )


def test_page_link_after_acknowledge_shows_the_resolve_form_without_errors(
    client, incident, member
):
    """Acknowledging submits nothing to the resolve form: it must not show its errors."""
    path = escalation.page_link_path(incident_id=incident.pk, user_id=member.pk)
    assert "Say whether this needed a person" not in client.get(path).content.decode()
    r = client.post(path, {"action": "acknowledge"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "Acknowledged. Escalation has stopped." in body
    assert "Say whether this needed a person" not in body
    assert 'class="error"' not in body
    # A resolve without the answer still says so.
    r = client.post(path, {"action": "resolve"})
    assert r.status_code == 400
    assert "Say whether this needed a person" in r.content.decode()


def test_page_link_shows_times_in_the_paged_persons_zone(client, team, incident):
    person = factories.MembershipFactory(team=team, user__time_zone="America/New_York").user
    incident.triggered_at = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)  # 09:30 in New York
    incident.save(update_fields=["triggered_at"])
    path = escalation.page_link_path(incident_id=incident.pk, user_id=person.pk)
    for r in (client.get(path), client.post(path, {"action": "acknowledge"})):
        body = r.content.decode()
        assert "triggered Tue 8 Dec 09:30" in body, body
        assert "America/New_York" in body
        assert "14:30" not in body


def test_page_link_needs_csrf(incident, member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    path = escalation.page_link_path(incident_id=incident.pk, user_id=member.pk)
    assert strict.post(path, {"action": "acknowledge"}).status_code == 403
    page = strict.get(path)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1)
    r = strict.post(path, {"action": "acknowledge", "csrfmiddlewaretoken": token.decode()})
    assert r.status_code == 200
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED


def test_forged_and_expired_page_links(client, incident, member, settings):
    path = escalation.page_link_path(incident_id=incident.pk, user_id=member.pk)
    assert client.get(path.replace("/respond/", "/respond/x")).status_code == 404
    forged = signing.dumps({"i": incident.pk, "u": member.pk}, salt="another-salt")
    assert (
        client.post(f"/incidents/respond/{forged}/", {"action": "acknowledge"}).status_code == 404
    )
    lifetime = escalation.PAGE_LINK_MAX_AGE.total_seconds()

    class SignedLongAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time() - lifetime - 60))

    stale = SignedLongAgo(salt=escalation.PAGE_LINK_SALT).sign_object(
        {"i": incident.pk, "u": member.pk}, compress=True
    )
    r = client.post(f"/incidents/respond/{stale}/", {"action": "acknowledge"})
    assert r.status_code == 410
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED


# --------------------------------------------------------------------------- integrations
def test_creating_an_integration_shows_its_token_once(client, team, manager):
    login(client, manager)
    r = client.post(
        f"/incidents/teams/{team.slug}/integrations/",
        {
            "name": "Prometheus",
            "kind": "alertmanager",
            "auto_resolve": "on",
            "default_severity": "4",
            "rate_limit_per_minute": "120",
            "severity_map_text": "critical=SEV1\nwarning=sev3",
        },
    )
    integration = Integration.objects.get()
    assert r.status_code == 302  # post/redirect/get: the token page shows it once
    assert r["Location"] == f"/incidents/integrations/{integration.pk}/token/"
    r = client.get(r["Location"])
    assert r["Cache-Control"] == "no-store"
    token = re.search(rb'<code id="token">([^<]+)</code>', r.content).group(1).decode()
    assert f"/hooks/alertmanager/{token}/".encode() in r.content
    assert integration.severity_map == {"critical": 1, "warning": 3}
    assert token not in integration.token_hash and integration.token_matches(token)
    listing = client.get(f"/incidents/teams/{team.slug}/integrations/")
    assert token.encode() not in listing.content  # never shown again

    r = client.post(f"/incidents/integrations/{integration.pk}/rotate/", follow=True)
    new = re.search(rb'<code id="token">([^<]+)</code>', r.content).group(1).decode()
    integration.refresh_from_db()
    assert new != token and integration.token_matches(new) and not integration.token_matches(token)


def test_integration_pages_are_for_managers(client, team, member, service):
    integration = factories.IntegrationFactory(team=team)
    login(client, member)
    assert client.get(f"/incidents/teams/{team.slug}/integrations/").status_code == 403
    assert client.get(f"/incidents/integrations/{integration.pk}/").status_code == 403
    assert client.post(f"/incidents/integrations/{integration.pk}/rotate/").status_code == 403
    assert client.get("/incidents/teams/nope/integrations/").status_code == 404


def test_edit_integration_settings_and_bad_mapping(client, team, manager):
    integration = factories.IntegrationFactory(team=team)
    login(client, manager)
    url = f"/incidents/integrations/{integration.pk}/"
    base = {
        "name": "Prom",
        "default_severity": "3",
        "rate_limit_per_minute": "10",
        "heartbeat_minutes": "",
    }
    r = client.post(url, {**base, "severity_map_text": "critical"})
    assert r.status_code == 400
    assert b"value=SEVn" in r.content
    r = client.post(url, {**base, "severity_map_text": "critical=SEV1", "enabled": ""})
    assert r.status_code == 302
    integration.refresh_from_db()
    assert (integration.enabled, integration.severity_map) == (False, {"critical": 1})


# ------------------------------------------------------------------------------ policies
def test_manager_builds_a_policy_with_steps(client, team, manager, member):
    schedule = factories.ScheduleFactory(team=team)
    login(client, manager)
    r = client.post(
        f"/incidents/teams/{team.slug}/policies/", {"name": "Default", "repeat_count": "2"}
    )
    policy = EscalationPolicy.objects.get()
    assert r["Location"] == f"/incidents/policies/{policy.pk}/"
    url = f"/incidents/policies/{policy.pk}/steps/"
    assert client.post(url, {"wait_minutes": "5", "schedules": [schedule.pk]}).status_code == 302
    assert client.post(url, {"wait_minutes": "10", "users": [member.pk]}).status_code == 302
    assert client.post(url, {"wait_minutes": "10", "notify_managers": "on"}).status_code == 302
    r = client.post(url, {"wait_minutes": "10"})  # no target
    assert r.status_code == 400 and b"at least one target" in r.content
    steps = list(policy.steps.order_by("position"))
    assert [s.wait_minutes for s in steps] == [5, 10, 10]
    # Move the last step up, then remove the first.
    client.post(f"/incidents/steps/{steps[2].pk}/", {"action": "up"})
    assert list(policy.steps.order_by("position").values_list("pk", flat=True)) == [
        steps[0].pk,
        steps[2].pk,
        steps[1].pk,
    ]
    client.post(f"/incidents/steps/{steps[0].pk}/", {"action": "delete"})
    assert list(policy.steps.order_by("position").values_list("position", flat=True)) == [0, 1]
    page = client.get(f"/incidents/policies/{policy.pk}/")
    assert page.status_code == 200


def test_second_team_default_policy_is_refused(client, team, manager):
    factories.EscalationPolicyFactory(team=team)
    login(client, manager)
    r = client.post(
        f"/incidents/teams/{team.slug}/policies/", {"name": "Again", "repeat_count": "0"}
    )
    assert r.status_code == 400
    assert EscalationPolicy.objects.count() == 1


def test_schedule_of_another_team_is_not_a_choice(client, team, manager):
    policy = factories.EscalationPolicyFactory(team=team)
    foreign = factories.ScheduleFactory()
    login(client, manager)
    r = client.post(
        f"/incidents/policies/{policy.pk}/steps/", {"wait_minutes": "5", "schedules": [foreign.pk]}
    )
    assert r.status_code == 400
    assert not EscalationStep.objects.exists()


def test_policy_pages_are_for_managers(client, team, member):
    policy = factories.EscalationPolicyFactory(team=team)
    login(client, member)
    assert client.get(f"/incidents/teams/{team.slug}/policies/").status_code == 403
    assert client.get(f"/incidents/policies/{policy.pk}/").status_code == 403
    assert client.post(f"/incidents/policies/{policy.pk}/delete/").status_code == 403


# ---------------------------------------------------------------------------- maintenance
def test_manager_puts_a_service_in_maintenance_and_ends_it(client, service, manager, member):
    login(client, member)
    assert client.get(f"/incidents/services/{service.slug}/maintenance/").status_code == 403
    login(client, manager)
    r = client.post(
        f"/incidents/services/{service.slug}/maintenance/",
        {"duration": "120", "reason": "DB upgrade"},
    )
    assert r.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.ends_at - window.starts_at == timedelta(minutes=120)
    page = client.get(f"/services/{service.slug}/")
    assert b"In maintenance until" in page.content and b"DB upgrade" in page.content
    client.post(f"/incidents/services/{service.slug}/maintenance/", {"action": "end"})
    window.refresh_from_db()
    assert window.ends_at <= timezone.now()


def test_maintenance_until_in_the_past_is_400(client, service, manager):
    login(client, manager)
    r = client.post(
        f"/incidents/services/{service.slug}/maintenance/",
        {"duration": "", "until": "2000-01-01T10:00"},
    )
    assert r.status_code == 400
    assert not MaintenanceWindow.objects.exists()


# --------------------------------------------------------------------------------- panels
def test_dashboard_and_service_page_show_open_incidents(client, incident, member, service):
    factories.IncidentFactory(team=incident.team, title="Old one", status="resolved")
    login(client, member)
    dashboard = client.get("/")
    assert b"Open incidents" in dashboard.content
    assert b"Checkout is slow" in dashboard.content and b"Old one" not in dashboard.content
    page = client.get(f"/services/{service.slug}/")
    assert b"Checkout is slow" in page.content
    team_page = client.get(f"/teams/{incident.team.slug}/")
    assert b"Checkout is slow" in team_page.content


def test_timeline_events_are_listed_newest_first(client, incident, member):
    IncidentEvent.objects.create(incident=incident, kind="note", message="first", actor=member)
    IncidentEvent.objects.create(
        incident=incident,
        kind="note",
        message="second",
        actor=member,
        at=timezone.now() + timedelta(seconds=1),
    )
    login(client, member)
    content = client.get(f"/incidents/{incident.pk}/").content
    assert content.index(b"second") < content.index(b"first")
