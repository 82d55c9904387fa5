"""Who may take a shift, and whom to suggest: the team's rules (membership, time off, another
schedule's duty at the same time, days on call in a row) applied to one person or to the whole
team, the lowest on-call load of the last 90 days first."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from oncall import selectors as rota
from oncall.models import Schedule
from oncall.stretches import merge_stretches
from oncall.swaps import rules
from oncall.swaps.duty import Duty, Span, duties, time_off_by_user
from oncall.swaps.models import TimeOff
from portal.people.models import Membership, Team
from portal.people.names import person_name

LOAD_DAYS = 90
# How far ahead a colleague's shifts are offered for a swap.
SWAP_CHOICE_DAYS = 60


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
        return person_name(self.user)


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
        return f"{person_name(user)} is no longer active"
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
        return f"{person_name(user)} {reason}"
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
        for s in merge_stretches(final)
        if s.user_id != requester_id and s.start > now and s.user is not None
    ]
