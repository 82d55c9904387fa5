"""Demo rotas for ``seed_demo``: schedules with layers and overrides for the demo teams.

small: Payments (demo manages it and is on the weekly rota; alice and bob share business hours),
Platform (demo is on its 12-hour rota) and Search (weekdays only, so it shows coverage gaps).
large: two schedules for each generated team (about 200), with two or three layers each and a
few overrides around now. Idempotent: a schedule that exists (by team and name) is left alone.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from oncall.models import Layer, LayerParticipant, Override, Schedule
from portal.people.models import Membership, Team
from portal.wording import counted

User = get_user_model()

# Rotas started long ago and their versions have been in force since then, so the calendar
# has history to show.
HISTORY_FROM = datetime(2024, 1, 1, tzinfo=UTC)
ROTATION_START = date(2024, 1, 1)  # a Monday
WEEKDAYS = [0, 1, 2, 3, 4]

# team, schedule, zone, description, layers:
#   (name, people, length, unit, handoff, active days, active start, active end)
SMALL = [
    (
        "payments",
        "Payments primary",
        "Europe/London",
        "First call for payments-api, ledger and refunds.",
        [
            ("Weekly", ["demo", "alice", "bob", "carol"], 1, "weeks", time(9), None, None, None),
            (
                "Business hours",
                ["alice", "bob"],
                1,
                "days",
                time(9),
                WEEKDAYS,
                time(9),
                time(17),
            ),
        ],
    ),
    (
        "payments",
        "Payments secondary",
        "Europe/London",
        "Backup when primary does not answer.",
        [("Weekly", ["bob", "carol", "alice"], 1, "weeks", time(9), None, None, None)],
    ),
    (
        "platform",
        "Platform on call",
        "America/Chicago",
        "Kubernetes, databases and Kafka.",
        [("12 hours", ["dave", "erin", "frank", "demo"], 12, "hours", time(8), None, None, None)],
    ),
    (
        "search",
        "Search daytime",
        "Europe/Berlin",
        "Weekdays only: nights and weekends are not covered yet.",
        [
            (
                "Weekdays",
                ["grace", "heidi", "carol"],
                1,
                "days",
                time(8),
                WEEKDAYS,
                time(8),
                time(20),
            )
        ],
    ),
]


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _create(rows, users_by_team: dict[int, list], now: datetime, rng: random.Random) -> int:
    """rows: (team, name, zone, description, layer specs with participant user objects)."""
    existing = set(Schedule.objects.values_list("team_id", "name"))
    fresh = [r for r in rows if (r[0].pk, r[1]) not in existing]
    if not fresh:
        return 0
    schedules = Schedule.objects.bulk_create(
        [Schedule(team=t, name=n, time_zone=z, description=d) for t, n, z, d, _ in fresh],
        batch_size=500,
    )
    layers, people = [], []
    for schedule, (_, _, zone, _, specs) in zip(schedules, fresh, strict=True):
        for position, (name, members, length, unit, handoff, days, a_start, a_end) in enumerate(
            specs
        ):
            layers.append(
                Layer(
                    schedule=schedule,
                    position=position,
                    name=name,
                    time_zone=zone,
                    shift_length=length,
                    shift_unit=unit,
                    rotation_start=ROTATION_START,
                    handoff_time=handoff,
                    active_days=days,
                    active_start=a_start,
                    active_end=a_end,
                    valid_from=HISTORY_FROM,
                )
            )
            people.append(members)
    layers = Layer.objects.bulk_create(layers, batch_size=500)
    LayerParticipant.objects.bulk_create(
        [
            LayerParticipant(layer=layer, user=user, position=i)
            for layer, members in zip(layers, people, strict=True)
            for i, user in enumerate(members)
        ],
        batch_size=2000,
    )
    overrides = []
    for schedule in schedules:
        members = users_by_team.get(schedule.team_id) or []
        if not members:
            continue
        for _ in range(rng.randint(1, 4)):
            start = _hour(now) + timedelta(hours=rng.randint(-24 * 20, 24 * 40))
            overrides.append(
                Override(
                    schedule=schedule,
                    user=rng.choice(members),
                    start=start,
                    end=start + timedelta(hours=rng.choice([2, 4, 8, 12, 24])),
                    reason=rng.choice(
                        ["Doctor's appointment", "Swap for a holiday", "Travelling", "Cover"]
                    ),
                )
            )
    Override.objects.bulk_create(overrides, batch_size=1000)
    return len(schedules)


def _small(now: datetime, rng: random.Random) -> int:
    teams = {t.slug: t for t in Team.objects.filter(slug__in={r[0] for r in SMALL})}
    names = {p for r in SMALL for spec in r[4] for p in spec[1]}
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    rows, by_team = [], {}
    for slug, name, zone, description, specs in SMALL:
        team = teams.get(slug)
        if team is None:
            continue
        layer_specs = [
            (spec[0], [users[u] for u in spec[1] if u in users], *spec[2:]) for spec in specs
        ]
        rows.append((team, name, zone, description, layer_specs))
        by_team.setdefault(team.pk, sorted({u for s in layer_specs for u in s[1]}, key=str))
    return _create(rows, by_team, now, rng)


def _large(now: datetime, rng: random.Random) -> int:
    teams = list(Team.objects.filter(slug__startswith="team-").order_by("slug"))
    members: dict[int, list] = {}
    for membership in (
        Membership.objects.filter(team__in=teams).select_related("user").order_by("user_id")
    ):
        members.setdefault(membership.team_id, []).append(membership.user)
    zones = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]
    rows = []
    for team in teams:
        people = members.get(team.pk, [])
        if len(people) < 2:
            continue
        zone = rng.choice(zones)
        for kind in ("Primary", "Secondary"):
            order = people[:]
            rng.shuffle(order)
            specs = [("Weekly", order, 1, "weeks", time(9), None, None, None)]
            if rng.random() < 0.6:
                specs.append(
                    ("Business hours", order[:3], 1, "days", time(9), WEEKDAYS, time(9), time(17))
                )
            if rng.random() < 0.4 or len(specs) == 1:
                specs.append(("Nights", order[-3:], 12, "hours", time(20), None, None, None))
            rows.append((team, f"{team.name} {kind.lower()}", zone, f"{kind} rota.", specs))
    return _create(rows, members, now, rng)


@transaction.atomic
def seed(*, scale: str, rng: random.Random, stdout=sys.stdout) -> None:
    now = timezone.now()
    created = _small(now, rng)
    if scale == "large":
        created += _large(now, rng)
    stdout.write(f"  rotas: {counted(created, 'new schedule')} ({Schedule.objects.count()} in all)")
