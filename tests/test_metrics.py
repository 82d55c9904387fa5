"""GET /metrics: scraped before and after an alert is ingested and paged, the counters move."""

import ipaddress
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from incidents import escalation, ingest
from incidents.models import InboxPayload
from portal.notifications.models import Notification
from portal.notifications.services import notification_deliver
from tests import factories

pytestmark = pytest.mark.django_db


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of the exposition: {(name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[s.name, tuple(sorted(s.labels.items()))] = s.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def alertmanager_payload(fingerprint: str) -> dict:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "status": "firing",
        "receiver": "runwell",
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "DiskFull", "severity": "critical"},
                "annotations": {"summary": "Disk full on db1"},
                "startsAt": "2025-03-03T01:59:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": fingerprint,
            }
        ],
    }


def test_counters_move_after_an_alert_is_ingested_and_paged(
    client, django_capture_on_commit_callbacks
):
    team = factories.TeamFactory()
    oncall = factories.MembershipFactory(team=team, role="manager").user
    factories.ContactMethodFactory(user=oncall, address="oncall@example.com")
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, users=[oncall])
    integration = factories.IntegrationFactory(team=team)

    before = scrape(client)

    # The alert arrives through the real webhook and waits in the inbox…
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            f"/hooks/alertmanager/{integration.token}/",
            alertmanager_payload("fp-1"),
            content_type="application/json",
        )
    assert response.status_code == 202
    received = timezone.now() - timedelta(seconds=30)  # it waited 30 s, say
    InboxPayload.objects.update(received_at=received)
    waiting = scrape(client)
    assert value(waiting, "runwell_inbox_pending") == 1
    assert value(waiting, "runwell_inbox_oldest_pending_age_seconds") >= 30
    assert value(waiting, "runwell_alerts_ingested_total", integration_kind="alertmanager") == 0
    # …until the worker drains it.
    with django_capture_on_commit_callbacks(execute=False):
        assert ingest.inbox_drain() == 1

    # The escalation engine fires the first step 3 s after it was due, and pages.
    with django_capture_on_commit_callbacks(execute=False):
        assert escalation.escalation_tick(now=received + timedelta(seconds=3)) == 1
    page = Notification.objects.get(user=oncall)
    Notification.objects.filter(pk=page.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    waiting = scrape(client)
    assert (
        value(waiting, "runwell_notifications_pending", channel="email")
        == value(before, "runwell_notifications_pending", channel="email") + 1
    )
    assert value(waiting, "runwell_notifications_oldest_pending_age_seconds") >= 120

    # The worker delivers it.
    assert notification_deliver(notification_id=page.pk) == "sent"
    assert len(mail.outbox) == 1

    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("runwell_alerts_ingested_total", integration_kind="alertmanager") == 1
    assert moved("runwell_alerts_ingested_total", integration_kind="generic") == 0
    assert moved("runwell_incidents_opened_total", source="alert") == 1
    assert moved("runwell_incidents_open", status="triggered") == 1
    assert value(after, "runwell_inbox_pending") == 0
    assert value(after, "runwell_inbox_oldest_pending_age_seconds") == 0
    assert moved("runwell_notifications_sent_total", channel="email") == 1
    assert moved("runwell_notifications_failed_total", channel="email") == 0
    assert value(after, "runwell_notifications_pending", channel="email") == value(
        before, "runwell_notifications_pending", channel="email"
    )
    assert value(after, "runwell_notifications_oldest_pending_age_seconds") == 0
    # Escalation lag: one step, 3 s late (in the 5 s bucket, not the 2 s one).
    assert moved("runwell_escalation_lag_seconds_count") == 1
    assert moved("runwell_escalation_lag_seconds_bucket", le="5.0") == 1
    assert moved("runwell_escalation_lag_seconds_bucket", le="2.0") == 0
    assert 3 <= moved("runwell_escalation_lag_seconds_sum") < 4
    # The web process counted the webhook request and timed it.
    hook = {"view": "incidents:hook_alertmanager", "method": "POST"}
    assert moved("runwell_http_requests_total", status="202", **hook) == 1
    assert moved("runwell_http_request_duration_seconds_count", **hook) == 1
    assert value(after, "runwell_metrics_database_up") == 1


def test_failed_and_pending_notifications_by_channel(client):
    before = scrape(client)
    webhook = factories.ContactMethodFactory(webhook=True)
    factories.NotificationFactory(method=webhook, status="failed")
    factories.NotificationFactory(method=webhook, status="sending")
    factories.NotificationFactory(status="pending")
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("runwell_notifications_failed_total", channel="chat_webhook") == 1
    assert moved("runwell_notifications_pending", channel="chat_webhook") == 1
    assert moved("runwell_notifications_pending", channel="email") == 1
    assert moved("runwell_notifications_sent_total", channel="chat_webhook") == 0


def test_failed_inbox_payloads_are_counted(client):
    factories.InboxPayloadFactory(failed=True)
    factories.InboxPayloadFactory()
    samples = scrape(client)
    assert value(samples, "runwell_inbox_failed") == 1
    assert value(samples, "runwell_inbox_pending") == 1  # a failed one no longer waits


def test_manual_incidents_count_as_manual(client):
    before = scrape(client)
    factories.IncidentFactory()
    after = scrape(client)
    assert (
        value(after, "runwell_incidents_opened_total", source="manual")
        == value(before, "runwell_incidents_opened_total", source="manual") + 1
    )


def test_requests_are_labelled_by_view_not_by_url(client, user):
    client.force_login(user)
    before = scrape(client)
    for slug in ("a", "b", "c"):
        client.get(f"/teams/{slug}/")
    client.get("/no/such/page/")
    after = scrape(client)
    detail = {"view": "people:team_detail", "method": "GET", "status": "404"}
    assert (
        value(after, "runwell_http_requests_total", **detail)
        - value(before, "runwell_http_requests_total", **detail)
        == 3
    )
    unknown = {"view": "<unresolved>", "method": "GET", "status": "404"}
    assert (
        value(after, "runwell_http_requests_total", **unknown)
        - value(before, "runwell_http_requests_total", **unknown)
        == 1
    )


def test_metrics_token(client, settings):
    settings.METRICS_TOKEN = "s3cret"
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_production_closes_metrics_without_a_token_or_an_allow_list(client, settings):
    """Before, /metrics was open to anyone in production when METRICS_TOKEN was unset."""
    settings.METRICS_OPEN_WITHOUT_CREDENTIALS = False  # as with DEBUG=false
    refused = client.get("/metrics")
    assert refused.status_code == 403
    assert b"set METRICS_TOKEN or METRICS_ALLOW_IPS" in refused.content
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_metrics_allow_list(client, settings):
    settings.METRICS_OPEN_WITHOUT_CREDENTIALS = False
    settings.METRICS_ALLOW_IPS = [ipaddress.ip_network("10.1.0.0/16")]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 403
    # A forwarded-for header does not make an outsider an allowed address.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403
    # With a token as well, either one is enough.
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200
    assert client.get("/metrics").status_code == 401


def test_multiprocess_mode_reads_the_shared_directory(client, tmp_path, monkeypatch):
    """With PROMETHEUS_MULTIPROC_DIR set, the scrape sums what every web process wrote there
    (here: samples another process left in the directory)."""
    from prometheus_client import CollectorRegistry, Counter, values

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda: 4242))
    other_process = Counter(
        "runwell_http_requests",
        "HTTP requests",
        ["view", "method", "status"],
        registry=CollectorRegistry(),
    )
    other_process.labels(view="api:team-list", method="GET", status="200").inc(7)
    samples = scrape(client)
    labels = {"view": "api:team-list", "method": "GET", "status": "200"}
    assert value(samples, "runwell_http_requests_total", **labels) == 7
    assert value(samples, "runwell_metrics_database_up") == 1
