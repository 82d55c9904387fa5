"""Held to the spec: how webhook payloads map to alerts and incidents."""

import copy
from datetime import timedelta

import pytest

from incidents import alert_upsert, heartbeats
from incidents.models import Alert, InboxPayload, Incident, IncidentEvent
from incidents.payloads import parse_alertmanager
from portal.notifications.models import Message
from tests import factories
from tests.incidents.conftest import T0, am_alert, am_payload, am_url, generic_url, post_json

pytestmark = pytest.mark.django_db


def snapshot():
    """Everything a re-send must leave alone."""
    return (
        list(Incident.objects.order_by("pk").values()),
        list(Alert.objects.order_by("pk").values()),
        list(IncidentEvent.objects.order_by("pk").values_list("pk", "kind", "message")),
    )


def test_firing_alert_opens_an_incident_for_the_owning_team(client, integration, team):
    r = post_json(client, am_url(integration), am_payload(am_alert("aaa")))
    assert r.status_code == 202
    incident = Incident.objects.get()
    assert r.json() == {"status": "accepted", "alerts": 1}
    assert incident.status == Incident.Status.TRIGGERED
    assert incident.team == team
    assert incident.group_key == '{}:{alertname="HighErrorRate"}'
    assert incident.title == "HighErrorRate on aaa"
    assert incident.severity == 2  # critical → SEV2
    assert incident.next_escalation_at is not None  # escalation scheduled, not run
    alert = incident.alerts.get()
    assert (alert.dedup_key, alert.status) == ("aaa", "firing")
    assert alert.labels["alertname"] == "HighErrorRate"
    assert alert.starts_at.isoformat() == "2025-03-03T01:59:00.123456+00:00"
    assert alert.ends_at is None  # Alertmanager's zero time means "not set"
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["triggered", "alert"]
    assert not Message.objects.exists()  # nobody is paged inside the request


def test_alerts_of_the_same_group_join_the_open_incident(client, integration):
    post_json(client, am_url(integration), am_payload(am_alert("aaa")))
    r = post_json(client, am_url(integration), am_payload(am_alert("aaa"), am_alert("bbb")))
    assert r.status_code == 202
    incident = Incident.objects.get()
    assert sorted(incident.alerts.values_list("dedup_key", flat=True)) == ["aaa", "bbb"]


def test_another_group_key_opens_another_incident(client, integration):
    post_json(client, am_url(integration), am_payload(am_alert("aaa"), group_key="g1"))
    post_json(client, am_url(integration), am_payload(am_alert("bbb"), group_key="g2"))
    assert Incident.objects.count() == 2


def test_resolved_alert_resolves_its_alert_and_last_one_resolves_the_incident(client, integration):
    post_json(client, am_url(integration), am_payload(am_alert("aaa"), am_alert("bbb")))
    incident = Incident.objects.get()

    post_json(
        client,
        am_url(integration),
        am_payload(am_alert("aaa", status="resolved"), am_alert("bbb")),
    )
    incident.refresh_from_db()
    assert incident.alerts.get(dedup_key="aaa").status == "resolved"
    assert incident.alerts.get(dedup_key="aaa").ends_at is not None
    assert incident.status == Incident.Status.TRIGGERED  # bbb still fires

    post_json(
        client,
        am_url(integration),
        am_payload(am_alert("aaa", status="resolved"), am_alert("bbb", status="resolved")),
    )
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.resolved_by is None
    assert incident.next_escalation_at is None
    assert incident.events.filter(kind="resolved", message__contains="every alert").exists()


def test_auto_resolve_off_keeps_the_incident_open(client, team):
    integration = factories.IntegrationFactory(team=team, auto_resolve=False)
    post_json(client, am_url(integration), am_payload(am_alert("aaa")))
    post_json(client, am_url(integration), am_payload(am_alert("aaa", status="resolved")))
    incident = Incident.objects.get()
    assert incident.alerts.get().status == "resolved"
    assert incident.status == Incident.Status.TRIGGERED


def test_resending_the_same_payload_changes_nothing(client, integration):
    payload = am_payload(am_alert("aaa"), am_alert("bbb"))
    post_json(client, am_url(integration), payload)
    before = snapshot()
    for _ in range(3):
        r = post_json(client, am_url(integration), copy.deepcopy(payload))
        assert r.status_code == 202
    assert snapshot() == before


def test_resending_a_resolved_payload_changes_nothing(client, integration):
    post_json(client, am_url(integration), am_payload(am_alert("aaa")))
    resolved = am_payload(am_alert("aaa", status="resolved"))
    post_json(client, am_url(integration), resolved)
    before = snapshot()
    post_json(client, am_url(integration), resolved)
    assert snapshot() == before
    assert Incident.objects.get().status == Incident.Status.RESOLVED


