"""Reads about swap and cover requests and time off: who may take a shift, whom to suggest,
the lists on the swaps page, and the notes the calendar and "My shifts" show.

Who is on call always comes from the rotas area (``oncall.selectors``: the final schedule,
loaded in a fixed number of queries); nothing here re-implements the schedule engine.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from oncall import engine
from oncall import selectors as rota
from oncall.models import LayerParticipant, Override, Schedule
from oncall.swaps import rules
from oncall.swaps.models import SwapEvent, SwapOverride, SwapRequest, TimeOff
from portal.people.models import Membership, Team
from portal.people.selectors import can_manage_team, is_member, managed_teams, teams_of

User = get_user_model()

LOAD_DAYS = 90
# How far ahead "My shifts", the schedule card and the clash scan look.
AHEAD_DAYS = 30
# How far ahead a colleague's shifts are offered for a swap.
SWAP_CHOICE_DAYS = 60
HISTORY_LIMIT = 30
# How far past the calendar's edges a viewer's stretch of duty is followed for "ask for cover".
STRETCH_REACH = timedelta(days=35)

Span = rules.Span
_REQUEST_RELATED = (
    "schedule__team",
    "requester__profile",
    "target__profile",
    "taker__profile",
    "created_by__profile",
    "revert_asked_by__profile",
)


def person(user) -> str:
    """A person's display name."""
    if user is None:
        return "nobody"
    profile = getattr(user, "profile", None)
    return profile.name if profile is not None else user.get_username()


# --------------------------------------------------------------------------------------------
# Who is on call when
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    """``user_id`` is on call for ``schedule`` during ``[start, end)`` (final schedule)."""

    start: datetime
    end: datetime
    user_id: int
    schedule: Schedule


def duties(*, user_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[Duty]]:
    """Every person's pieces of every final schedule over ``[start, end)``, by user id.
    Four queries whatever the number of people and schedules."""
    ids = set(user_ids)
    result: dict[int, list[Duty]] = defaultdict(list)
    if not ids:
        return result
    in_layers = (
        LayerParticipant.objects.filter(user_id__in=ids, layer__valid_from__lt=end)
        .filter(Q(layer__valid_until__isnull=True) | Q(layer__valid_until__gt=start))
        .values("layer__schedule_id")
    )
    in_overrides = Override.objects.filter(user_id__in=ids, start__lt=end, end__gt=start).values(
        "schedule_id"
    )
    schedules = list(
        Schedule.objects.filter(Q(pk__in=in_layers) | Q(pk__in=in_overrides)).select_related("team")
    )
    loaded = rota.load_schedules(schedules=schedules, start=start, end=end, with_users=False)
    for schedule in schedules:
        final = engine.final_schedule(
            loaded.engine_layers(schedule.pk), loaded.engine_overrides(schedule.pk), start, end
        )
        for interval in final:
            if interval.user in ids:
                result[interval.user].append(
                    Duty(interval.start, interval.end, interval.user, schedule)
                )
    for items in result.values():
        items.sort(key=lambda d: d.start)
    return result


def time_off_by_user(
    *, user_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, list[TimeOff]]:
    result: dict[int, list[TimeOff]] = defaultdict(list)
    for row in TimeOff.objects.filter(user_id__in=list(user_ids), start__lt=end, end__gt=start):
        result[row.user_id].append(row)
    return result


def holds(*, schedule: Schedule, user_id: int, start: datetime, end: datetime) -> bool:
    """Whether ``user_id`` is on call for ``schedule`` at every moment of ``[start, end)``
    according to the final schedule as it is now."""
    pieces = rota.schedule_final(schedule=schedule, start=start, end=end)
    return rules.held_throughout(
        [(p.start, p.end, p.user_id) for p in pieces], user_id, (start, end)
    )


def holder_at(*, schedule: Schedule, at: datetime):
    """The final-schedule piece around ``at`` (whole), or None."""
    return rota.oncall_at(schedule=schedule, at=at)


