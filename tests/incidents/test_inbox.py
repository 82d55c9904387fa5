"""The inbox: webhooks store payloads, ``inbox_drain`` ingests them in arrival order, as
received then, once each, with a failed payload kept aside and never blocking the others."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from incidents import ingest
from incidents.models import Alert, InboxPayload, Incident, IncidentEvent, Integration
from incidents.payloads import IncomingAlert
from tests import factories
from tests.incidents.conftest import T0, am_alert, am_payload, am_url, post_json

pytestmark = pytest.mark.django_db


def alert(key: str, status: str = "firing", group: str = "") -> IncomingAlert:
    return IncomingAlert(
        dedup_key=key, group_key=group or key, status=status, summary=f"Alert {key}"
    )


def test_firing_then_resolved_in_two_payloads_ends_resolved(client, integration):
    """Arrival order matters: the resolved payload must be ingested after the firing one."""
    url = am_url(integration)
    for status in ("firing", "resolved"):
        r = post_json(client, url, am_payload(am_alert("aaa", status=status)), drain=False)
        assert r.status_code == 202
    assert InboxPayload.objects.count() == 2 and not Incident.objects.exists()

    assert ingest.inbox_drain() == 2
    incident = Incident.objects.get()
    assert incident.alerts.get().status == Alert.Status.RESOLVED
    assert incident.status == Incident.Status.RESOLVED
    assert not InboxPayload.objects.exists()


def test_firing_resolved_firing_opens_a_second_incident(integration):
    for status in ("firing", "resolved", "firing"):
        factories.InboxPayloadFactory(integration=integration, incoming=[alert("a", status)])
    assert ingest.inbox_drain() == 3
    first, second = Incident.objects.order_by("pk")
    assert (first.status, second.status) == (Incident.Status.RESOLVED, Incident.Status.TRIGGERED)


def test_received_at_is_when_the_incident_triggered(integration):
    """Processed later, but the incident (and its escalation, MTTA…) counts from receipt."""
    factories.InboxPayloadFactory(integration=integration, incoming=[alert("a")], received_at=T0)
    factories.InboxPayloadFactory(
        integration=integration,
        incoming=[alert("b", group="a")],
        received_at=T0 + timedelta(seconds=5),
    )
    ingest.inbox_drain()
    incident = Incident.objects.get()
    assert incident.triggered_at == T0
    assert incident.next_escalation_at == T0
    assert incident.events.get(kind=IncidentEvent.Kind.TRIGGERED).at == T0
    received = dict(incident.alerts.values_list("dedup_key", "received_at"))
    assert received == {"a": T0, "b": T0 + timedelta(seconds=5)}
    integration.refresh_from_db()
    assert integration.last_alert_at == T0 + timedelta(seconds=5)


def test_a_payload_that_fails_is_kept_and_the_others_are_ingested(integration, caplog):
    factories.InboxPayloadFactory(integration=integration, incoming=[alert("a")])
    poison = factories.InboxPayloadFactory(integration=integration, alerts=[{"bogus": 1}])
    factories.InboxPayloadFactory(integration=integration, incoming=[alert("b")])
    other = factories.InboxPayloadFactory(incoming=[alert("c")])  # another integration

    assert ingest.inbox_drain() == 4
    assert sorted(Alert.objects.values_list("dedup_key", flat=True)) == ["a", "b", "c"]
    assert list(InboxPayload.objects.all()) == [poison]
    poison.refresh_from_db()
    assert poison.failed_at is not None
    assert poison.error.startswith("TypeError")
    assert f"Inbox payload {poison.pk}" in caplog.text
    assert other.integration.incidents.count() == 1
    # A failed payload is not tried again and again: the next drain has nothing to do.
    assert ingest.inbox_drain() == 0


def test_a_payload_the_database_refuses_is_rolled_back_alone(integration):
    """A real database error inside one payload (a trigger refusing one alert): its savepoint
    is rolled back (no incident left half-made), the others are ingested."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_alert() RETURNS trigger AS $$ BEGIN "
                "IF NEW.dedup_key = 'poison' THEN RAISE EXCEPTION 'disk full'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON incidents_alert "
                "FOR EACH ROW EXECUTE FUNCTION refuse_alert()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON incidents_alert "
                "WHEN NEW.dedup_key = 'poison' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
    factories.InboxPayloadFactory(integration=integration, incoming=[alert("a")])
    poison = factories.InboxPayloadFactory(integration=integration, incoming=[alert("poison")])
    factories.InboxPayloadFactory(integration=integration, incoming=[alert("b")])

    assert ingest.inbox_drain() == 3
    assert sorted(Incident.objects.values_list("group_key", flat=True)) == ["a", "b"]
    poison.refresh_from_db()
    assert poison.failed_at is not None and "disk full" in poison.error