def test_group_membership_changing_between_payloads(client, integration):
    """A later payload of the group lists other alerts: new ones join, missing ones are left
    as they were (absence is not resolution), and the incident resolves only when all have."""
    url = am_url(integration)
    post_json(client, url, am_payload(am_alert("aaa"), am_alert("bbb")))
    post_json(client, url, am_payload(am_alert("bbb"), am_alert("ccc")))
    incident = Incident.objects.get()
    statuses = dict(incident.alerts.values_list("dedup_key", "status"))
    assert statuses == {"aaa": "firing", "bbb": "firing", "ccc": "firing"}

    post_json(
        client,
        url,
        am_payload(am_alert("bbb", status="resolved"), am_alert("ccc", status="resolved")),
    )
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED  # aaa never said it resolved
    post_json(client, url, am_payload(am_alert("aaa", status="resolved")))
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_alert_whose_group_key_changes_stays_one_alert_in_its_incident(client, integration):
    url = am_url(integration)
    post_json(client, url, am_payload(am_alert("aaa"), group_key="old-route"))
    post_json(client, url, am_payload(am_alert("aaa", summary="changed"), group_key="new-route"))
    assert Incident.objects.count() == 1
    alert = Alert.objects.get()
    assert alert.summary == "changed"


def test_two_alerts_with_the_same_summary_stay_separate(client, integration):
    same = "Disk almost full"
    post_json(
        client,
        am_url(integration),
        am_payload(am_alert("aaa", summary=same), am_alert("bbb", summary=same)),
    )
    assert Alert.objects.filter(summary=same).count() == 2
    post_json(
        client, am_url(integration), am_payload(am_alert("aaa", summary=same, status="resolved"))
    )
    assert dict(Alert.objects.values_list("dedup_key", "status")) == {
        "aaa": "resolved",
        "bbb": "firing",
    }


def test_generic_alerts_with_the_same_summary_are_separate_incidents(client, team):
    integration = factories.IntegrationFactory(team=team, generic=True)
    for key in ("disk-db-1", "disk-db-2"):
        r = post_json(
            client,
            generic_url(integration),
            {"summary": "Disk full", "dedup_key": key, "status": "firing"},
        )
        assert r.status_code == 202
    assert Incident.objects.count() == 2
    assert Alert.objects.count() == 2


def test_alert_firing_again_after_its_incident_resolved_opens_a_new_incident(client, integration):
    url = am_url(integration)
    post_json(client, url, am_payload(am_alert("aaa")))
    post_json(client, url, am_payload(am_alert("aaa", status="resolved")))
    post_json(client, url, am_payload(am_alert("aaa")))
    first, second = Incident.objects.order_by("pk")
    assert first.status == Incident.Status.RESOLVED
    assert second.status == Incident.Status.TRIGGERED
    assert second.alerts.get().dedup_key == "aaa"


def test_resolved_alert_never_seen_is_ignored(client, integration):
    r = post_json(client, am_url(integration), am_payload(am_alert("zzz", status="resolved")))
    assert r.status_code == 202
    assert not Incident.objects.exists()
    assert not Alert.objects.exists()
    assert not InboxPayload.objects.exists()  # handled: nothing to resolve


@pytest.mark.parametrize(
    ("label", "expected"),
    [("critical", 2), ("warning", 3), ("info", 4), (None, 4), ("CRITICAL", 2)],
)
def test_severity_comes_from_the_severity_label(client, integration, label, expected):
    post_json(client, am_url(integration), am_payload(am_alert("aaa", severity=label)))
    assert Incident.objects.get().severity == expected


def test_severity_mapping_is_editable_per_integration(client, team):
    integration = factories.IntegrationFactory(
        team=team, severity_map={"page": 1, "critical": 3}, default_severity=4
    )
    post_json(client, am_url(integration), am_payload(am_alert("aaa", severity="page")))
    post_json(
        client, am_url(integration), am_payload(am_alert("b", severity="critical"), group_key="2")
    )
    assert sorted(Incident.objects.values_list("severity", flat=True)) == [1, 3]


def test_a_more_severe_alert_joining_raises_the_severity(client, integration):
    post_json(client, am_url(integration), am_payload(am_alert("aaa", severity="warning")))
    post_json(client, am_url(integration), am_payload(am_alert("bbb", severity="critical")))
    incident = Incident.objects.get()
    assert incident.severity == 2
    assert incident.events.filter(kind="severity").exists()


