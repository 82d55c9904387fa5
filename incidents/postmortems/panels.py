"""Panels the postmortems area adds to the dashboard, team and service pages: open and
overdue action items, and postmortems waiting to be written or reviewed."""

from django.utils import timezone

from incidents.postmortems import access, selectors
from portal.panels import Panel
from portal.people.access import can_manage_team
from portal.people.selectors import teams_of

PANEL_LIMIT = 5
TEAMS_LIMIT = 10


def dashboard_panel(request, obj) -> Panel | None:
    user = request.user
    today = timezone.localdate()
    mine = selectors.action_items_of_owner(user=user)
    teams = list(teams_of(user=user).order_by("name")[:TEAMS_LIMIT])
    return Panel(
        title="Follow-up",
        template="postmortems/_panel_dashboard.html",
        context={
            "counts": selectors.item_counts(qs=mine, today=today),
            "items": list(mine[:PANEL_LIMIT]),
            "today": today,
            "teams": selectors.teams_item_counts(teams=teams, today=today),
            "needing": list(selectors.incidents_needing_postmortem(teams=teams)[:PANEL_LIMIT])
            if teams
            else [],
            "reviews": list(selectors.reviews_waiting_for(user=user)[:PANEL_LIMIT]),
        },
    )


def service_panel(request, service) -> Panel | None:
    today = timezone.localdate()
    items = access.items_visible_to(
        selectors.service_action_items(service=service), user=request.user
    )
    return Panel(
        title="Action items",
        template="postmortems/_panel_service.html",
        context={
            "service": service,
            "counts": selectors.item_counts(qs=items, today=today),
            "items": list(items[: PANEL_LIMIT * 2]),
            "today": today,
            "postmortems": selectors.published_for_service(service=service, limit=PANEL_LIMIT),
        },
    )


def team_panel(request, team) -> Panel | None:
    """Links only (no queries): the team's action items, postmortems and settings."""
    return Panel(
        title="Postmortems",
        template="postmortems/_panel_team.html",
        context={"team": team, "can_manage": can_manage_team(user=request.user, team=team)},
    )