def test_a_failed_payload_can_be_queued_again(integration, django_capture_on_commit_callbacks):
    payload = factories.InboxPayloadFactory(
        integration=integration, incoming=[alert("a")], failed=True
    )
    assert ingest.inbox_drain() == 0
    with django_capture_on_commit_callbacks() as callbacks:
        assert ingest.inbox_retry(payload_ids=[payload.pk]) == 1
    assert callbacks == [ingest.ring_doorbell]
    assert ingest.inbox_drain() == 1
    assert Incident.objects.get().alerts.get().dedup_key == "a"
    assert not InboxPayload.objects.exists()


def test_draining_twice_changes_nothing(client, integration):
    payload = am_payload(am_alert("aaa"), am_alert("bbb"))
    for _ in range(2):  # Alertmanager re-sends a group
        post_json(client, am_url(integration), payload, drain=False)
    assert ingest.inbox_drain() == 2
    snapshot = (
        list(Incident.objects.values()),
        list(Alert.objects.values()),
        list(IncidentEvent.objects.values_list("pk", "kind")),
    )
    assert ingest.inbox_drain() == 0
    assert snapshot == (
        list(Incident.objects.values()),
        list(Alert.objects.values()),
        list(IncidentEvent.objects.values_list("pk", "kind")),
    )
    assert Alert.objects.count() == 2 and Incident.objects.count() == 1


def test_the_integration_is_locked_and_fetched_once_per_batch_not_per_payload(team):
    """What a batch costs does not grow with its payloads: the integrations are locked and
    fetched once, what their payloads need to know is loaded once, and ``last_alert_at`` is
    written once."""
    table = Integration._meta.db_table

    def drain(count: int) -> tuple[int, int, int]:
        integrations = [factories.IntegrationFactory(team=team) for _ in range(2)]
        for i in range(count):
            incoming = [alert(f"{count}-{i % 3}", group=f"{count}-{i % 3}")]
            factories.InboxPayloadFactory(integration=integrations[i % 2], incoming=incoming)
        with CaptureQueriesContext(connection) as queries:
            assert ingest.inbox_drain() == count
        sql = [q["sql"] for q in queries]
        return (
            sum(1 for q in sql if q.startswith("SELECT") and f'FROM "{table}"' in q),
            sum(1 for q in sql if q.startswith(f'UPDATE "{table}"')),
            sum(1 for q in sql if q.startswith("SELECT") and "incidents_alert" in q),
        )

    small, large = drain(2), drain(12)
    assert small == large
    assert small[1] == 1  # last_alert_at of both integrations, in one statement


def test_batches_are_bounded_and_the_drain_goes_on_until_the_inbox_is_empty(integration):
    for i in range(7):
        factories.InboxPayloadFactory(integration=integration, incoming=[alert(f"a{i}")])
    assert ingest.inbox_drain(limit=3, rounds=1) == 3  # one bounded transaction
    assert InboxPayload.objects.count() == 4
    assert ingest.inbox_drain(limit=3) == 4  # more rounds until nothing is left
    assert Alert.objects.count() == 7 and not InboxPayload.objects.exists()


def test_the_drain_task_drains(integration):
    from incidents.tasks import inbox_drain

    factories.InboxPayloadFactory(integration=integration, incoming=[alert("a")])
    assert inbox_drain.run() == 1
    assert Incident.objects.count() == 1


def test_the_beat_drains_the_inbox_every_two_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["incidents-inbox-drain"]
    assert entry == {"task": "incidents.tasks.inbox_drain", "schedule": 2.0}


