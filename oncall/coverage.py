"""Coverage: the times in the coming days with nobody on call, for the schedule and team
pages and the managers' weekly warnings."""

from datetime import datetime, timedelta

from django.utils import timezone

from oncall import engine
from oncall.models import Schedule
from oncall.selectors import Loaded, load_schedules

COVERAGE_DAYS = 30


def _now(at: datetime | None) -> datetime:
    return timezone.now() if at is None else at


def _gaps(loaded: Loaded, schedule, start, end) -> list[tuple[datetime, datetime]]:
    final = engine.final_schedule(
        loaded.engine_layers(schedule.pk), loaded.engine_overrides(schedule.pk), start, end
    )
    return engine.gaps(final, start, end)


def schedule_gaps(
    *, schedule: Schedule, start: datetime | None = None, days: int = COVERAGE_DAYS
) -> list[tuple[datetime, datetime]]:
    """The times in the next ``days`` days (from ``start``, default now) with nobody on call."""
    start = _now(start)
    end = start + timedelta(days=days)
    return _gaps(
        load_schedules(schedules=[schedule], start=start, end=end, with_users=False),
        schedule,
        start,
        end,
    )


def schedules_gaps(
    *, schedules: list[Schedule], start: datetime | None = None, days: int = COVERAGE_DAYS
) -> dict[int, list[tuple[datetime, datetime]]]:
    """``{schedule id: gaps}`` for many schedules in three queries."""
    start = _now(start)
    end = start + timedelta(days=days)
    loaded = load_schedules(schedules=schedules, start=start, end=end, with_users=False)
    return {s.pk: _gaps(loaded, s, start, end) for s in schedules}
