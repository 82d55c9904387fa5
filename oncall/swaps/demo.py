"""Demo swaps and time off for ``seed_demo`` (runs after the rotas seeder).

small: on Payments, alice has time off during her next shift (a flagged clash), bob asks the
whole team to cover a day, carol asks demo to cover one of her shifts (so demo has something to
accept from the inbox), and on Payments secondary alice already covers a day for bob (the
calendar shows "covered by"). large: an open cover request on a few generated teams' rotas.

Everything goes through the services, so the requests hold against the final schedule and the
people concerned get their messages. Idempotent: an item whose request (schedule, requester,
reason) or time off (person, note) exists is left alone; an item the rota no longer allows is
skipped.
"""

from __future__ import annotations

import random
import sys
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from oncall import selectors as rota
from oncall.models import Schedule
from oncall.stretches import merge_stretches
from oncall.swaps import services
from oncall.swaps import time_off as time_off_services
from oncall.swaps.models import SwapRequest, TimeOff
from portal.wording import counted

User = get_user_model()

# Twelve weeks: the demo rotas turn every 4 (primary) and 3 (secondary) weeks, so within 12
# weeks every pairing of their turns comes up once. With a shorter look-ahead, on the days when
# bob's only secondary week fell in alice's primary week, no part of it could go to alice and
# the demo lost its "assigned by the manager" request.
LOOK_AHEAD = timedelta(weeks=12)
# Requests are made for stretches starting at least this far ahead, so they stay open a while.
LEAD = timedelta(days=2)
LARGE_TEAMS = 25


def _stretches(schedule: Schedule, user, now) -> list:
    """The user's next stretches on the schedule starting after ``now + LEAD``."""
    final = rota.schedule_final(schedule=schedule, start=now, end=now + LOOK_AHEAD)
    return [s for s in merge_stretches(final) if s.user_id == user.pk and s.start > now + LEAD]


def _windows(shift, hours: int | None):
    """The whole stretch, or ``hours``-long parts of it every 12 hours."""
    if hours is None:
        yield shift.start, shift.end
        return
    start = shift.start
    while start < shift.end:
        yield start, min(shift.end, start + timedelta(hours=hours))
        start += timedelta(hours=12)


def _ask(schedule, requester, reason, now, *, hours=None, by=None, **kwargs) -> bool:
    """Ask for cover of the first part of the requester's next stretches (within
    ``LOOK_AHEAD``) that the rota allows: a stretch next to the target's own shifts may push
    them past the team's maximum days in a row, so later ones are tried too."""
    if SwapRequest.objects.filter(schedule=schedule, requester=requester, reason=reason).exists():
        return False
    for shift in _stretches(schedule, requester, now):
        for start, end in _windows(shift, hours):
            try:
                with transaction.atomic():
                    services.swap_request_create(
                        schedule=schedule,
                        requester=requester,
                        by=by or requester,
                        shift_start=shift.start,
                        shift_end=shift.end,
                        start=start,
                        end=end,
                        reason=reason,
                        now=now,
                        **kwargs,
                    )
            except ValidationError:
                continue
            return True
    return False


def _time_off(user, schedule, note, now) -> bool:
    if TimeOff.objects.filter(user=user, note=note).exists():
        return False
    shifts = _stretches(schedule, user, now)
    if not shifts:
        return False
    start = shifts[0].start.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        time_off_services.time_off_create(
            user=user, start=start, end=start + timedelta(days=3), note=note
        )
    except ValidationError:
        return False
    return True


def _small(now) -> int:
    users = {
        u.username: u for u in User.objects.filter(username__in=["demo", "alice", "bob", "carol"])
    }
    schedules = {
        s.name: s
        for s in Schedule.objects.filter(
            team__slug="payments", name__in=["Payments primary", "Payments secondary"]
        ).select_related("team")
    }
    primary, secondary = schedules.get("Payments primary"), schedules.get("Payments secondary")
    if primary is None or len(users) < 4:
        return 0
    made = 0
    made += _time_off(users["alice"], primary, "Holiday in Lisbon", now)
    made += _ask(primary, users["bob"], "Family wedding", now, hours=24)
    made += _ask(primary, users["carol"], "Conference talk", now, hours=8, target=users["demo"])
    if secondary is not None:
        made += _ask(
            secondary,
            users["bob"],
            "Moving house",
            now,
            hours=12,
            target=users["alice"],
            by=users["demo"],
            assign=True,
        )
    return made


def _large(now, rng: random.Random) -> int:
    made = 0
    schedules = list(
        Schedule.objects.filter(team__slug__startswith="team-", name__endswith="primary")
        .select_related("team")
        .order_by("team__slug")[:LARGE_TEAMS]
    )
    asked = set(
        SwapRequest.objects.filter(schedule__in=schedules).values_list("schedule_id", flat=True)
    )
    for schedule in schedules:
        if schedule.pk in asked:
            continue
        current = rota.oncall_at(schedule=schedule, at=now + LEAD + timedelta(days=3))
        if current is None or current.user is None:
            continue
        made += _ask(schedule, current.user, rng.choice(["Holiday", "Sick child", "Travel"]), now)
    return made


@transaction.atomic
def seed(*, scale: str, rng: random.Random, stdout=sys.stdout) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    before = SwapRequest.objects.count(), TimeOff.objects.count()
    _small(now)
    if scale == "large":
        _large(now, rng)
    requests, time_off = SwapRequest.objects.count(), TimeOff.objects.count()
    stdout.write(
        f"  swaps: {counted(requests - before[0], 'new request')} and "
        f"{counted(time_off - before[1], 'new time-off entry', 'new time-off entries')} "
        f"({counted(requests, 'request')} and "
        f"{counted(time_off, 'time-off entry', 'time-off entries')} in all)"
    )
