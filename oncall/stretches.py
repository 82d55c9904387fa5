"""Stretches of duty: touching shifts of one person in one schedule joined into one, and a
person's stretches over a window with their real start and end ("My shifts")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from oncall.models import Schedule
from oncall.selectors import Shift, user_shifts


def merge_stretches(shifts: list[Shift]) -> list[Shift]:
    """Join touching shifts of one person in one schedule (a higher layer or an override
    that hands back to the same person does not start a new stretch of duty)."""
    merged: list[Shift] = []
    for shift in shifts:
        if (
            merged
            and merged[-1].end == shift.start
            and merged[-1].user_id == shift.user_id
            and merged[-1].schedule_id == shift.schedule_id
        ):
            last = merged[-1]
            merged[-1] = Shift(
                schedule_id=last.schedule_id,
                start=last.start,
                end=shift.end,
                user_id=last.user_id,
                source=last.source,
                user=last.user,
                schedule=last.schedule,
            )
        else:
            merged.append(shift)
    return merged


# "My shifts" loads this much either side of its window, so a stretch that began before now or
# runs past the window shows its real start and end.
MY_SHIFTS_MARGIN = timedelta(days=14)


@dataclass(frozen=True)
class Stretch:
    """One stretch of a person's duty on one schedule that overlaps a window, whole as far as
    the margin loaded around the window shows it.

    ``began_before`` / ``continues``: the stretch reaches the edge of what was loaded, so it
    really starts earlier / ends later than ``start`` / ``end`` say. ``window_hours`` counts
    only the part inside the window."""

    shift: Shift
    began_before: bool
    continues: bool
    window_hours: float

    @property
    def schedule(self) -> Schedule | None:
        return self.shift.schedule

    @property
    def schedule_id(self) -> int:
        return self.shift.schedule_id

    @property
    def start(self) -> datetime:
        return self.shift.start

    @property
    def end(self) -> datetime:
        return self.shift.end

    @property
    def hours(self) -> float:
        return self.shift.hours


def my_stretches(
    *, user, start: datetime, end: datetime, margin: timedelta = MY_SHIFTS_MARGIN
) -> list[Stretch]:
    """The user's stretches of duty overlapping ``[start, end)``, by start time, with their
    real start and end (looked for up to ``margin`` either side of the window)."""
    lo, hi = start - margin, end + margin
    shifts = user_shifts(user=user, start=lo, end=hi)
    merged = merge_stretches(sorted(shifts, key=lambda s: (s.schedule_id, s.start)))
    stretches = [
        Stretch(
            shift=s,
            began_before=s.start <= lo,
            continues=s.end >= hi,
            window_hours=(min(s.end, end) - max(s.start, start)).total_seconds() / 3600,
        )
        for s in merged
        if s.start < end and s.end > start
    ]
    stretches.sort(key=lambda s: (s.start, s.schedule_id))
    return stretches
