"""On-call panels for the dashboard, team and service pages (see ``portal.panels``)."""

from datetime import timedelta

from django.utils import timezone

from oncall import selectors
from oncall.stretches import merge_stretches
from portal.panels import Panel
from portal.people.access import can_manage_team
from portal.people.selectors import teams_of

TEMPLATE = "oncall/_panel_oncall.html"


def dashboard_panel(request, obj) -> Panel | None:
    """Who is on call now and next for each of my teams, and my next shift."""
    teams = list(teams_of(user=request.user).order_by("name"))
    if not teams:
        return None
    now = timezone.now()
    by_team = selectors.teams_oncall(teams=teams, at=now)
    shifts = selectors.user_shifts(user=request.user, start=now, end=now + timedelta(days=30))
    # Touching shifts of one schedule are one stretch: "until" says when the run ends.
    mine = merge_stretches(sorted(shifts, key=lambda s: (s.schedule_id, s.start)))
    mine.sort(key=lambda s: (s.start, s.schedule_id))
    groups = [(team, by_team[team.pk]) for team in teams if by_team[team.pk]]
    return Panel(
        title="On call now",
        template=TEMPLATE,
        context={
            "groups": groups,
            "my_next": mine[0] if mine else None,
            "show_mine": True,
            "now": now,
        },
    )


def _team_panel(request, team) -> Panel:
    rows = selectors.team_oncall(team=team)
    return Panel(
        title="On call now",
        template=TEMPLATE,
        context={
            "groups": [(team, rows)],
            "team": team,
            "can_manage": can_manage_team(user=request.user, team=team),
        },
    )


def team_panel(request, team) -> Panel:
    return _team_panel(request, team)


def service_panel(request, service) -> Panel:
    """Who to call about a service: its owning team's schedules."""
    return _team_panel(request, service.team)
