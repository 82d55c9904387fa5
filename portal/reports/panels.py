"""Panels the reports area adds to team and service pages (see ``portal.panels``)."""

from datetime import timedelta

from django.utils import timezone

from portal.panels import Panel
from portal.people.selectors import can_manage_team, is_member
from portal.reports import selectors

SERVICE_DAYS = 30


def _may_see(user, team) -> bool:
    return user.is_authenticated and (user.is_staff or is_member(user=user, team=team))


def team_panel(request, team) -> Panel | None:
    """Links to the team's reports, for its members and staff."""
    if not _may_see(request.user, team):
        return None
    return Panel(
        title="Load and feedback",
        template="reports/_panel_team.html",
        context={"team": team, "can_manage": can_manage_team(user=request.user, team=team)},
    )


def service_panel(request, service) -> Panel | None:
    """Operational feedback for the developers who own the service: what it caused over the
    last 30 days. Visible to the owning team's members and staff."""
    if not _may_see(request.user, service.team):
        return None
    end = timezone.now()
    start = end - timedelta(days=SERVICE_DAYS)
    return Panel(
        title=f"Operational feedback (last {SERVICE_DAYS} days)",
        template="reports/_panel_service.html",
        context={
            "service": service,
            "noise": selectors.service_feedback(service=service, start=start, end=end),
        },
    )
