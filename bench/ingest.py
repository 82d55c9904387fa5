"""Benchmark 3: alert ingestion through ``POST /hooks/alertmanager/<token>/`` under gunicorn.

Next to it, under the same gunicorn (same workers, middleware, database and connection
settings), ``POST /bench/bare/`` parses the same JSON bodies and does one INSERT: the stack's
own limit. Concurrent clients (raw HTTP over asyncio, cheap enough that the server is what
is measured) send every body; the two endpoints take turns in two rounds each so that
background load hits both alike. A real Celery worker runs beside gunicorn: the webhook
stores each payload in the inbox and answers 202, and the worker ingests it
(``incidents.ingest.inbox_drain``).

Reported:

- **accepted** (the issue's goal, ≥ 0.5 of the bare view): requests (= alerts, one per body)
  answered 202 per second by each endpoint, and their ratio. The worker is paused (SIGSTOP to
  its process group) while a webhook round is sent, as it is for a bare round: in production
  the workers run on other machines than the web processes, and on this benchmark's 2 CPUs a
  worker ingesting at full speed would take the CPU the web processes need, which measures
  the machine's size, not the webhook. Payloads wait in the inbox meanwhile, as they would
  behind a busy worker.
- **end to end** (informational, shown against the same 0.5): alerts per second from the
  first request of a round until the worker, resumed, has ingested the last alert of it (the
  inbox is empty): the webhook's time plus the worker's, on the same 2 CPUs, so what a burst
  costs before every incident exists. The next round starts only then.

The goal counts as met when the accepted ratio reaches it, every request was answered 202 and
the verification passes; the end-to-end verdict is printed beside it.

What is measured is ingestion, as before the inbox: the escalation kicks of the incidents
opened here are parked in a queue no worker reads (``bench.settings``) and dropped, as they
were left in the broker when this benchmark ran no worker; ``bench.paging`` measures
escalation and paging.

The alerts: ``INTEGRATIONS`` team integrations, ``GROUPS`` Alertmanager groups spread over
them, ``PER_GROUP`` alerts per group, and every alert sent twice (as Alertmanager re-sends a
group), all shuffled, so concurrent requests for one group race each other. Afterwards the
inbox must be empty (nothing failed) and the database must hold exactly one incident per group
and one alert row per fingerprint, each in its group's incident, and the bare table one row per
request.
"""

from __future__ import annotations

import os
import random
import signal
import time

from bench import harness
from bench.world import alertmanager_body

INTEGRATIONS = 16
GROUPS = 300
PER_GROUP = 3
CONCURRENCY = 16
RATIO_GOAL = 0.5
DRAIN_TIMEOUT = 300  # seconds to wait for the worker to empty the inbox after a round


def _setup(prefix: str) -> list[tuple[int, str]]:
    from django.db import connection

    from bench.urls import BARE_TABLE, CREATE_BARE_TABLE
    from incidents import services
    from portal.people.services import team_create

    with connection.cursor() as cursor:
        cursor.execute(CREATE_BARE_TABLE)
        cursor.execute(f"TRUNCATE {BARE_TABLE}")
    hooks = []
    for n in range(INTEGRATIONS + 1):  # the last one takes the warm-up traffic
        team = team_create(name=f"Bench ingest {prefix} {n}", slug=f"{prefix}-{n}")
        integration, token = services.integration_create(
            name=f"bench {n}",
            kind="alertmanager",
            by=None,
            team=team,
            rate_limit_per_minute=100_000,
        )
        hooks.append((integration.pk, integration.webhook_path(token)))
    return hooks


def _requests(hooks, prefix: str, rng: random.Random):
    """Bodies of single-alert payloads, each sent twice, shuffled; and what must be stored."""
    expected: dict[int, dict[str, set[str]]] = {pk: {} for pk, _ in hooks}
    requests = []
    for g in range(GROUPS):
        pk, path = hooks[g % INTEGRATIONS]
        group = f'{{}}:{{alertname="Bench{g}"}}'
        expected[pk][group] = set()
        for a in range(PER_GROUP):
            fingerprint = f"{prefix}{g:05d}{a}"
            expected[pk][group].add(fingerprint)
            labels = {"alertname": f"Bench{g}", "instance": f"host-{a}:9100", "job": "node"}
            body = alertmanager_body(group=group, alerts=[(fingerprint, labels)])
            requests += [(path, body), (path, body)]
    rng.shuffle(requests)
    return requests, expected


