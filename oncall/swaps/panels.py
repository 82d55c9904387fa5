"""Swap panels for the dashboard and team pages (see ``portal.panels``): shown only when
something waits for the viewer."""

from datetime import timedelta

from django.utils import timezone

from oncall.models import Schedule
from oncall.swaps import clashes as swap_clashes
from oncall.swaps.actions import with_actions
from oncall.swaps.lists import open_requests_for, requests_to_me
from oncall.swaps.models import SwapRequest
from oncall.swaps.one_request import requests_qs
from portal.panels import Panel
from portal.people.access import can_manage_team, managed_teams

TEMPLATE = "swaps/_panel.html"


def dashboard_panel(request, obj) -> Panel | None:
    """Requests waiting for my answer, open requests I could take, approvals waiting for me and
    my shifts during my time off."""
    user = request.user
    now = timezone.now()
    to_me = requests_to_me(user=user, now=now)
    open_requests = [r for r in open_requests_for(user=user, now=now) if not r.my_reason]
    approvals = SwapRequest.objects.filter(
        schedule__team__in=managed_teams(user=user),
        status=SwapRequest.Status.AWAITING_APPROVAL,
        expires_at__gt=now,
    ).count()
    clashes = []
    if swap_clashes.upcoming_time_off(user=user, now=now).exists():
        schedules = Schedule.objects.filter(team__in=user.teams.all()).select_related("team")
        clashes = [
            c
            for c in swap_clashes.clashes(
                schedules=schedules, start=now, end=now + timedelta(days=swap_clashes.AHEAD_DAYS)
            )
            if c.shift.user_id == user.pk
        ]
    if not (to_me or open_requests or approvals or clashes):
        return None
    with_actions(user=user, requests=to_me, now=now)
    return Panel(
        title="Swaps and cover",
        template=TEMPLATE,
        context={
            "to_me": to_me,
            "open_count": len(open_requests),
            "approvals": approvals,
            "clashes": clashes,
        },
    )


def team_panel(request, team) -> Panel | None:
    """For the team's managers: requests waiting for approval and shifts during time off."""
    if not can_manage_team(user=request.user, team=team):
        return None
    now = timezone.now()
    waiting = list(
        requests_qs()
        .filter(
            schedule__team=team,
            status__in=SwapRequest.OPEN_STATUSES,
            expires_at__gt=now,
        )
        .order_by("expires_at")
    )
    clashes = swap_clashes.team_clashes(teams=[team], now=now)
    if not (waiting or clashes):
        return None
    with_actions(user=request.user, requests=waiting, now=now)
    return Panel(
        title="Swaps and cover",
        template=TEMPLATE,
        context={"team_requests": waiting, "clashes": clashes, "manager": True},
    )
