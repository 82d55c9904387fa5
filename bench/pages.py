"""Benchmark 2: the main pages, the reports and their exports on the small and on the large seed.

Each page is requested in this process through Django's test ``Client`` as the ``demo`` user
(manager of Payments), against PostgreSQL with ``DEBUG=false`` (cached templates): a few
warm-up requests, then ``REPEAT`` timed ones. Reported per page and seed: median and 95th
percentile latency (ms) and the number of SQL queries (``CaptureQueriesContext``). The large
seed is loaded on top of the small one, so both runs show the same objects: what changes is
how much else is in the database (about 1,000 people, 300 services, 200 schedules and a year
of incidents). Goals: the same query count on both seeds (no query per row), and a
large/small latency ratio under 1.5 (indexes, not scans).

The reports are among them: the team load review (30 days), last week's weekly review, the
noisy-services ranking and the two CSV exports (load and on-call hours, 90 days each).

A page that does not exist yet, or answers an error, is reported as "missing" with the reason.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

REPEAT = 15
WARMUP = 3
LATENCY_GOAL = 1.5


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _targets() -> list[tuple[str, Callable[[], str]]]:
    """(page, function giving its URL). The objects are picked by rules that give the same
    rows on both seeds (the large seed adds to the small one)."""
    from django.urls import reverse

    def schedule() -> str:
        from oncall.models import Schedule

        s = Schedule.objects.filter(team__slug="payments").order_by("pk").first()
        if s is None:
            raise LookupError("Payments has no schedule")
        return reverse("oncall:schedule_detail", args=[s.pk])

    def postmortem_obj():
        from incidents.postmortems.models import Postmortem

        p = Postmortem.objects.filter(incident__team__slug="payments").order_by("pk").first()
        if p is None:
            raise LookupError("Payments has no postmortem")
        return p

    def incident() -> str:
        return reverse("incidents:incident_detail", args=[postmortem_obj().incident_id])

    def weekly_review() -> str:
        from django.utils import timezone

        from portal.reports.weekly import previous_week

        year, week = previous_week(timezone.now(), timezone.get_current_timezone())
        return reverse("reports:weekly_review", args=["payments", year, week])

    def report(name: str) -> Callable[[], str]:
        return lambda: reverse(name, args=["payments"]) + "?period=90"

    return [
        ("dashboard", lambda: reverse("dashboard")),
        ("schedule calendar", schedule),
        ("service page", lambda: reverse("catalog:service_detail", args=["payments-api"])),
        ("incident list", lambda: reverse("incidents:incident_list") + "?status=all"),
        ("incident page", incident),
        ("postmortem page", lambda: reverse("postmortems:detail", args=[postmortem_obj().pk])),
        ("team load review", lambda: reverse("reports:load_review", args=["payments"])),
        ("weekly review", weekly_review),
        ("noisy services 90d", report("reports:service_ranking")),
        ("load CSV 90d", report("reports:load_csv")),
        ("on-call hours CSV", report("reports:compensation_csv")),
    ]


class Router:
    """Sends every query to ``Router.alias`` ("small") while it is set; None means the
    default database (the large seed). Lets one process interleave requests to both seeds,
    so that load from other programs on the machine hits both alike."""

    alias: str | None = None

    def db_for_read(self, model, **hints):
        return Router.alias

    def db_for_write(self, model, **hints):
        return Router.alias

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, **hints):
        return None


SEEDS = {"small": "small", "large": None}  # seed -> database alias for the router


def measure(*, log=print) -> dict:
    """Interleave requests to the small and the large seed, page by page."""
    from django.contrib.auth import get_user_model
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients, urls = {}, {}
    for seed, alias in SEEDS.items():
        Router.alias = alias
        user = get_user_model().objects.get(username="demo")
        clients[seed] = Client()
        clients[seed].force_login(user)
    results: dict[str, dict[str, dict]] = {seed: {} for seed in SEEDS}
    try:
        for page, url_for in _targets():
            live = []
            for seed, alias in SEEDS.items():
                Router.alias = alias
                try:
                    urls[seed] = url_for()
                    for _ in range(WARMUP):
                        response = clients[seed].get(urls[seed])
                    if response.status_code != 200:
                        raise LookupError(f"HTTP {response.status_code} at {urls[seed]}")
                    live.append(seed)
                except Exception as exc:  # noqa: BLE001 - a page missing or broken
                    results[seed][page] = {"status": "missing", "reason": repr(exc)[:300]}
                    log(f"  {seed:5} {page:18} missing: {exc!r}"[:200])
            samples = {seed: ([], set()) for seed in live}
            for _ in range(REPEAT):
                for seed in live:
                    alias = SEEDS[seed]
                    Router.alias = alias
                    with CaptureQueriesContext(connections[alias or "default"]) as captured:
                        started = time.perf_counter()
                        response = clients[seed].get(urls[seed])
                        if response.streaming:  # a streamed export: time all of it
                            b"".join(response.streaming_content)
                        elapsed = (time.perf_counter() - started) * 1000
                    samples[seed][0].append(elapsed)
                    samples[seed][1].add(len(captured.captured_queries))
            for seed in live:
                times, queries = samples[seed]
                r = results[seed][page] = {
                    "status": "ok",
                    "url": urls[seed],
                    "median_ms": round(statistics.median(times), 1),
                    "p95_ms": round(percentile(times, 95), 1),
                    "queries": max(queries),
                    "queries_stable": len(queries) == 1,
                }
                log(
                    f"  {seed:5} {page:18} median {r['median_ms']:7.1f} ms  "
                    f"p95 {r['p95_ms']:7.1f} ms  {r['queries']:3} queries"
                )
    finally:
        Router.alias = None
    return compare(results["small"], results["large"])


def compare(small: dict[str, dict], large: dict[str, dict]) -> dict:
    pages = []
    for page in small.keys() | large.keys():
        s, g = small.get(page, {}), large.get(page, {})
        row = {"page": page, "small": s, "large": g}
        if s.get("status") == "ok" and g.get("status") == "ok":
            row["same_queries"] = s["queries"] == g["queries"]
            row["latency_ratio"] = round(g["median_ms"] / s["median_ms"], 2)
            row["meets_goals"] = row["same_queries"] and row["latency_ratio"] < LATENCY_GOAL
        else:
            row["meets_goals"] = False
        pages.append(row)
    order = [name for name, _ in _targets()]
    pages.sort(key=lambda r: order.index(r["page"]) if r["page"] in order else len(order))
    return {
        "name": "pages",
        "repeat": REPEAT,
        "latency_ratio_goal": LATENCY_GOAL,
        "pages": pages,
        "meets_goals": all(r["meets_goals"] for r in pages),
    }
