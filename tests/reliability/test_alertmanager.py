"""The real Alertmanager against a live Runwell (gunicorn, Celery worker and beat): alerts are
pushed through Alertmanager's own API and reach Runwell the way they do in production.

One Alertmanager and one Runwell serve every scenario (each its own alertname and service,
so its own incidents and the pages of its own person, ``/am/a/<i>``). Each scenario asserts
what Runwell holds afterwards (incidents, alerts, pages sent once) and that Alertmanager
logged no failed notification, except while the portal was down.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bench import harness
from tests.reliability import alertmanager as am
from tests.reliability.conftest import REQUIRE_SERVICES, Stack, process_env, table

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(180)]

PREFIX = "am"
SERVICES = 8
DELIVERY = 20  # seconds: Alertmanager's group wait, ingestion, escalation, the chat page


@pytest.fixture(scope="module")
def world(reliability_db):
    """Runwell (gunicorn, worker, beat) with a paging world, and Alertmanager pointing at it."""
    reason = am.available()
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    harness.truncate_all(reliability_db)
    redis = harness.RedisServer().start()
    receiver = harness.Receiver()
    # Production settings, but plain HTTP on loopback (no TLS proxy in front, so no redirect
    # to HTTPS: Alertmanager would follow it into a TLS handshake and time out).
    env = process_env(
        reliability_db,
        redis.url,
        DEBUG="false",
        SECRET_KEY="reliability-" + "x" * 60,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
    )
    procs = harness.Processes(env=env)
    stack = Stack(db_url=reliability_db, redis=redis, receiver=receiver, procs=procs, env=env)
    manager = None
    failed = False
    try:
        data = stack.world(prefix=PREFIX, count=SERVICES)
        port = harness.free_port()
        procs.gunicorn("web", port, workers=2, wait=False)
        procs.worker("worker", concurrency=2, wait=False)
        procs.beat("beat", wait=False)
        procs.wait_ready()
        webhook = f"http://127.0.0.1:{port}{data['path']}"
        manager = am.Alertmanager(procs, webhook=webhook).start()
        yield World(stack=stack, data=data, port=port, am=manager)
    except BaseException:
        failed = True
        raise
    finally:
        if failed:
            print(f"\nProcess logs ({procs.logdir}):\n{procs.tails()}")
        procs.close(keep_logs=failed)
        if manager is not None:
            manager.close()
        receiver.close()
        redis.stop()


class World:
    def __init__(self, *, stack: Stack, data: dict, port: int, am: am.Alertmanager):
        self.stack, self.data, self.port, self.am = stack, data, port, am

    def service(self, i: int) -> str:
        return self.data["services"][i]

    def alert(self, i: int, alertname: str, **labels) -> dict:
        return {
            "labels": {"alertname": alertname, "service": self.service(i), **labels},
            "annotations": {"summary": f"{alertname} {labels}", "runbook_url": "https://rb.ex/"},
            "generatorURL": f"http://prometheus.example:9090/graph?g0.expr={alertname}",
        }

    # -- what Runwell holds
    def incidents(self, alertname: str) -> list[tuple]:
        """(id, status, group_key, alert count) of the incidents with alerts named so."""
        incident, alert = table("incidents.models.Incident"), table("incidents.models.Alert")
        return self.stack.sql(
            f"SELECT i.id, i.status, i.group_key, count(a.id) FROM {incident} i "
            f"JOIN {alert} a ON a.incident_id = i.id WHERE a.labels->>'alertname' = %s "
            "GROUP BY i.id ORDER BY i.id",
            [alertname],
        )

    def alerts(self, alertname: str) -> list[tuple]:
        """(status, source, dedup_key) of the stored alerts named so."""
        return self.stack.sql(
            f"SELECT status, source, dedup_key FROM {table('incidents.models.Alert')} "
            "WHERE labels->>'alertname' = %s ORDER BY id",
            [alertname],
        )

    def pages_for(self, i: int) -> list[tuple]:
        """(incident, status) of every page written for service ``i``'s person."""
        notification = table("portal.notifications.models.Notification")
        message = table("portal.notifications.models.Message")
        return self.stack.sql(
            f"SELECT m.incident_id, n.status FROM {notification} n "
            f"JOIN {message} m ON m.id = n.message_id JOIN auth_user u ON u.id = n.user_id "
            "WHERE n.kind = 'page' AND u.username = %s ORDER BY n.id",
            [f"{PREFIX}-a{i}"],
        )

    def delivered(self, i: int) -> int:
        return Counter(a.path for a in self.stack.receiver.delivered(f"/{PREFIX}/a/"))[
            f"/{PREFIX}/a/{i}"
        ]

    def wait(self, predicate, timeout: float = DELIVERY) -> bool:
        return harness.wait_until(predicate, timeout=timeout, interval=0.2)

    def no_failures_since(self, offset: int) -> None:
        failures = self.am.failures(self.am.log_since(offset))
        assert failures == [], failures
        assert self.stack.failed_payloads() == []


def incident_states(world: World, alertname: str) -> list[str]:
    return [row[1] for row in world.incidents(alertname)]


def test_alerts_are_grouped_by_alertname(world):
    start = len(world.am.log())
    world.am.post([world.alert(0, "GroupedTwo", instance=f"pod-{n}") for n in range(2)])
    assert world.wait(lambda: world.delivered(0) >= 1), world.incidents("GroupedTwo")
    time.sleep(4)  # a repeat and a tick: a duplicate would show
    ((_, status, group_key, alerts),) = world.incidents("GroupedTwo")
    assert (status, alerts) == ("triggered", 2)
    assert group_key == '{}:{alertname="GroupedTwo"}'
    assert world.delivered(0) == 1 and len(world.pages_for(0)) == 1
    world.no_failures_since(start)


