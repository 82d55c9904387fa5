"""Rota fixtures: one schedule in UTC, a daily layer and helpers. The team and its members
alice, bob and carol come from tests/conftest.py."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests import factories


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def schedule(team):
    return factories.ScheduleFactory(team=team, name="Primary")


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def daily_layer(schedule, alice, bob, carol, now):
    """Daily handoffs at midnight UTC, alice → bob → carol, in force since long ago; today's
    holder is whoever the rotation says."""
    return factories.LayerFactory(
        schedule=schedule,
        name="Daily",
        shift_unit="days",
        rotation_start=(now - timedelta(days=300)).date(),
        handoff_time=datetime.min.time(),
        participants=[alice, bob, carol],
    )
