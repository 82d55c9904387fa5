"""Panels the incidents area adds to the dashboard, team and service pages."""

from django.utils import timezone

from incidents import selectors
from incidents.paging_now import paging_now, service_paging_now
from portal.panels import Column, Panel
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


def paging_panel(request, service) -> Panel:
    """Which escalation policy pages for the service, its steps, and whom it would page now."""
    return Panel(
        title="Who gets paged",
        template="incidents/_panel_paging.html",
        context={
            "paging": service_paging_now(service=service, now=timezone.now()),
            "can_manage": can_manage_team(user=request.user, team=service.team),
        },
    )


def oncall_column(request, services) -> Column:
    """The catalog's "On call now": whom the first step of each service's policy pages now."""
    return Column(
        header="On call now",
        note="step 1 of its escalation policy",
        template="incidents/_oncall_cell.html",
        cells=paging_now(services=services, now=timezone.now()),
    )
