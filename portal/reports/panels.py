"""Panels the reports area adds to team and service pages (see ``portal.panels``)."""

from django.utils import timezone

from portal.panels import Panel
from portal.people.access import can_manage_team, can_see_team
from portal.reports.forms import ServicePeriodForm
from portal.reports.noise import service_feedback


def team_panel(request, team) -> Panel | None:
    """Links to the team's reports, for its members and staff."""
    if not can_see_team(user=request.user, team=team):
        return None
    return Panel(
        title="Load and feedback",
        template="reports/_panel_team.html",
        context={"team": team, "can_manage": can_manage_team(user=request.user, team=team)},
    )


def service_feedback_context(*, service, params) -> dict:
    """What the service feedback panel shows for the period chosen in ``params`` (the last 7,
    30 or 90 days; 30 when none is chosen). An invalid choice leaves ``noise`` None and the
    form carries the message. Shared by the service page and the panel's own htmx view."""
    form = ServicePeriodForm(params)
    context = {"service": service, "form": form, "noise": None}
    if form.is_valid():
        start, end, label = form.bounds(now=timezone.now())
        context.update(
            period=form.cleaned_data["feedback_period"],
            label=label,
            start=start,
            end=end,
            noise=service_feedback(service=service, start=start, end=end),
        )
    return context


def service_panel(request, service) -> Panel | None:
    """Operational feedback for the developers who own the service: what it caused over the
    last 7, 30 or 90 days (``?feedback_period=``). Visible to the owning team's members and
    staff."""
    if not can_see_team(user=request.user, team=service.team):
        return None
    return Panel(
        title="Operational feedback",
        template="reports/_panel_service.html",
        context=service_feedback_context(service=service, params=request.GET),
    )
