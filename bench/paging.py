"""Benchmark 4: time to page, with a real gunicorn, Celery worker and Celery beat.

``INCIDENTS`` alerts are posted to ``/hooks/alertmanager/<token>/`` at ``RATE`` per second,
each opening its own incident on its own service, whose policy pages one person on a chat
webhook (a loopback receiver in this process), then after ``wait_minutes`` (1) a second
person. Time to page is from the moment the webhook request is sent (so it includes
ingestion) to the moment the receiver gets the page: median, 95th percentile (goal: under
1 s) and maximum. Every incident must be paged exactly once per step.

The second step is left to the beat tick alone (nothing kicks it), so its lag shows how
late the engine fires a due step: the engine's own record (``IncidentEvent.lag_ms``, due time
to firing) and the delivery of the second page (due time to arrival), median, 95th percentile
and maximum (goal: under one tick, 2 s).
"""

from __future__ import annotations

import os
import statistics
import threading
import time

from bench import harness
from bench.pages import percentile
from bench.world import alertmanager_body, paging_world

INCIDENTS = 300
RATE = 10.0  # incidents per second
TTP_GOAL_MS = 1000


def _quiet_everything_else() -> dict:
    """Only our incidents may page during the measurement: stop escalation of every other
    incident and retire undelivered notifications left by the seed."""
    from incidents.models import Incident
    from portal.notifications.models import Notification

    quieted = Incident.objects.filter(next_escalation_at__isnull=False).update(
        next_escalation_at=None
    )
    retired = Notification.objects.filter(
        status__in=[Notification.Status.PENDING, Notification.Status.SENDING]
    ).update(status=Notification.Status.FAILED, last_error="Retired by make bench.")
    return {"incidents_quieted": quieted, "notifications_retired": retired}


def _flush_broker(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def _stats(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "max_ms": round(max(values), 1),
    }


def run(*, env: dict, broker_url: str, log=print) -> dict:
    from django.conf import settings

    from incidents.models import Incident, IncidentEvent

    tick_ms = settings.CELERY_BEAT_SCHEDULE["incidents-escalation-tick"]["schedule"] * 1000
    quiet = _quiet_everything_else()
    _flush_broker(broker_url)
    prefix = f"ttp{int(time.time()) % 100000}"
    with harness.Receiver() as receiver, harness.Processes(env=env) as procs:
        world = paging_world(
            prefix=prefix, count=INCIDENTS, receiver=receiver.url(""), steps=2, wait_minutes=1
        )
        port = harness.free_port()
        workers = max(2, os.cpu_count() or 1)
        procs.gunicorn("web", port, workers=workers)
        procs.worker("worker", concurrency=4)
        procs.beat("beat")
        sent: dict[int, float] = {}
        statuses: dict[int, int] = {}

        def send() -> None:
            start = time.monotonic()
            for i, slug in enumerate(world["services"]):
                delay = start + i / RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                body = alertmanager_body(
                    group=f"{prefix}-g{i}", alerts=[(f"{prefix}-f{i}", {"service": slug})]
                )
                sent[i] = time.monotonic()
                status, _ = harness.post_one(port, world["path"], body)
                statuses[status] = statuses.get(status, 0) + 1

        sender = threading.Thread(target=send)
        sender.start()
        sender.join()
        log(f"  paging: {INCIDENTS} alerts sent at {RATE:g}/s, statuses {statuses}")
        first = f"/{prefix}/a/"
        harness.wait_until(lambda: len(receiver.delivered(first)) >= INCIDENTS, timeout=60)
        arrivals: dict[int, list] = {}
        for a in receiver.delivered(first):
            arrivals.setdefault(int(a.path.rsplit("/", 1)[1]), []).append(a)
        ttp = [(arrivals[i][0].at - sent[i]) * 1000 for i in sent if i in arrivals]
        log(f"  paging: first pages delivered: {len(ttp)}/{INCIDENTS}; waiting for step 2")

        incident_ids = list(
            Incident.objects.filter(integration_id=world["integration_id"]).values_list(
                "pk", flat=True
            )
        )

        def step_two_events():
            return IncidentEvent.objects.filter(
                incident_id__in=incident_ids, kind=IncidentEvent.Kind.ESCALATION, data__level=2
            )

        harness.wait_until(lambda: step_two_events().count() >= len(incident_ids), timeout=120)
        second = f"/{prefix}/b/"
        harness.wait_until(lambda: len(receiver.delivered(second)) >= INCIDENTS, timeout=30)
        lags = [e.lag_ms for e in step_two_events() if e.lag_ms is not None]
        due = {
            e.incident.alerts.first().dedup_key: e.due_at.timestamp()
            for e in step_two_events().select_related("incident")
        }
        second_lag = []
        for a in receiver.delivered(second):
            i = int(a.path.rsplit("/", 1)[1])
            key = f"{prefix}-f{i}"
            if key in due:
                second_lag.append((a.wall - due[key]) * 1000)
        snapshot = receiver.snapshot()
    per_path: dict[str, int] = {}
    for a in snapshot:
        if a.outcome == "delivered":
            per_path[a.path] = per_path.get(a.path, 0) + 1
    duplicates = sum(n - 1 for n in per_path.values() if n > 1)
    ttp_stats = _stats(ttp)
    lag_stats = _stats([float(x) for x in lags])
    second_stats = _stats(second_lag)
    return {
        "name": "time_to_page",
        "incidents": INCIDENTS,
        "rate_per_s": RATE,
        "webhook_statuses": {str(k): v for k, v in statuses.items()},
        "time_to_page": ttp_stats,
        "time_to_page_goal_p95_ms": TTP_GOAL_MS,
        "first_pages_delivered": len(ttp),
        "second_step_escalation_lag": lag_stats,
        "second_step_delivery_lag": second_stats,
        "tick_ms": tick_ms,
        "second_steps_fired": len(lags),
        "duplicate_pages": duplicates,
        "setup": quiet,
        "meets_goals": (
            len(ttp) == INCIDENTS
            and ttp_stats.get("p95_ms", 1e9) < TTP_GOAL_MS
            and len(lags) == INCIDENTS
            and lag_stats.get("p95_ms", 1e9) < tick_ms
            and duplicates == 0
        ),
    }
