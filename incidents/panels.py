"""Panels the incidents area adds to the dashboard, team and service pages."""

from incidents import selectors
from portal.panels import Panel
from portal.people.access import can_manage_team
from portal.people.selectors import teams_of

PANEL_LIMIT = 10


def dashboard_panel(request, obj) -> Panel | None:
    """Open incidents of my teams, and how many are open elsewhere."""
    teams = list(teams_of(user=request.user))
    mine = list(selectors.open_incidents(teams=teams)[:PANEL_LIMIT]) if teams else []
    total = selectors.open_incidents().count()
    mine_total = selectors.open_incidents(teams=teams).count() if teams else 0
    return Panel(
        title="Open incidents",
        template="incidents/_panel_dashboard.html",
        context={"incidents": mine, "others": total - mine_total},
    )


def service_panel(request, service) -> Panel | None:
    return Panel(
        title="Incidents",
        template="incidents/_panel_service.html",
        context={
            "service": service,
            "incidents": list(selectors.open_incidents(service=service)[:PANEL_LIMIT]),
            "window": selectors.active_maintenance(service=service),
            "can_manage": can_manage_team(user=request.user, team=service.team),
        },
    )


def team_panel(request, team) -> Panel | None:
    return Panel(
        title="Incidents",
        template="incidents/_panel_team.html",
        context={
            "team": team,
            "incidents": list(selectors.open_incidents(teams=[team])[:PANEL_LIMIT]),
            "can_manage": can_manage_team(user=request.user, team=team),
        },
    )