def _scenario(team):
    """Integrations and a sequence of payloads that exercise every branch of ingestion."""
    service = factories.ServiceFactory(team=team, slug="checkout")
    quiet = factories.ServiceFactory(team=team, slug="quiet")
    factories.MaintenanceWindowFactory(
        service=quiet, starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=1)
    )
    factories.EscalationPolicyFactory(team=team)
    auto = factories.IntegrationFactory(team=team, name="auto")
    manual = factories.IntegrationFactory(team=team, name="manual", auto_resolve=False)
    maintained = factories.IntegrationFactory(team=None, service=quiet, name="maintained")

    def a(key, status="firing", group="g1", severity="critical", **labels):
        return IncomingAlert(
            dedup_key=key,
            group_key=group,
            status=status,
            summary=f"Alert {key} {labels.get('summary', '')}".strip(),
            severity=severity,
            labels={k: v for k, v in labels.items() if k != "summary"},
            ends_at=T0 if status == "resolved" else None,
        )

    payloads = [
        (auto, [a("a", severity="warning")]),
        (auto, [a("a", severity="warning")]),  # the same again
        (auto, [a("b")]),  # joins, raises the severity
        (auto, [a("a", "resolved", severity="warning")]),
        (auto, [a("b", "resolved")]),  # the last one: the incident resolves
        (auto, [a("a", severity="warning")]),  # fires again: a new incident
        (auto, [a("a", group="g2", severity="warning", summary="moved")]),  # stays in it
        (auto, [a("c", group="g2"), a("d", group="g2")]),
        (manual, [a("x", group="g3")]),
        (manual, [a("x", "resolved", group="g3")]),  # auto-resolve off: stays open
        (maintained, [a("y", group="g4")]),  # in maintenance: pages nobody
        (auto, [a("s", group="g5", service="checkout")]),  # names a service
        (auto, [a("z", "resolved", group="g6")]),  # never seen firing: ignored
        (auto, [a("c", "resolved", group="g2"), a("d", "resolved", group="g2")]),
    ]
    return [auto, manual, maintained], payloads, service


def _state(integrations) -> list:
    """Everything ingestion decided, without ids."""
    incidents = list(
        Incident.objects.filter(integration__in=integrations).order_by("triggered_at", "pk")
    )
    number = {incident.pk: n for n, incident in enumerate(incidents)}
    keys = dict(Alert.objects.values_list("pk", "dedup_key"))
    state = []
    for incident in incidents:
        state.append(
            (
                incident.integration.name,
                incident.group_key,
                incident.status,
                incident.severity,
                incident.title,
                incident.triggered_at,
                incident.resolved_at,
                incident.next_escalation_at,
                incident.escalation_policy_id,
                incident.paging_suppressed_reason,
                sorted(incident.services.values_list("slug", flat=True)),
                [
                    (
                        e.kind,
                        e.message,
                        e.at,
                        keys.get(e.data.get("alert_id")),
                        e.data.get("status"),
                    )
                    for e in incident.events.order_by("at", "pk")
                ],
            )
        )
    for alert in Alert.objects.filter(integration__in=integrations).order_by("dedup_key", "pk"):
        state.append(
            (
                alert.dedup_key,
                number[alert.incident_id],
                alert.status,
                alert.summary,
                alert.severity,
                alert.received_at,
                alert.updated_at,
                alert.resolved_at,
            )
        )
    for integration in integrations:
        integration.refresh_from_db()
        state.append((integration.name, integration.last_alert_at))
    return state


def test_a_batch_decides_exactly_what_one_payload_at_a_time_does(team):
    """The drain shares what it knows across a batch and defers its INSERTs: the outcome must
    be the one of ingesting each payload on its own, in order."""
    integrations, payloads, _ = _scenario(team)

    def run(one_at_a_time: bool) -> list:
        Incident.objects.filter(integration__in=integrations).delete()
        Integration.objects.filter(pk__in=[i.pk for i in integrations]).update(last_alert_at=None)
        for n, (integration, incoming) in enumerate(payloads):
            factories.InboxPayloadFactory(
                integration=integration,
                incoming=incoming,
                received_at=T0 + timedelta(seconds=n),
            )
            if one_at_a_time:
                assert ingest.inbox_drain() == 1
        if not one_at_a_time:
            assert ingest.inbox_drain() == len(payloads)
        return _state(integrations)

    alone, batch = run(one_at_a_time=True), run(one_at_a_time=False)
    assert batch == alone
    # And the outcome is the expected one.
    incidents = [row for row in alone if len(row) == 12]
    assert [(i[0], i[1], i[2], i[3]) for i in incidents] == [
        ("auto", "g1", "resolved", 2),  # raised to SEV2 by b, resolved when a and b had
        ("auto", "g1", "triggered", 3),  # a fired again (and stays here, moved to g2)
        ("auto", "g2", "resolved", 2),  # c and d
        ("manual", "g3", "triggered", 2),
        ("maintained", "g4", "triggered", 2),
        ("auto", "g5", "triggered", 2),
    ]
    assert incidents[4][7] is None and "maintenance" in incidents[4][9]
    assert incidents[5][10] == ["checkout"]
    kinds = [e[0] for e in incidents[0][11]]
    assert kinds == ["triggered", "alert", "severity", "alert", "alert", "alert", "resolved"]


