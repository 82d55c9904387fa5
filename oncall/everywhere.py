"""Who is on call right now, everywhere: every schedule of every team with the person on call,
until when (the end of their continuous run: touching shifts of one person are one stretch)
and the next hand-off (when, and to whom). A fixed number of queries for any number of
schedules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from oncall import engine
from oncall.models import Schedule
from oncall.selectors import LOOKBEHIND, NEXT_HORIZON, Shift, load_schedules
from oncall.stretches import merge_stretches
from portal.people.names import person_name


@dataclass(frozen=True)
class OnCallRow:
    """One schedule at ``at``: ``now`` the stretch of duty covering it (None in a gap), ``nxt``
    the next stretch of somebody else, or of anybody after a gap (None: nobody within the
    horizon); ``handoff_at`` when the current stretch ends (None when nobody is on call)."""

    schedule: Schedule
    now: Shift | None
    nxt: Shift | None

    @property
    def handoff_at(self) -> datetime | None:
        return self.now.end if self.now is not None else None

    @property
    def gap_after(self) -> bool:
        """Nobody is on call between the current stretch's end and the next one."""
        return self.now is not None and (self.nxt is None or self.nxt.start > self.now.end)


def schedules_of(*, schedules: QuerySet[Schedule], team: str = "") -> QuerySet[Schedule]:
    """``schedules`` (of the team with slug ``team`` if given), by team and schedule name."""
    if team:
        schedules = schedules.filter(team__slug=team)
    return schedules.select_related("team").order_by("team__name", "name", "pk")


def oncall_everywhere(*, schedules, at: datetime) -> list[OnCallRow]:
    """An :class:`OnCallRow` per schedule at ``at``: four queries (the schedules, then the
    layers, participants and overrides of all of them) whatever their number."""
    schedules = list(schedules)
    loaded = load_schedules(schedules=schedules, start=at - LOOKBEHIND, end=at + NEXT_HORIZON)
    rows = []
    for schedule in schedules:
        layers = loaded.engine_layers(schedule.pk)
        overrides = loaded.engine_overrides(schedule.pk)
        current = engine.on_call_at(layers, overrides, at)
        start = current.start if current is not None else at
        pieces = merge_stretches(
            [
                loaded.shift(schedule.pk, i, schedule)
                for i in engine.final_schedule(layers, overrides, start, at + NEXT_HORIZON)
            ]
        )
        now = pieces[0] if current is not None and pieces else None
        later = pieces[1:] if now is not None else [p for p in pieces if p.start > at]
        rows.append(OnCallRow(schedule=schedule, now=now, nxt=later[0] if later else None))
    return rows


def row_matches(row: OnCallRow, q: str) -> bool:
    """The text filter: ``q`` in the schedule's or team's name, or the name of the person on
    call now or next."""
    q = q.strip().casefold()
    names = [row.schedule.name, row.schedule.team.name]
    for shift in (row.now, row.nxt):
        if shift is not None and shift.user is not None:
            names += [person_name(shift.user), shift.user.username]
    return not q or any(q in name.casefold() for name in names)