def _inbox_waiting(integration_ids: list[int]) -> int:
    from incidents.models import InboxPayload

    return InboxPayload.objects.filter(
        integration_id__in=integration_ids, failed_at__isnull=True
    ).count()


def _wait_drained(integration_ids: list[int]) -> bool:
    """Poll (every 20 ms) until the worker has ingested every payload of ours."""
    return harness.wait_until(
        lambda: _inbox_waiting(integration_ids) == 0, timeout=DRAIN_TIMEOUT, interval=0.02
    )


def _verify(expected: dict[int, dict[str, set[str]]], bare_sent: int) -> dict:
    from django.db import connection

    from bench.urls import BARE_TABLE
    from incidents.models import Alert, InboxPayload, Incident

    problems = []
    stored = duplicates = 0
    for pk, groups in expected.items():
        incidents = {
            i.group_key: i for i in Incident.objects.filter(integration_id=pk).order_by("pk")
        }
        if set(incidents) != set(groups) or Incident.objects.filter(
            integration_id=pk
        ).count() != len(groups):
            problems.append(f"integration {pk}: {len(incidents)} incidents, {len(groups)} groups")
        rows = list(Alert.objects.filter(integration_id=pk).values_list("dedup_key", "incident_id"))
        stored += len(rows)
        keys = [k for k, _ in rows]
        duplicates += len(keys) - len(set(keys))
        for group, fingerprints in groups.items():
            incident = incidents.get(group)
            got = {k for k, i in rows if incident is not None and i == incident.pk}
            if got != fingerprints:
                problems.append(f"group {group}: alerts {sorted(got)} != {sorted(fingerprints)}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BARE_TABLE}")
        bare_stored = cursor.fetchone()[0]
    if bare_stored != bare_sent:
        problems.append(f"bare view stored {bare_stored} of {bare_sent}")
    inbox = InboxPayload.objects.filter(integration_id__in=list(expected))
    waiting = inbox.filter(failed_at__isnull=True).count()
    failed = inbox.filter(failed_at__isnull=False).count()
    if waiting or failed:
        problems.append(f"inbox not drained: {waiting} payloads waiting, {failed} failed")
    return {
        "alerts_expected": sum(len(f) for g in expected.values() for f in g.values()),
        "alerts_stored": stored,
        "duplicate_alert_rows": duplicates,
        "incidents_expected": sum(len(g) for g in expected.values()),
        "incidents_stored": Incident.objects.filter(integration_id__in=list(expected)).count(),
        "bare_rows_stored": bare_stored,
        "inbox_waiting": waiting,
        "inbox_failed": failed,
        "problems": problems[:10],
        "verified": not problems,
    }


def _drop_parked(broker_url: str) -> int:
    """The escalation kicks our processes parked (see ``bench.settings``): how many, gone."""
    import redis

    client = redis.Redis.from_url(broker_url)
    parked = client.llen("bench-parked")
    client.delete("bench-parked")
    return parked


def _quiet(integration_ids: list[int]) -> None:
    """Our incidents must not page anyone in the next benchmark: nobody escalates them."""
    from incidents.models import Incident

    Incident.objects.filter(integration_id__in=integration_ids).update(next_escalation_at=None)