def test_unknown_extra_fields_are_ignored(client, integration):
    alert = am_alert("aaa")
    alert["somethingNew"] = {"nested": [1, 2]}
    r = post_json(client, am_url(integration), am_payload(alert, futureField="x"))
    assert r.status_code == 202
    assert Alert.objects.get().dedup_key == "aaa"


def test_service_integration_puts_the_service_on_the_incident(client, service):
    integration = factories.IntegrationFactory(team=None, service=service)
    post_json(client, am_url(integration), am_payload(am_alert("aaa")))
    incident = Incident.objects.get()
    assert list(incident.services.all()) == [service]
    assert incident.team == service.team


def test_team_integration_finds_the_service_by_label(client, integration, service):
    post_json(client, am_url(integration), am_payload(am_alert("aaa", service=service.slug)))
    assert list(Incident.objects.get().services.all()) == [service]


def test_generic_payload_mapping(client, team):
    integration = factories.IntegrationFactory(team=team, generic=True)
    url = generic_url(integration)
    body = {
        "summary": "Queue backlog over 10k",
        "dedup_key": "queue-backlog",
        "status": "firing",
        "severity": "warning",
        "details": {"depth": 12000},
        "source": "cron@batch-1",
    }
    assert post_json(client, url, body).status_code == 202
    before = snapshot()
    assert post_json(client, url, body).status_code == 202  # re-send: nothing changes
    assert snapshot() == before
    incident = Incident.objects.get()
    alert = incident.alerts.get()
    assert (incident.severity, alert.source) == (3, "cron@batch-1")
    assert alert.payload["details"] == {"depth": 12000}
    post_json(client, url, {**body, "status": "resolved"})
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


# ---------------------------------------------------------------------------- maintenance
def test_maintenance_records_alerts_but_pages_nobody(service):
    integration = factories.IntegrationFactory(team=None, service=service)
    factories.MaintenanceWindowFactory(
        service=service,
        starts_at=T0 - timedelta(hours=1),
        ends_at=T0 + timedelta(hours=1),
        reason="Postgres upgrade",
    )
    alerts = parse_alertmanager(am_payload(am_alert("aaa")))
    alert_upsert.alerts_ingest(integration=integration, alerts=alerts, now=T0)
    incident = Incident.objects.get()
    assert incident.alerts.count() == 1
    assert incident.next_escalation_at is None
    assert "maintenance" in incident.paging_suppressed_reason
    assert "Postgres upgrade" in incident.paging_suppressed_reason
    assert incident.events.filter(kind="maintenance").exists()


def test_maintenance_that_ended_does_not_suppress(service):
    integration = factories.IntegrationFactory(team=None, service=service)
    factories.MaintenanceWindowFactory(
        service=service, starts_at=T0 - timedelta(hours=2), ends_at=T0 - timedelta(hours=1)
    )
    alerts = parse_alertmanager(am_payload(am_alert("aaa")))
    alert_upsert.alerts_ingest(integration=integration, alerts=alerts, now=T0)
    incident = Incident.objects.get()
    assert incident.next_escalation_at == T0
    assert incident.paging_suppressed_reason == ""


# ----------------------------------------------------------------------------- heartbeats
def test_missed_heartbeat_opens_an_incident_and_the_next_ping_resolves_it(client, team):
    integration = factories.IntegrationFactory(
        team=team, generic=True, heartbeat_minutes=5, heartbeat_since=T0
    )
    assert heartbeats.heartbeats_check(now=T0 + timedelta(minutes=4)) == []
    assert heartbeats.heartbeats_check(now=T0 + timedelta(minutes=6)) == [integration.pk]
    assert heartbeats.heartbeats_check(now=T0 + timedelta(minutes=7)) == []  # already open
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.TRIGGERED
    assert "Missed heartbeat" in incident.title

    r = client.post(f"/hooks/heartbeat/{integration.token}/")
    assert r.status_code == 202
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    integration.refresh_from_db()
    assert integration.last_ping_at is not None


def test_pings_in_time_open_nothing(team):
    integration = factories.IntegrationFactory(team=team, heartbeat_minutes=5, heartbeat_since=T0)
    heartbeats.heartbeat_ping(integration=integration, now=T0 + timedelta(minutes=4))
    assert heartbeats.heartbeats_check(now=T0 + timedelta(minutes=8)) == []
    assert heartbeats.heartbeats_check(now=T0 + timedelta(minutes=10)) == [integration.pk]


def test_heartbeat_endpoint_needs_a_heartbeat_integration(client, integration):
    assert client.post(f"/hooks/heartbeat/{integration.token}/").status_code == 404
