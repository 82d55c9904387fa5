"""A team's postmortem backlog, as the weekly review lists it: postmortems still being
written and action items past their due date."""

from __future__ import annotations

from datetime import date

from incidents.postmortems.models import ActionItem, Postmortem
from incidents.postmortems.selectors import team_action_items
from portal.people.models import Team


def open_postmortems(*, team: Team, limit: int = 20) -> list[Postmortem]:
    """The team's postmortems not yet published (draft or in review), oldest incident first:
    one query."""
    return list(
        Postmortem.objects.filter(team=team, status__in=Postmortem.EDITABLE_STATUSES)
        .select_related("incident")
        .order_by("started_at")[:limit]
    )


def overdue_action_items(*, team: Team, today: date, limit: int = 30) -> list[ActionItem]:
    """The team's open action items due before ``today``: one query."""
    return list(team_action_items(team=team).filter(due_date__lt=today)[:limit])
