"""The weekly on-call review: last week's load, incidents, noisiest alerts and postmortem
backlog for a team, and which managers are due to receive it (Monday 08:00 their own time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.utils import timezone

from incidents import history as incident_history
from incidents.models import Incident
from incidents.postmortems import backlog
from incidents.postmortems import selectors as postmortems
from portal.people.models import Membership, Team
from portal.people.selectors import manager_memberships
from portal.reports.load import TeamLoad, team_load

BRIEF_HOUR = 8  # the weekly review goes out from Monday 08:00, each manager's own time


def week_bounds(year: int, week: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """Monday 00:00 of ISO week ``year``-W``week`` and the next Monday 00:00, in ``zone``."""
    monday = date.fromisocalendar(year, week, 1)
    return (
        datetime.combine(monday, datetime.min.time(), zone),
        datetime.combine(monday + timedelta(days=7), datetime.min.time(), zone),
    )


def previous_week(moment: datetime, zone: tzinfo) -> tuple[int, int]:
    """The ISO (year, week) of the last complete week before ``moment`` in ``zone``."""
    iso = (moment.astimezone(zone).date() - timedelta(days=7)).isocalendar()
    return iso.year, iso.week


@dataclass
class WeeklyReview:
    team: Team
    year: int
    week: int
    load: TeamLoad
    incidents: list[Incident]
    noisiest: list[tuple[str, int]]
    postmortems_due: list[Incident]
    postmortems_open: list
    overdue_items: list

    @property
    def start(self) -> datetime:
        return self.load.start

    @property
    def end(self) -> datetime:
        return self.load.end


def weekly_review(*, team: Team, year: int, week: int, zone: tzinfo) -> WeeklyReview:
    """ISO week ``year``-W``week`` of the team, its days in ``zone``: a fixed number of
    queries whatever the team's size or history."""
    start, end = week_bounds(year, week, zone)
    load = team_load(team=team, start=start, end=end, zone=zone)
    incidents = incident_history.team_incidents(team=team, start=start, end=end)
    today = timezone.now().astimezone(zone).date()
    return WeeklyReview(
        team=team,
        year=year,
        week=week,
        load=load,
        incidents=incidents,
        noisiest=incident_history.noisiest_alerts(
            alerts=incident_history.team_alerts(team=team, start=start, end=end)
        ),
        postmortems_due=list(postmortems.incidents_needing_postmortem(teams=[team])[:20]),
        postmortems_open=backlog.open_postmortems(team=team, limit=20),
        overdue_items=backlog.overdue_action_items(team=team, today=today, limit=30),
    )


def managers_to_brief(*, now: datetime) -> list[tuple[Membership, ZoneInfo]]:
    """Manager memberships whose local time at ``now`` is Monday, 08:00 or later: the hour the
    weekly review is due and the rest of that Monday, when a late tick catches up. One
    query."""
    due = []
    for membership in manager_memberships():
        profile = getattr(membership.user, "profile", None)
        zone = profile.zone if profile is not None else ZoneInfo("UTC")
        local = now.astimezone(zone)
        if local.weekday() == 0 and local.hour >= BRIEF_HOUR:
            due.append((membership, zone))
    return due
