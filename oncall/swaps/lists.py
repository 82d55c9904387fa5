"""Reads of swap and cover requests: the open requests a new one would collide with, the lists
on the swaps page (to me, mine, open to my teams, my teams' for managers, history) and why the
rules would refuse the viewer's Accept. One request is read in :mod:`oncall.swaps.one_request`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from oncall.models import Schedule
from oncall.swaps import access
from oncall.swaps.duty import Span, duties, time_off_by_user
from oncall.swaps.eligibility import why_not
from oncall.swaps.models import SwapEvent, SwapRequest
from oncall.swaps.one_request import requests_qs
from portal.people.access import managed_teams
from portal.people.selectors import teams_of

HISTORY_LIMIT = 30


def team_schedules_of(*, user) -> QuerySet[Schedule]:
    """The schedules of the viewer's teams, whose calendars a request starts from."""
    return (
        Schedule.objects.filter(team__in=teams_of(user=user))
        .select_related("team")
        .order_by("team__name", "name")
    )


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
    qs = requests_qs().filter(access.history_filter(user=user))
    if closed_only:
        qs = qs.exclude(status__in=SwapRequest.OPEN_STATUSES)
    return list(qs.order_by("-updated_at", "-pk")[:limit])