def run(*, env: dict, log=print) -> dict:
    prefix = f"bi{int(time.time()) % 100000}"
    rng = random.Random(11)
    hooks = _setup(prefix)
    warm_pk, warm_path = hooks.pop()
    requests, expected = _requests(hooks, prefix, rng)
    bare_bodies = [("/bench/bare/", body) for _, body in requests]
    ours = [pk for pk, _ in hooks] + [warm_pk]
    workers = max(2, 2 * (os.cpu_count() or 1))
    concurrency = max(2, os.cpu_count() or 1)
    port = harness.free_port()
    rates: dict[str, list[tuple[int, float]]] = {"hook": [], "bare": []}
    end_to_end: list[tuple[int, float]] = []  # (alerts, first request -> inbox empty)
    statuses: dict[str, dict[int, int]] = {"hook": {}, "bare": {}}
    drained = True
    with harness.Processes(env={**env, "BENCH_PARK_ESCALATIONS": "1"}) as procs:
        procs.gunicorn("web", port, workers=workers)
        procs.worker("worker", concurrency=concurrency)
        warm = [
            (warm_path, alertmanager_body(group="warm", alerts=[(f"w{i}", {})])) for i in range(60)
        ]
        warm_bare = [("/bench/bare/", b) for _, b in warm]
        harness.post_many(port, warm + warm_bare, concurrency=CONCURRENCY)
        drained &= _wait_drained(ours)
        half = len(requests) // 2
        rounds = [
            ("bare", bare_bodies[:half]),
            ("hook", requests[:half]),
            ("bare", bare_bodies[half:]),
            ("hook", requests[half:]),
        ]
        for kind, batch in rounds:
            if kind == "hook":
                procs.kill("worker", signal.SIGSTOP)  # see the docstring: "accepted"
            started = time.monotonic()
            try:
                results = harness.post_many(port, batch, concurrency=CONCURRENCY)
                elapsed = time.monotonic() - started
            finally:
                if kind == "hook":
                    procs.kill("worker", signal.SIGCONT)
            rates[kind].append((len(batch), elapsed))
            for status, _, _ in results:
                statuses[kind][status] = statuses[kind].get(status, 0) + 1
            if kind == "hook":
                drained &= _wait_drained(ours)
                total = time.monotonic() - started
                end_to_end.append((len(batch), total))
                log(
                    f"  ingest hook: {len(batch)} requests accepted in {elapsed:.2f} s, "
                    f"all ingested after {total:.2f} s"
                )
            else:
                log(f"  ingest {kind:4}: {len(batch)} requests in {elapsed:.2f} s")
    _quiet(ours)
    parked = _drop_parked(env["CELERY_BROKER_URL"])
    bare_sent = len(bare_bodies) + len(warm)
    verification = _verify(expected, bare_sent)
    hook_rate = sum(n for n, _ in rates["hook"]) / sum(t for _, t in rates["hook"])
    bare_rate = sum(n for n, _ in rates["bare"]) / sum(t for _, t in rates["bare"])
    e2e_seconds = sum(t for _, t in end_to_end)
    e2e_rate = sum(n for n, _ in end_to_end) / e2e_seconds
    accept_ok = hook_rate / bare_rate >= RATIO_GOAL
    e2e_ok = e2e_rate / bare_rate >= RATIO_GOAL
    all_accepted = statuses["hook"] == {202: len(requests)} and statuses["bare"] == {
        202: len(bare_bodies)
    }
    return {
        "name": "alert_ingestion",
        "server": f"gunicorn, {workers} sync workers",
        "worker": f"Celery worker, concurrency {concurrency}",
        "clients": CONCURRENCY,
        "requests": len(requests),
        "alerts_per_request": 1,
        "hook_alerts_per_s": round(hook_rate, 1),
        "bare_insert_per_s": round(bare_rate, 1),
        "ratio": round(hook_rate / bare_rate, 2),
        "ratio_goal": RATIO_GOAL,
        "end_to_end_alerts_per_s": round(e2e_rate, 1),
        "end_to_end_seconds": round(e2e_seconds, 2),
        "end_to_end_ratio": round(e2e_rate / bare_rate, 2),
        "accept_seconds": round(sum(t for _, t in rates["hook"]), 2),
        "inbox_drained": drained,
        "escalation_kicks_parked": parked,
        "hook_statuses": {str(k): v for k, v in statuses["hook"].items()},
        "bare_statuses": {str(k): v for k, v in statuses["bare"].items()},
        **verification,
        "accept_meets_goal": accept_ok,
        "end_to_end_meets_goal": e2e_ok,
        "meets_goals": accept_ok and verification["verified"] and drained and all_accepted,
    }
