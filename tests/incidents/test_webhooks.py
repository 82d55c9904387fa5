"""Every status a webhook can answer, that an accepted request stores its payload in the inbox
and nothing else, and that a refused request stores nothing."""

import json
import logging
import time

import pytest
from django.db import connection

from incidents import ingest
from incidents.models import Alert, InboxPayload, Incident, Integration
from incidents.payloads import MAX_BODY_BYTES, IncomingAlert, parse_alertmanager
from tests import factories
from tests.incidents.conftest import am_alert, am_payload, am_url, generic_url, post_json

pytestmark = pytest.mark.django_db


def nothing_stored():
    return (
        not Incident.objects.exists()
        and not Alert.objects.exists()
        and not InboxPayload.objects.exists()
    )


def test_accepts_with_202_and_stores_the_payload_in_the_inbox_only(
    client, integration, django_capture_on_commit_callbacks, django_assert_num_queries
):
    payload = am_payload(am_alert("aaa"), am_alert("bbb"))
    with (
        django_capture_on_commit_callbacks() as callbacks,
        django_assert_num_queries(2),  # the token's integration, one INSERT
    ):
        r = post_json(client, am_url(integration), payload, drain=False)
    assert r.status_code == 202
    assert r["Content-Type"] == "application/json"
    assert r.json() == {"status": "accepted", "alerts": 2}
    assert callbacks == [ingest.ring_doorbell]  # the drain is enqueued once stored
    assert not Incident.objects.exists() and not Alert.objects.exists()
    stored = InboxPayload.objects.get()
    assert (stored.integration, stored.alert_count, stored.failed_at) == (integration, 2, None)
    # What the drain will ingest is exactly what the webhook parsed.
    assert [IncomingAlert.from_json(a) for a in stored.alerts] == parse_alertmanager(payload)


def test_the_doorbell_enqueues_one_drain_per_request(
    client, integration, monkeypatch, django_capture_on_commit_callbacks
):
    from incidents.tasks import inbox_drain

    sent = []
    monkeypatch.setattr(inbox_drain, "apply_async", lambda **options: sent.append(options))
    for fingerprint in ("aaa", "bbb"):
        with django_capture_on_commit_callbacks(execute=True):
            r = post_json(client, am_url(integration), am_payload(am_alert(fingerprint)))
        assert r.status_code == 202
    assert len(sent) == 2
    # One broker connection per thread, reused, that never retries while a request waits.
    assert sent[0]["retry"] is False and sent[0]["connection"] is sent[1]["connection"]


def test_broker_down_still_answers_202_and_the_payload_waits(
    client, integration, broker, caplog, django_capture_on_commit_callbacks
):
    broker.down()
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="incidents.ingest"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        r = post_json(client, am_url(integration), am_payload(am_alert("aaa")), drain=False)
    assert r.status_code == 202
    assert time.monotonic() - started < 3  # no waiting on the dead broker
    assert callbacks == [ingest.ring_doorbell]
    assert "Could not enqueue an inbox drain" in caplog.text
    assert InboxPayload.objects.count() == 1 and not Incident.objects.exists()
    # The beat's drain (every 2 s) finds it once the broker is back; here we run it directly.
    broker.up()
    assert ingest.inbox_drain() == 1
    assert Incident.objects.get().alerts.get().dedup_key == "aaa"
    assert not InboxPayload.objects.exists()


