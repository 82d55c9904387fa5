"""Writes of the reports area: a team's holiday list, and the weekly review sent to managers."""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.notifications.models import Kind
from portal.notifications.selectors import sent_dedup_keys
from portal.notifications.services import notify
from portal.people.models import Team
from portal.reports import weekly
from portal.reports.models import Holiday

logger = logging.getLogger(__name__)


@transaction.atomic
def holiday_create(*, team: Team, day: date, name: str) -> Holiday:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the holiday."})
    if Holiday.objects.filter(team=team, date=day).exists():
        raise ValidationError({"date": f"{day:%d %b %Y} is already a holiday of {team.name}."})
    return Holiday.objects.create(team=team, date=day, name=name)


@transaction.atomic
def holiday_delete(*, holiday: Holiday) -> None:
    holiday.delete()


def weekly_key(*, team: Team, year: int, week: int, user) -> str:
    return f"weekly:{team.slug}:{year}-W{week:02d}:{user.pk}"


def _summary(review: weekly.WeeklyReview) -> str:
    load = review.load
    lines = [
        f"{len(review.incidents)} incident(s), {load.interruptions} interruption(s): "
        f"{load.off_hours_interruptions} off-hours, {load.sleep_interruptions} during sleep.",
    ]
    if load.flags:
        lines.append(f"{len(load.flags)} thing(s) to look at, such as: {load.flags[0].text}")
    if review.noisiest:
        name, count = review.noisiest[0]
        lines.append(f"Noisiest alert: {name} ({count}).")
    if review.postmortems_due:
        lines.append(f"{len(review.postmortems_due)} postmortem(s) due.")
    if review.overdue_items:
        lines.append(f"{len(review.overdue_items)} action item(s) overdue.")
    return "\n".join(lines)


def weekly_reviews_send(*, now: datetime | None = None) -> int:
    """Send last week's review to every manager whose local time is Monday 08:00 or later (up
    to the end of that Monday) and who has not had it yet. The hourly tick normally sends it
    between 08:00 and 09:00; if beat was down or late then, the next tick that Monday catches
    up. At most once per team, ISO week and manager: reviews already sent are skipped before
    any is built, and the dedup key stops two ticks running at once. Returns how many reviews
    this call sent."""
    now = now or timezone.now()
    due = []
    for membership, zone in weekly.managers_to_brief(now=now):
        year, week = weekly.previous_week(now, zone)
        key = weekly_key(team=membership.team, year=year, week=week, user=membership.user)
        due.append((membership, zone, year, week, key))
    sent = sent_dedup_keys(keys=[key for *_rest, key in due])
    due = [row for row in due if row[-1] not in sent]
    reviews: dict[tuple, weekly.WeeklyReview] = {}
    for membership, zone, year, week, key in due:
        team, user = membership.team, membership.user
        cache_key = (team.pk, year, week, str(zone))
        if cache_key not in reviews:
            with timezone.override(zone):
                reviews[cache_key] = weekly.weekly_review(
                    team=team, year=year, week=week, zone=zone
                )
        notify(
            user=user,
            kind=Kind.REPORT,
            dedup_key=key,
            subject=f"Weekly on-call review: {team.name}, week {week} of {year}",
            body=_summary(reviews[cache_key]),
            url=reverse("reports:weekly_review", args=[team.slug, year, week]),
        )
    if due:
        logger.info("weekly reviews sent: %d", len(due))
    return len(due)