# --------------------------------------------------------------------------------------------
# Eligibility and suggestions
# --------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """A colleague who could take a shift, with their on-call hours over the last 90 days and,
    when they cannot, why not."""

    user: object
    load_hours: float
    reason: str = ""

    @property
    def eligible(self) -> bool:
        return not self.reason

    @property
    def name(self) -> str:
        return person(self.user)


def _window(team: Team, take: Span, now: datetime) -> Span:
    margin = timedelta(days=team.max_consecutive_days + 1)
    return min(take[0] - margin, now - timedelta(days=LOAD_DAYS)), take[1] + margin


def _load_hours(duty: list[Duty], now: datetime) -> float:
    lo = now - timedelta(days=LOAD_DAYS)
    seconds = sum(
        (min(d.end, now) - max(d.start, lo)).total_seconds()
        for d in duty
        if d.start < now and d.end > lo
    )
    return seconds / 3600


def why_not(
    *,
    team: Team,
    schedule: Schedule,
    take: Span,
    give: Span | None,
    duty: list[Duty],
    time_off: list[TimeOff],
    member: bool,
    you: bool = False,
) -> str:
    """Why a person cannot take ``take`` on ``schedule`` (giving away ``give`` there in a swap),
    or "" when they can. ``duty`` and ``time_off`` are theirs around that time."""
    subject, be = ("You", "are") if you else ("", "is")
    if not member:
        return f"{subject} {be} not a member of {team.name}".strip()
    for row in time_off:
        if rules.overlaps(row.start, row.end, *take):
            return f"{subject} {be} on time off then".strip()
    for d in duty:
        if d.schedule.pk != schedule.pk and rules.overlaps(d.start, d.end, *take):
            return f"{subject} {be} on call for {d.schedule.name} then".strip()
    spans = [(d.start, d.end) for d in duty]
    if give is not None:
        spans = rules.subtract(
            [(d.start, d.end) for d in duty if d.schedule.pk == schedule.pk], give
        ) + [(d.start, d.end) for d in duty if d.schedule.pk != schedule.pk]
    days = rules.days_in_a_row(spans, take)
    limit = max(team.max_consecutive_days, math.ceil((take[1] - take[0]) / rules.ONE_DAY - 1e-9))
    if days > limit:
        return (
            f"{subject} would be on call {days} days in a row "
            f"(the team's maximum is {team.max_consecutive_days})"
        ).strip()
    return ""


def eligibility(
    *,
    schedule: Schedule,
    user,
    take: Span,
    give: Span | None = None,
    you: bool = False,
    now: datetime | None = None,
) -> str:
    """Why ``user`` cannot take ``take`` on ``schedule`` now, or "" when they can."""
    now = now or timezone.now()
    team = schedule.team
    if not user.is_active:
        return f"{person(user)} is no longer active"
    lo, hi = _window(team, take, now)
    duty = duties(user_ids=[user.pk], start=lo, end=hi)[user.pk]
    time_off = time_off_by_user(user_ids=[user.pk], start=take[0], end=take[1])[user.pk]
    member = Membership.objects.filter(team=team, user=user).exists()
    reason = why_not(
        team=team,
        schedule=schedule,
        take=take,
        give=give,
        duty=duty,
        time_off=time_off,
        member=member,
        you=you,
    )
    if reason and not you:
        return f"{person(user)} {reason}"
    return reason


def candidates(
    *,
    schedule: Schedule,
    start: datetime,
    end: datetime,
    exclude_user_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> list[Candidate]:
    """The schedule team's active members who could take ``[start, end)``, lowest on-call load
    over the last 90 days first, then those who cannot (with the reason). Seven queries
    whatever the team's size."""
    now = now or timezone.now()
    team = schedule.team
    excluded = set(exclude_user_ids)
    members = [
        m.user
        for m in Membership.objects.filter(team=team, user__is_active=True)
        .select_related("user__profile")
        .order_by("user__username")
        if m.user_id not in excluded
    ]
    ids = [u.pk for u in members]
    lo, hi = _window(team, (start, end), now)
    all_duty = duties(user_ids=ids, start=lo, end=hi)
    time_off = time_off_by_user(user_ids=ids, start=start, end=end)
    result = []
    for user in members:
        duty = all_duty.get(user.pk, [])
        reason = why_not(
            team=team,
            schedule=schedule,
            take=(start, end),
            give=None,
            duty=duty,
            time_off=time_off.get(user.pk, []),
            member=True,
        )
        result.append(Candidate(user=user, load_hours=_load_hours(duty, now), reason=reason))
    result.sort(key=lambda c: (not c.eligible, c.load_hours, c.user.get_username()))
    return result