def test_payload_json_round_trip():
    from incidents.payloads import parse_alertmanager

    for incoming in parse_alertmanager(am_payload(am_alert("a"), am_alert("b", status="resolved"))):
        assert IncomingAlert.from_json(incoming.as_json()) == incoming


# ------------------------------------------------------------------ concurrency (PostgreSQL)
def _in_threads(targets) -> list:
    results, errors = [], []
    barrier = threading.Barrier(len(targets))

    def run(target):
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_store_every_alert_once_in_order():
    """Four drains at once over two integrations, every payload twice, each group firing then
    resolved for half the groups: one incident per group, one row per alert, every payload
    handled once, and the resolutions applied after their firing."""
    team = factories.TeamFactory()
    integrations = [factories.IntegrationFactory(team=team) for _ in range(2)]
    for g in range(20):
        owner = integrations[g % 2]
        firing = [alert(f"g{g}a{a}", group=f"g{g}") for a in range(2)]
        for _ in range(2):
            factories.InboxPayloadFactory(integration=owner, incoming=firing)
        if g % 2 == 0:
            resolved = [alert(f"g{g}a{a}", "resolved", group=f"g{g}") for a in range(2)]
            factories.InboxPayloadFactory(integration=owner, incoming=resolved)

    results = _in_threads([ingest.inbox_drain] * 4)
    assert sum(results) == 50  # every payload handled exactly once
    assert not InboxPayload.objects.exists()
    assert Incident.objects.count() == 20
    assert Alert.objects.count() == 40
    for incident in Incident.objects.all():
        group = int(incident.group_key[1:])
        assert incident.alerts.count() == 2
        expected = Incident.Status.RESOLVED if group % 2 == 0 else Incident.Status.TRIGGERED
        assert incident.status == expected, incident.group_key


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_drain_skips_an_integration_another_drainer_holds():
    """SKIP LOCKED: a second drainer does not wait for (nor double-process) an integration
    being drained; it takes the others, and the holder's payloads are left for it."""
    team = factories.TeamFactory()
    held, free = (factories.IntegrationFactory(team=team) for _ in range(2))
    factories.InboxPayloadFactory(integration=held, incoming=[alert("h")])
    factories.InboxPayloadFactory(integration=free, incoming=[alert("f")])
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Integration.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        assert ingest.inbox_drain() == 1
        assert list(Alert.objects.values_list("dedup_key", flat=True)) == ["f"]
    finally:
        release.set()
        holder.join(timeout=30)
    assert ingest.inbox_drain() == 1
    assert sorted(Alert.objects.values_list("dedup_key", flat=True)) == ["f", "h"]


# ------------------------------------------------------------------------------ the doorbell
@pytest.fixture
def redis_cache(settings):
    """The default cache (and so the doorbell flag) on a Redis database of our own."""
    from urllib.parse import urlsplit, urlunsplit

    from django.core.cache import cache

    from portal import redis_client
    from tests.conftest import redis_url

    # Eleven databases past REDIS_URL's: /11 for CI's /0, and apart for each date of the
    # calendar sweep, which runs two at a time, each on a REDIS_URL database of its own.
    parts = urlsplit(redis_url())
    base = int(parts.path.strip("/") or 0)
    url = urlunsplit(parts._replace(path=f"/{(base + 11) % 16}"))
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    client = redis_client.shared()
    client.delete(ingest.DOORBELL_KEY)
    yield client
    cache.clear()


@pytest.fixture
def published(monkeypatch):
    from incidents.tasks import inbox_drain

    sent = []
    monkeypatch.setattr(inbox_drain, "apply_async", lambda **options: sent.append(options))
    return sent


@pytest.mark.redis
def test_doorbells_ring_once_while_a_drain_is_queued(redis_cache, published):
    """Under load the webhook does not enqueue a drain per request: while one is queued and
    has not started, it will see every payload stored meanwhile."""
    for _ in range(3):
        ingest.ring_doorbell()
    assert len(published) == 1
    assert 0 < redis_cache.pttl(ingest.DOORBELL_KEY) <= ingest.DOORBELL_TTL_MS
    ingest.inbox_drain()  # a drain starts: payloads stored from now on ring again
    assert not redis_cache.exists(ingest.DOORBELL_KEY)
    ingest.ring_doorbell()
    assert len(published) == 2


@pytest.mark.redis
def test_a_doorbell_that_could_not_ring_does_not_hold_the_next_one_back(redis_cache, broker):
    broker.down()
    ingest.ring_doorbell()
    assert not redis_cache.exists(ingest.DOORBELL_KEY)


def test_without_redis_every_payload_rings(settings, published):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    for _ in range(2):
        ingest.ring_doorbell()
    assert len(published) == 2