def test_group_by_everything_with_many_labels(world):
    """``group_by: ['...']``: the group key lists every label; with 18 it passes 500."""
    start = len(world.am.log())
    labels = {f"kubernetes_label_{n:02d}": f"value-{n:02d}-of-a-pod" for n in range(16)}
    alert = world.alert(1, "ManyLabels", grouping="all", **labels)
    assert len(alert["labels"]) >= 17
    world.am.post([alert])
    assert world.wait(lambda: world.delivered(1) >= 1), world.incidents("ManyLabels")
    ((_, status, group_key, alerts),) = world.incidents("ManyLabels")
    assert len(group_key) > 500 and 'kubernetes_label_15="value-15-of-a-pod"' in group_key
    assert (status, alerts) == ("triggered", 1)
    assert len(world.pages_for(1)) == 1
    world.no_failures_since(start)


def test_a_thousand_character_generator_url(world):
    start = len(world.am.log())
    alert = world.alert(2, "LongGenerator")
    base = "http://prometheus.example:9090/graph?g0.expr="
    alert["generatorURL"] = base + "rate%28http_requests_total%5B5m%5D%29" * 30
    alert["generatorURL"] = alert["generatorURL"][:1000]
    world.am.post([alert])
    assert world.wait(lambda: world.delivered(2) >= 1), world.am.log_since(start)[-2000:]
    ((status, source, _),) = world.alerts("LongGenerator")
    assert status == "firing" and source == alert["generatorURL"] and len(source) == 1000
    assert len(world.pages_for(2)) == 1
    world.no_failures_since(start)


def test_resolve_one_then_resolve_all(world):
    start = len(world.am.log())
    one, two = (world.alert(3, "ResolveMe", instance=f"pod-{n}") for n in range(2))
    world.am.post([one, two])
    assert world.wait(lambda: world.delivered(3) >= 1)
    world.am.post([world.am.resolved(one)])
    assert world.wait(
        lambda: sorted(s for s, *_ in world.alerts("ResolveMe")) == ["firing", "resolved"]
    ), world.alerts("ResolveMe")
    assert incident_states(world, "ResolveMe") == ["triggered"]
    world.am.post([world.am.resolved(two)])
    assert world.wait(lambda: incident_states(world, "ResolveMe") == ["resolved"]), world.incidents(
        "ResolveMe"
    )
    assert [s for s, *_ in world.alerts("ResolveMe")] == ["resolved", "resolved"]
    assert len(world.pages_for(3)) == 1
    world.no_failures_since(start)


def test_refire_after_resolution_opens_a_new_incident(world):
    start = len(world.am.log())
    alert = world.alert(4, "Refire")
    world.am.post([alert])
    assert world.wait(lambda: incident_states(world, "Refire") == ["triggered"])
    world.am.post([world.am.resolved(alert)])
    assert world.wait(lambda: incident_states(world, "Refire") == ["resolved"])
    again = {**alert, "startsAt": datetime.now(UTC).isoformat()}
    world.am.post([again])
    assert world.wait(lambda: incident_states(world, "Refire") == ["resolved", "triggered"]), (
        world.incidents("Refire")
    )
    first, second = (row[0] for row in world.incidents("Refire"))
    # One page per incident (the second may wait in the 60-second bundling window).
    assert world.wait(lambda: sorted(p[0] for p in world.pages_for(4)) == [first, second])
    time.sleep(3)
    assert sorted(p[0] for p in world.pages_for(4)) == [first, second]
    world.no_failures_since(start)


def test_repeat_notifications_change_nothing(world):
    start = len(world.am.log())
    world.am.post([world.alert(5, "Repeated")])
    assert world.wait(lambda: world.delivered(5) >= 1)
    # Alertmanager sends the unchanged group again every repeat_interval (6 s).
    assert world.wait(
        lambda: len(world.am.successes(world.am.log_since(start), receiver="runwell-repeat")) >= 3,
        timeout=30,
    ), world.am.log_since(start)[-3000:]
    ((_, status, _, alerts),) = world.incidents("Repeated")
    assert (status, alerts) == ("triggered", 1)
    assert world.delivered(5) == 1 and len(world.pages_for(5)) == 1
    world.no_failures_since(start)


def test_portal_down_for_20_seconds_while_an_alert_fires(world):
    """Alertmanager retries while gunicorn is down; once it is back the alert is delivered,
    and opens one incident that pages once."""
    procs = world.stack.procs
    procs.stop("web")
    down_at = datetime.now(UTC)
    start = len(world.am.log())
    world.am.post([world.alert(6, "DuringOutage")])
    time.sleep(20)
    assert world.incidents("DuringOutage") == []
    failed_while_down = world.am.failures(world.am.log_since(start))
    assert failed_while_down, "Alertmanager never tried (or never failed) while the portal was down"
    procs.gunicorn("web", world.port, workers=2)
    up_at = datetime.now(UTC)
    assert world.wait(lambda: world.delivered(6) >= 1, timeout=40), world.am.log_since(start)[
        -3000:
    ]
    time.sleep(4)
    ((_, status, _, alerts),) = world.incidents("DuringOutage")
    assert (status, alerts) == ("triggered", 1)
    assert world.delivered(6) == 1 and len(world.pages_for(6)) == 1
    # Failures only while the portal was down (and the attempt in flight when it came back).
    for line in world.am.failures(world.am.log_since(start)):
        at = am.Alertmanager.logged_at(line)
        assert at is not None and down_at <= at <= up_at + timedelta(seconds=12), line
    assert world.stack.failed_payloads() == []
