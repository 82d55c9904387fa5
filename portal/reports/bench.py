"""Timings of the reports on the current database (meant for the large seed), for ``make
bench``: each page is rendered through the test client as a manager of the busiest team, a few
times, and its median time and SQL query count are reported.

Run alone with ``python -m portal.reports.bench``; the bench runner calls :func:`run`.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta

REPEAT = 3


@dataclass
class Timing:
    name: str
    median_ms: float
    queries: int
    status: int


def _busiest_team(since):
    from django.db.models import Count, Q

    from portal.people.models import Team

    return (
        Team.objects.annotate(n=Count("incidents", filter=Q(incidents__triggered_at__gte=since)))
        .order_by("-n", "pk")
        .first()
    )


def _measure(client, name: str, url: str, repeat: int) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, status = [], 0, 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        queries, status = len(captured), response.status_code
    return Timing(name, statistics.median(times), queries, status)


def run(*, stdout=sys.stdout, repeat: int = REPEAT) -> list[Timing]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from portal.catalog.models import Service
    from portal.people.models import Membership

    now = timezone.now()
    team = _busiest_team(now - timedelta(days=90))
    if team is None:
        stdout.write("reports: no teams (run seed_demo --scale large first)\n")
        return []
    manager = (
        Membership.objects.filter(team=team, role=Membership.Role.MANAGER)
        .select_related("user")
        .first()
    )
    user = manager.user if manager else get_user_model().objects.filter(is_staff=True).first()
    client = Client()
    client.force_login(user)
    service = Service.objects.filter(team=team).order_by("pk").first()
    year, week, _ = (now - timedelta(days=7)).isocalendar()
    cases = [
        ("load review, 30 days", reverse("reports:load_review", args=[team.slug])),
        (
            "load review, 90 days",
            reverse("reports:load_review", args=[team.slug]) + "?period=90",
        ),
        ("load CSV, 90 days", reverse("reports:load_csv", args=[team.slug]) + "?period=90"),
        ("weekly review", reverse("reports:weekly_review", args=[team.slug, year, week])),
        (
            "noisiest services, 90 days",
            reverse("reports:service_ranking", args=[team.slug]) + "?period=90",
        ),
    ]
    if service is not None:
        cases.append(("service page with feedback", service.get_absolute_url()))
    timings = [_measure(client, name, url, repeat) for name, url in cases]
    stdout.write(f"reports ({team.name}, as {user.get_username()}, median of {repeat}):\n")
    for t in timings:
        stdout.write(f"  {t.name:<30} {t.median_ms:8.1f} ms {t.queries:4d} queries  [{t.status}]\n")
    return timings


if __name__ == "__main__":  # pragma: no cover
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    run()