def _bad_alertmanager():
    good = am_payload(am_alert("aaa"))

    def without(key):
        d = json.loads(json.dumps(good))
        d.pop(key)
        return d

    def alert_with(**changes):
        d = json.loads(json.dumps(good))
        d["alerts"][0].update(changes)
        for k, v in list(changes.items()):
            if v is ...:
                del d["alerts"][0][k]
        return d

    return [
        ("not json", b"{not json", ""),
        ("empty", b"", ""),
        ("array", b"[1, 2]", ""),
        ("missing groupKey", without("groupKey"), "groupKey"),
        ("missing alerts", without("alerts"), "alerts"),
        ("alerts not a list", {**good, "alerts": {"a": 1}}, "alerts"),
        ("no alerts", {**good, "alerts": []}, "alerts"),
        ("groupKey a number", {**good, "groupKey": 7}, "groupKey"),
        ("unknown group status", {**good, "status": "pending"}, "status"),
        ("version 3", {**good, "version": "3"}, "version"),
        ("alert not an object", {**good, "alerts": ["x"]}, "alerts[0]"),
        ("missing fingerprint", alert_with(fingerprint=...), "alerts[0].fingerprint"),
        ("missing status", alert_with(status=...), "alerts[0].status"),
        ("unknown status", alert_with(status="silenced"), "alerts[0].status"),
        ("status wrong type", alert_with(status=1), "alerts[0].status"),
        ("labels wrong type", alert_with(labels=["a"]), "alerts[0].labels"),
        ("label value not a string", alert_with(labels={"a": 1}), "alerts[0].labels"),
        ("bad time", alert_with(startsAt="yesterday"), "alerts[0].startsAt"),
        ("NUL in a string", alert_with(labels={"a": "x\u0000y"}), "alerts[0].labels.a"),
        (
            "duplicate fingerprint",
            {**good, "alerts": [am_alert("aaa"), am_alert("aaa")]},
            "alerts[1].fingerprint",
        ),
    ]


@pytest.mark.parametrize(("case", "body", "field"), _bad_alertmanager(), ids=lambda v: str(v)[:30])
def test_alertmanager_bad_payloads_get_400_naming_the_problem(
    client, integration, case, body, field
):
    r = post_json(client, am_url(integration), body)
    assert r.status_code == 400, case
    data = r.json()
    assert data["error"]
    assert data.get("field", "") == field
    assert nothing_stored()


GOOD_GENERIC = {"summary": "Disk full", "dedup_key": "disk-1", "status": "firing"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dedup_key": "k", "status": "firing"}, "summary"),
        ({"summary": "s", "status": "firing"}, "dedup_key"),
        ({"summary": "s", "dedup_key": "k"}, "status"),
        ({**GOOD_GENERIC, "status": "acknowledged"}, "status"),
        ({**GOOD_GENERIC, "summary": ["list"]}, "summary"),
        ({**GOOD_GENERIC, "dedup_key": 12}, "dedup_key"),
        ({**GOOD_GENERIC, "dedup_key": "   "}, "dedup_key"),
        ({**GOOD_GENERIC, "severity": 1}, "severity"),
        ({**GOOD_GENERIC, "details": 5}, "details"),
        ({**GOOD_GENERIC, "source": {"a": 1}}, "source"),
    ],
)
def test_generic_bad_payloads_get_400_naming_the_field(client, generic, body, field):
    r = post_json(client, generic_url(generic), body)
    assert r.status_code == 400
    assert r.json()["field"] == field
    assert field in r.json()["error"]
    assert nothing_stored()


def test_oversized_body_gets_400(client, generic):
    body = {**GOOD_GENERIC, "details": "x" * MAX_BODY_BYTES}
    r = post_json(client, generic_url(generic), body)
    assert r.status_code == 400
    assert "1 MiB" in r.json()["error"]
    assert nothing_stored()


def test_body_just_under_the_limit_is_accepted(client, generic):
    filler = MAX_BODY_BYTES - len(json.dumps({**GOOD_GENERIC, "details": ""})) - 10
    r = post_json(client, generic_url(generic), {**GOOD_GENERIC, "details": "x" * filler})
    assert r.status_code == 202


@pytest.mark.parametrize("token", ["nope", "x" * 43, ""])
def test_unknown_token_gets_404(client, integration, token):
    r = post_json(client, f"/hooks/alertmanager/{token}/", am_payload(am_alert("a")))
    assert r.status_code == 404
    assert nothing_stored()


def test_disabled_integration_gets_404(client, integration):
    Integration.objects.filter(pk=integration.pk).update(enabled=False)
    r = post_json(client, am_url(integration), am_payload(am_alert("a")))
    assert r.status_code == 404
    assert nothing_stored()


def test_token_of_another_kind_gets_404(client, generic):
    r = post_json(client, f"/hooks/alertmanager/{generic.token}/", am_payload(am_alert("a")))
    assert r.status_code == 404