def swappable_shifts(
    *, schedule: Schedule, requester_id: int, now: datetime | None = None
) -> list[rota.Shift]:
    """Colleagues' upcoming stretches of duty on the schedule (next 60 days) that the requester
    could take in exchange for theirs."""
    now = now or timezone.now()
    final = rota.schedule_final(schedule=schedule, start=now, end=now + timedelta(days=60))
    return [
        s
        for s in rota.merge_stretches(final)
        if s.user_id != requester_id and s.start > now and s.user is not None
    ]


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------


def team_schedules_of(*, user) -> QuerySet[Schedule]:
    """The schedules of the viewer's teams, whose calendars a request starts from."""
    return (
        Schedule.objects.filter(team__in=teams_of(user=user))
        .select_related("team")
        .order_by("team__name", "name")
    )


def requests_qs() -> QuerySet[SwapRequest]:
    return SwapRequest.objects.select_related(*_REQUEST_RELATED)


def request_detail(*, pk: int) -> SwapRequest:
    try:
        return requests_qs().get(pk=pk)
    except SwapRequest.DoesNotExist as exc:
        raise Http404("No such swap or cover request.") from exc


def request_events(*, request: SwapRequest) -> QuerySet[SwapEvent]:
    return request.events.select_related("actor__profile").order_by("at", "pk")


def request_overrides(*, request: SwapRequest) -> QuerySet[SwapOverride]:
    return request.links.select_related("override__user__profile", "covers_for__profile")


