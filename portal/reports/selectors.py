"""Read queries of the reports area's own data: teams' public holidays. The reports
themselves are in :mod:`portal.reports.load`, :mod:`portal.reports.weekly` and
:mod:`portal.reports.noise`."""

from collections import defaultdict
from datetime import date

from django.db.models import QuerySet

from portal.people.models import Team
from portal.reports.models import Holiday


def team_holidays(*, team: Team) -> QuerySet[Holiday]:
    return Holiday.objects.filter(team=team).order_by("date")


def holiday_dates_by_team(*, team_ids) -> dict[int, set[date]]:
    """``{team id: its holiday dates}`` for these teams (those with any): one query."""
    dates: dict[int, set[date]] = defaultdict(set)
    for team_id, day in Holiday.objects.filter(team_id__in=team_ids).values_list("team_id", "date"):
        dates[team_id].add(day)
    return dict(dates)