def test_rotated_token_stops_working(client, integration):
    from incidents.services import integration_rotate_token

    old = integration.token
    _, new = integration_rotate_token(integration=integration)
    assert (
        post_json(client, f"/hooks/alertmanager/{old}/", am_payload(am_alert("a"))).status_code
        == 404
    )
    assert (
        post_json(client, f"/hooks/alertmanager/{new}/", am_payload(am_alert("a"))).status_code
        == 202
    )


def test_get_is_not_allowed(client, integration):
    assert client.get(am_url(integration)).status_code == 405


def test_no_csrf_token_needed(integration):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post_json(strict, am_url(integration), am_payload(am_alert("a"))).status_code == 202


def test_burst_beyond_the_rate_limit_gets_429_with_retry_after(client, team):
    integration = factories.IntegrationFactory(team=team, generic=True, rate_limit_per_minute=3)
    url = generic_url(integration)
    codes = [
        post_json(client, url, {**GOOD_GENERIC, "dedup_key": f"k{i}"}).status_code for i in range(4)
    ]
    assert codes == [202, 202, 202, 429]
    r = post_json(client, url, {**GOOD_GENERIC, "dedup_key": "k9"})
    assert r.status_code == 429
    assert 1 <= int(r["Retry-After"]) <= 60
    assert "rate limit" in r.json()["error"].lower()
    assert Alert.objects.count() == 3
    # Another integration has its own budget.
    other = factories.IntegrationFactory(team=team, generic=True, rate_limit_per_minute=3)
    assert post_json(client, generic_url(other), GOOD_GENERIC).status_code == 202


def test_fixed_window_resets():
    from incidents import ratelimit

    assert ratelimit.hit("t", limit=1, now=120.0) is None
    assert ratelimit.hit("t", limit=1, now=150.0) == 30
    assert ratelimit.hit("t", limit=1, now=180.0) is None


@pytest.mark.django_db(transaction=True)  # autocommit, as in production
def test_database_failure_answers_503_and_stores_nothing(client, integration, monkeypatch):
    """A real failure from the database (a trigger refusing the insert into the inbox): never
    a 202 for an alert that was not stored, and no doorbell."""
    table = InboxPayload._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_payload() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_payload()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
    rung = []
    monkeypatch.setattr(ingest, "ring_doorbell", lambda: rung.append(1))
    try:
        r = post_json(client, am_url(integration), am_payload(am_alert("aaa")))
        assert r.status_code == 503
        assert "retry" in r.json()["error"]
        assert nothing_stored()
        assert rung == []
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER refuse ON {table}")
                cursor.execute("DROP FUNCTION refuse_payload()")
            else:
                cursor.execute("DROP TRIGGER refuse")


def test_rate_limit_fails_open_at_once_when_redis_is_down(monkeypatch, caplog):
    import socket

    from incidents import ratelimit
    from portal import redis_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: connections are refused
    monkeypatch.setattr(redis_client, "url", lambda: f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="incidents.ratelimit"):
        assert [ratelimit.hit("down", limit=1, now=600.0) for _ in range(3)] == [None] * 3
    assert time.monotonic() - started < 2
    assert "not applied" in caplog.text


@pytest.mark.redis
def test_rate_limit_counts_in_redis_across_processes(settings):
    """In production the counter lives in Redis, so every web process shares one budget."""
    from urllib.parse import urlsplit, urlunsplit

    import redis

    from incidents import ratelimit
    from tests.conftest import redis_url

    parts = urlsplit(redis_url())
    url = urlunsplit(parts._replace(path="/11"))  # a database of the incidents tests' own
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    key = f"redis-test-{id(settings)}"
    try:
        assert ratelimit.hit(key, limit=2, now=600.0) is None
        assert ratelimit.hit(key, limit=2, now=601.0) is None
        # Another process sees the same counter: read it straight from Redis.
        raw = redis.Redis.from_url(url)
        assert any(k.endswith(f"incidents:rate:{key}:600".encode()) for k in raw.keys("*"))
        assert ratelimit.hit(key, limit=2, now=602.0) == 58
        assert raw.ttl(f"incidents:rate:{key}:600") > 60  # the window's counter expires
        # One client (and connection pool) per process, not one per call.
        from portal import redis_client

        assert redis_client.shared() is redis_client.shared() is redis_client.client_for(url)
    finally:
        from django.core.cache import cache

        cache.clear()