def overlapping_open(
    *, schedule: Schedule, spans: Iterable[Span], exclude_pk: int | None = None
) -> QuerySet[SwapRequest]:
    """Open requests on the schedule that move any moment of ``spans`` (either side of a swap)."""
    condition = Q()
    for start, end in spans:
        condition |= Q(start__lt=end, end__gt=start)
        condition |= Q(swap_start__lt=end, swap_end__gt=start)
    qs = SwapRequest.objects.filter(
        condition, schedule=schedule, status__in=SwapRequest.OPEN_STATUSES
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs


def can_view(*, user, request: SwapRequest) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff or user.pk in _people(request):
        return True
    return is_member(user=user, team=request.schedule.team)


def can_manage(*, user, request: SwapRequest) -> bool:
    return can_manage_team(user=user, team=request.schedule.team)


def _people(request: SwapRequest) -> set[int]:
    return {
        pk
        for pk in (request.requester_id, request.created_by_id, request.target_id, request.taker_id)
        if pk is not None
    }


@dataclass
class Actions:
    """What one viewer may do with a request right now (drives the buttons)."""

    accept: bool = False
    decline: bool = False
    withdraw: bool = False
    approve: bool = False
    revert: bool = False
    revert_label: str = ""
    waiting_for: str = ""  # a revert this viewer asked for, waiting for the other person
    # Why the rules refuse this viewer's Accept (then ``accept`` is False and the button shows
    # disabled with this reason); known when ``take_reasons`` ran on the request.
    accept_blocked: str = ""

    @property
    def any(self) -> bool:
        return bool(
            self.accept
            or self.accept_blocked
            or self.decline
            or self.withdraw
            or self.approve
            or self.revert
        )


def actions_for(*, user, request: SwapRequest, now: datetime | None = None) -> Actions:
    now = now or timezone.now()
    actions = Actions()
    if not user.is_authenticated:
        return actions
    manager = can_manage(user=user, request=request)
    member = is_member(user=user, team=request.schedule.team)
    live = request.expires_at > now
    if request.status == SwapRequest.Status.PENDING and live and user.pk != request.requester_id:
        if request.target_id is None:
            actions.accept = actions.decline = member
        else:
            actions.accept = actions.decline = user.pk == request.target_id
        reason = getattr(request, "my_reason", "")
        if actions.accept and reason:
            actions.accept, actions.accept_blocked = False, reason
    if request.is_open and live:
        actions.withdraw = user.pk in (request.requester_id, request.created_by_id) or manager
    if request.status == SwapRequest.Status.AWAITING_APPROVAL and live:
        actions.approve = manager
    if request.status == SwapRequest.Status.ACCEPTED and live:
        party = user.pk in (request.requester_id, request.taker_id)
        if manager:
            actions.revert, actions.revert_label = True, "Revert"
        elif party and request.revert_asked_by_id is None:
            actions.revert, actions.revert_label = True, "Ask to revert"
        elif party and request.revert_asked_by_id != user.pk:
            actions.revert, actions.revert_label = True, "Confirm revert"
        elif party:
            other = request.taker if user.pk == request.requester_id else request.requester
            actions.waiting_for = person(other)
    return actions


def passed_ids(*, user) -> QuerySet:
    return SwapEvent.objects.filter(actor=user, action=SwapEvent.Action.PASSED).values("request_id")


def requests_to_me(*, user, now: datetime | None = None) -> list[SwapRequest]:
    """Requests naming me that wait for my answer, those I took that wait for a manager, and
    accepted ones whose revert waits for my confirmation."""
    now = now or timezone.now()
    qs = (
        requests_qs()
        .filter(expires_at__gt=now)
        .filter(
            Q(target=user, status=SwapRequest.Status.PENDING)
            | Q(taker=user, status=SwapRequest.Status.AWAITING_APPROVAL)
            | Q(
                Q(requester=user) | Q(taker=user),
                status=SwapRequest.Status.ACCEPTED,
                revert_asked_by__isnull=False,
            )
            & ~Q(revert_asked_by=user)
        )
    )
    return list(qs.order_by("expires_at", "pk"))


def my_requests(*, user, now: datetime | None = None) -> list[SwapRequest]:
    """My open requests and my accepted ones that have not started (or that a manager made for
    me)."""
    now = now or timezone.now()
    qs = requests_qs().filter(Q(requester=user) | Q(created_by=user), expires_at__gt=now)
    qs = qs.filter(status__in=[*SwapRequest.OPEN_STATUSES, SwapRequest.Status.ACCEPTED])
    return list(qs.order_by("expires_at", "pk"))


def open_requests_for(
    *, user, now: datetime | None = None, reasons: bool = True
) -> list[SwapRequest]:
    """Open-to-all pending requests in my teams that I have not passed on, each with
    ``my_reason``: why I cannot take it ("" when I can). Without ``reasons``, the caller
    loads those (see :func:`take_reasons`) along with other requests'."""
    now = now or timezone.now()
    requests = list(
        requests_qs()
        .filter(
            status=SwapRequest.Status.PENDING,
            target__isnull=True,
            expires_at__gt=now,
            schedule__team__in=teams_of(user=user),
        )
        .exclude(requester=user)
        .exclude(pk__in=passed_ids(user=user))
        .order_by("expires_at", "pk")
    )
    if reasons:
        take_reasons(user=user, requests=requests, now=now)
    return requests


def _asked(user, request: SwapRequest, now: datetime) -> bool:
    """Whether ``user`` is one of those asked to take ``request`` (named, or it is open)."""
    return (
        request.status == SwapRequest.Status.PENDING
        and request.expires_at > now
        and user.pk != request.requester_id
        and request.target_id in (None, user.pk)
    )


def take_reasons(*, user, requests: list[SwapRequest], now: datetime | None = None) -> None:
    """Set ``my_reason`` on those of ``requests`` the viewer is asked to take: why the rules
    would refuse them ("" when they may), so no Accept button is offered that can only fail.
    Requests that already carry one are left alone. No query when none is asked; otherwise a
    fixed number whatever the number of requests."""
    now = now or timezone.now()
    if not user.is_authenticated:
        return
    asked = [r for r in requests if not hasattr(r, "my_reason") and _asked(user, r, now)]
    if not asked:
        return
    margin = max(timedelta(days=r.schedule.team.max_consecutive_days + 1) for r in asked)
    lo = min(r.start for r in asked) - margin
    hi = max(r.end for r in asked) + margin
    duty = duties(user_ids=[user.pk], start=lo, end=hi)[user.pk]
    time_off = time_off_by_user(user_ids=[user.pk], start=lo, end=hi)[user.pk]
    for r in asked:
        r.my_reason = why_not(
            team=r.schedule.team,
            schedule=r.schedule,
            take=(r.start, r.end),
            give=(r.swap_start, r.swap_end) if r.swap_start else None,
            duty=duty,
            time_off=time_off,
            member=True,
            you=True,
        )


def with_actions(*, user, requests: list[SwapRequest], now: datetime | None = None) -> None:
    """Set ``actions`` (see :func:`actions_for`) on each of ``requests``, the reasons the rules
    refuse the viewer's Accept loaded once for all of them."""
    now = now or timezone.now()
    take_reasons(user=user, requests=requests, now=now)
    for r in requests:
        r.actions = actions_for(user=user, request=r, now=now)


def team_requests(*, user, now: datetime | None = None) -> list[SwapRequest]:
    """For managers: the open requests of the teams I manage, those waiting for approval
    first."""
    now = now or timezone.now()
    qs = requests_qs().filter(
        schedule__team__in=managed_teams(user=user),
        status__in=SwapRequest.OPEN_STATUSES,
        expires_at__gt=now,
    )
    rows = list(qs.order_by("expires_at", "pk"))
    rows.sort(key=lambda r: r.status != SwapRequest.Status.AWAITING_APPROVAL)
    return rows


def history(*, user, limit: int = HISTORY_LIMIT, closed_only: bool = False) -> list[SwapRequest]:
    """Requests I was part of (or of teams I manage), most recently changed first; with
    ``closed_only``, only those no longer open."""
    mine = Q(requester=user) | Q(target=user) | Q(taker=user) | Q(created_by=user)
    if user.is_staff:
        mine = Q()
    else:
        mine |= Q(schedule__team__in=managed_teams(user=user))
    qs = requests_qs().filter(mine)
    if closed_only:
        qs = qs.exclude(status__in=SwapRequest.OPEN_STATUSES)
    return list(qs.order_by("-updated_at", "-pk")[:limit])


# --------------------------------------------------------------------------------------------
# Time off and clashes
# --------------------------------------------------------------------------------------------


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
        stretches += rota.merge_stretches([loaded.shift(schedule.pk, i, schedule) for i in final])
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


# --------------------------------------------------------------------------------------------
# Notes for the calendar and "My shifts"
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """What the calendar adds to a bar: a label suffix, a title suffix, CSS classes and, on the
    viewer's own upcoming shifts, a link to ask for cover."""

    label: str = ""
    title: str = ""
    classes: str = ""
    url: str = ""


def calendar_notes(
    *,
    shifts: list[rota.Shift],
    viewer_id: int | None = None,
    now: datetime | None = None,
    window: Span | None = None,
) -> dict[rota.Shift, Note]:
    """For the calendar's final row (``shifts``, cut to ``window``; default: from the first
    start to the last end): "covered by X for Y" on overrides that realise a request, a flag on
    shifts whose holder has time off then, and on the viewer's shifts that have not ended a link
    to ask for cover of the whole stretch of duty they belong to. Two queries, and three more
    when one of the viewer's shifts runs into the window's edge."""
    now = now or timezone.now()
    if not shifts:
        return {}
    window = window or (min(s.start for s in shifts), max(s.end for s in shifts))
    override_ids = [s.source[1] for s in shifts if s.is_override]
    links = {
        link.override_id: link
        for link in SwapOverride.objects.filter(override_id__in=override_ids).select_related(
            "covers_for__profile", "request"
        )
    }
    off = time_off_by_user(
        user_ids={s.user_id for s in shifts},
        start=min(s.start for s in shifts),
        end=max(s.end for s in shifts),
    )
    stretches = whole_stretches(
        pieces=[s for s in shifts if s.user_id == viewer_id and s.end > now], window=window
    )
    notes = {}
    for shift in shifts:
        label, title, classes = "", "", []
        link = links.get(shift.source[1]) if shift.is_override else None
        if link is not None:
            for_whom = person(link.covers_for)
            label = f" for {for_whom}"
            kind = "swap" if link.request.kind == SwapRequest.Kind.SWAP else "cover"
            title = f" — covered by {shift.user_name} for {for_whom} ({kind} #{link.request_id})"
            classes.append("swap-covered")
        away = off.get(shift.user_id, [])
        if any(rules.overlaps(shift.start, shift.end, r.start, r.end) for r in away):
            title += f" — {shift.user_name} has time off then"
            classes.append("timeoff-clash")
            label += " ⚠"
        url = ""
        if shift in stretches:
            url = ask_url(stretches[shift])
            title += " — click to ask for cover or a swap"
        if label or title:
            notes[shift] = Note(label=label, title=title, classes=" ".join(classes), url=url)
    return notes


def whole_stretches(*, pieces: list[rota.Shift], window: Span) -> dict[rota.Shift, rota.Shift]:
    """Each of one person's final-schedule ``pieces`` (as a calendar of ``window`` shows them:
    cut at its edges, split where an override or a higher layer hands back to them) mapped to
    the whole stretch of duty it belongs to, as "My shifts" lists it. A stretch that runs into
    an edge is followed up to ``STRETCH_REACH`` beyond it (longer ones are cut there). No query
    unless a piece meets an edge; then three, whatever the numbers."""
    if not pieces:
        return {}
    start, end = window
    lo, hi = start - STRETCH_REACH, end + STRETCH_REACH
    user_ids = {p.user_id for p in pieces}
    found = list(pieces)
    sides: dict[int, set[Span]] = defaultdict(set)
    schedules = {}
    for piece in pieces:
        if piece.start <= start:
            sides[piece.schedule_id].add((lo, start))
        if piece.end >= end:
            sides[piece.schedule_id].add((end, hi))
        schedules[piece.schedule_id] = piece.schedule or Schedule(pk=piece.schedule_id)
    if sides:
        loaded = rota.load_schedules(
            schedules=[schedules[pk] for pk in sides], start=lo, end=hi, with_users=False
        )
        for pk, spans in sides.items():
            layers, overrides = loaded.engine_layers(pk), loaded.engine_overrides(pk)
            for a, b in spans:
                found += [
                    loaded.shift(pk, interval, schedules[pk])
                    for interval in engine.final_schedule(layers, overrides, a, b)
                    if interval.user in user_ids
                ]
    found.sort(key=lambda s: (s.schedule_id, s.user_id, s.start))
    stretches = rota.merge_stretches(found)
    return {
        piece: next(
            s
            for s in stretches
            if s.schedule_id == piece.schedule_id
            and s.user_id == piece.user_id
            and s.start <= piece.start
            and piece.end <= s.end
        )
        for piece in pieces
    }


def ask_url(shift: rota.Shift) -> str:
    """The page to ask for cover of (or propose a swap for) one of the viewer's shifts."""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    query = urlencode(
        {
            "schedule": shift.schedule_id,
            "shift_start": shift.start.astimezone(UTC).strftime(fmt),
            "shift_end": shift.end.astimezone(UTC).strftime(fmt),
        }
    )
    return f"{reverse('swaps:new')}?{query}"


@dataclass
class ShiftInfo:
    """For one of my stretches of duty: my time off that clashes and my requests about it."""

    clash: TimeOff | None = None
    requests: list[SwapRequest] = field(default_factory=list)


class MyShiftNotes:
    """My time off and open requests over a window, loaded once (two queries), then looked up
    per shift without further queries."""

    def __init__(self, *, user, start: datetime, end: datetime):
        self.time_off = list(TimeOff.objects.filter(user=user, start__lt=end, end__gt=start))
        self.requests = list(
            SwapRequest.objects.filter(
                requester=user,
                status__in=[*SwapRequest.OPEN_STATUSES],
                start__lt=end,
                end__gt=start,
            ).order_by("start")
        )

    def for_shift(self, shift: rota.Shift) -> ShiftInfo:
        clash = next(
            (r for r in self.time_off if rules.overlaps(r.start, r.end, shift.start, shift.end)),
            None,
        )
        requests = [
            r
            for r in self.requests
            if r.schedule_id == shift.schedule_id
            and rules.overlaps(r.start, r.end, shift.start, shift.end)
        ]
        return ShiftInfo(clash=clash, requests=requests)


def accepted_covers(*, schedule: Schedule, now: datetime | None = None) -> QuerySet[SwapOverride]:
    """The schedule's current and upcoming overrides that realise a request."""
    now = now or timezone.now()
    return (
        SwapOverride.objects.filter(override__schedule=schedule, override__end__gt=now)
        .select_related("override__user__profile", "covers_for__profile", "request")
        .order_by("override__start", "pk")
    )
