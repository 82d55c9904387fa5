"""Time off and the shifts it clashes with: a person's upcoming time off, the stretches of duty
whose holder is away then (with any open request already moving them), and the swaps card
under a schedule's calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from oncall import engine
from oncall import selectors as rota
from oncall.models import Schedule
from oncall.stretches import merge_stretches
from oncall.swaps import rules
from oncall.swaps.actions import with_actions
from oncall.swaps.duty import Span, time_off_by_user
from oncall.swaps.models import SwapOverride, SwapRequest, TimeOff
from oncall.swaps.notes import ShiftInfo, accepted_covers, whole_stretches
from oncall.swaps.one_request import requests_qs
from portal.people.models import Team

# How far ahead "My shifts", the schedule card and the clash scan look.
AHEAD_DAYS = 30


def upcoming_time_off(*, user, now: datetime | None = None) -> QuerySet[TimeOff]:
    return TimeOff.objects.filter(user=user, end__gt=now or timezone.now()).order_by("start")


@dataclass
class Clash:
    """``shift`` (a stretch of duty) meets ``time_off`` of the person holding it."""

    shift: rota.Shift
    time_off: TimeOff
    requests: list[SwapRequest] = field(default_factory=list)

    @property
    def schedule(self) -> Schedule:
        return self.shift.schedule


def _stretches(schedules: list[Schedule], start: datetime, end: datetime) -> list[rota.Shift]:
    """Every stretch of duty of the schedules' final schedules over ``[start, end)``."""
    loaded = rota.load_schedules(schedules=schedules, start=start, end=end)
    stretches: list[rota.Shift] = []
    for schedule in schedules:
        final = engine.final_schedule(
            loaded.engine_layers(schedule.pk), loaded.engine_overrides(schedule.pk), start, end
        )
        stretches += merge_stretches([loaded.shift(schedule.pk, i, schedule) for i in final])
    return stretches


def _clashes_in(
    stretches: list[rota.Shift], off: dict[int, list[TimeOff]], open_requests: list[SwapRequest]
) -> list[Clash]:
    found = [
        Clash(shift=s, time_off=row)
        for s in stretches
        for row in off.get(s.user_id, [])
        if rules.overlaps(s.start, s.end, row.start, row.end)
    ]
    for clash in found:
        clash.requests = [
            r
            for r in open_requests
            if r.schedule_id == clash.shift.schedule_id
            and r.requester_id == clash.shift.user_id
            and rules.overlaps(r.start, r.end, clash.shift.start, clash.shift.end)
        ]
    found.sort(key=lambda c: (c.shift.start, c.shift.schedule_id))
    return found


def _open_requests(schedules, start: datetime, end: datetime) -> list[SwapRequest]:
    return list(
        requests_qs()
        .filter(
            schedule__in=schedules,
            status__in=SwapRequest.OPEN_STATUSES,
            start__lt=end,
            end__gt=start,
        )
        .order_by("expires_at", "pk")
    )


def clashes(*, schedules: Iterable[Schedule], start: datetime, end: datetime) -> list[Clash]:
    """Stretches of duty on ``schedules`` in ``[start, end)`` whose holder has time off then,
    with any open request already moving part of them. Five queries whatever the numbers."""
    schedules = list(schedules)
    if not schedules:
        return []
    stretches = _whole(_stretches(schedules, start, end), (start, end))
    hi = max([end, *(s.end for s in stretches)])
    off = time_off_by_user(user_ids={s.user_id for s in stretches}, start=start, end=hi)
    if not any(off.values()):
        return []
    return _clashes_in(stretches, off, _open_requests(schedules, start, hi))


def _whole(pieces: list[rota.Shift], window: Span) -> list[rota.Shift]:
    """``pieces`` (stretches of duty cut at ``window``'s edges) as the whole stretches they
    belong to, with their real start and end: a shift that began before the window or runs
    past it is not shown or offered cut short. No query unless a piece meets an edge."""
    whole = whole_stretches(pieces=pieces, window=window)
    # What lies beyond the window is loaded without people: keep the piece's for display.
    return list(dict.fromkeys(replace(whole[p], user=p.user, schedule=p.schedule) for p in pieces))


@dataclass
class ScheduleSwaps:
    """What the swaps card under a schedule's calendar shows to one viewer."""

    my_shifts: list[tuple[rota.Shift, ShiftInfo]]
    covers: list[SwapOverride]
    open_requests: list[SwapRequest]
    clashes: list[Clash]


def schedule_swaps(*, schedule: Schedule, user, now: datetime | None = None) -> ScheduleSwaps:
    """The viewer's next shifts on the schedule (with their time-off clashes and requests), the
    shifts covered for someone, the open requests and everyone's time-off clashes, over the
    next 30 days. Each shift is whole: one already running shows (and is asked about with) its
    real start, one running past the 30 days its real end. A fixed number of queries: seven,
    three more to follow a shift beyond now or day 30, and a few more when the viewer could
    take an open request (to say why not, if so)."""
    now = now or timezone.now()
    end = now + timedelta(days=AHEAD_DAYS)
    stretches = _whole(_stretches([schedule], now, end), (now, end))
    hi = max([end, *(s.end for s in stretches)])
    off = time_off_by_user(user_ids={s.user_id for s in stretches} | {user.pk}, start=now, end=hi)
    open_requests = _open_requests([schedule], now, hi)
    with_actions(user=user, requests=open_requests, now=now)
    mine = []
    for shift in stretches:
        if shift.user_id != user.pk:
            continue
        info = ShiftInfo(
            clash=next(
                (
                    r
                    for r in off.get(user.pk, [])
                    if rules.overlaps(r.start, r.end, shift.start, shift.end)
                ),
                None,
            ),
            requests=[
                r
                for r in open_requests
                if r.requester_id == user.pk
                and rules.overlaps(r.start, r.end, shift.start, shift.end)
            ],
        )
        mine.append((shift, info))
    return ScheduleSwaps(
        my_shifts=mine,
        covers=list(accepted_covers(schedule=schedule, now=now)),
        open_requests=[r for r in open_requests if r.expires_at > now],
        clashes=_clashes_in(stretches, off, open_requests),
    )


def team_clashes(*, teams: Iterable[Team], now: datetime | None = None) -> list[Clash]:
    now = now or timezone.now()
    schedules = Schedule.objects.filter(team__in=list(teams)).select_related("team")
    return clashes(schedules=schedules, start=now, end=now + timedelta(days=AHEAD_DAYS))
