"""Swap fixtures: the team's members alice, bob and carol (from tests/conftest.py) on a daily
rota (handoffs at 00:00 UTC, alice → bob → carol), dave off it, and helpers to find a person's
next shift on it."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from oncall import selectors as rota
from oncall.stretches import merge_stretches
from tests import factories


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def dave(team):
    """A member of the team who is not on the rota."""
    return factories.MembershipFactory(team=team, user__username="dave").user


@pytest.fixture
def schedule(team, alice, bob, carol):
    schedule = factories.ScheduleFactory(team=team, name="Primary")
    factories.LayerFactory(
        schedule=schedule,
        name="Daily",
        shift_unit="days",
        rotation_start=(timezone.now() - timedelta(days=300)).date(),
        handoff_time=time(0),
        participants=[alice, bob, carol],
    )
    return schedule


def next_shift(schedule, user, *, after: datetime | None = None) -> rota.Shift:
    """``user``'s first whole stretch on ``schedule`` starting after ``after`` (default: a day
    from now, so it is safely in the future)."""
    after = after or timezone.now() + timedelta(days=1)
    final = rota.schedule_final(schedule=schedule, start=after, end=after + timedelta(days=20))
    for shift in merge_stretches(final):
        if shift.user_id == user.pk and shift.start > after:
            return shift
    raise AssertionError(f"{user} has no shift on {schedule}")


def holder(schedule, at: datetime):
    shift = rota.oncall_at(schedule=schedule, at=at)
    return shift.user.username if shift else None
