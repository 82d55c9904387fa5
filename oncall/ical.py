"""iCalendar (RFC 5545) feeds: a person's shifts across schedules, or a schedule's final
schedule, one month back and six months ahead, with UIDs that stay the same between fetches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from oncall import selectors
from oncall.models import Schedule
from oncall.stretches import merge_stretches

BACK = timedelta(days=31)
AHEAD = timedelta(days=184)
# Shifts are computed over a wider window and kept whole, so an event at the edge of the feed
# does not change its start (and UID) from one fetch to the next.
MARGIN = timedelta(days=35)


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """From midnight UTC a month ago to midnight UTC six months ahead."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - BACK, midnight + AHEAD


def _whole(shifts: list[selectors.Shift], start, end) -> list[selectors.Shift]:
    ordered = sorted(shifts, key=lambda s: (s.schedule_id, s.start))
    merged = merge_stretches(ordered)
    return sorted(
        (s for s in merged if s.end > start and s.start < end),
        key=lambda s: (s.start, s.schedule_id),
    )


def _uid(shift: selectors.Shift) -> str:
    stamp = shift.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"shift-{shift.schedule_id}-{shift.user_id}-{stamp}@runwell"


def _calendar(name: str, description: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Runwell//On-call rotas//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-caldesc", description)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    return cal


def _event(shift: selectors.Shift, summary: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", _uid(shift))
    event.add("dtstamp", stamp)
    event.add("dtstart", shift.start.astimezone(UTC))
    event.add("dtend", shift.end.astimezone(UTC))
    event.add("summary", summary)
    if shift.schedule is not None:
        url = settings.RUNWELL_BASE_URL + shift.schedule.get_absolute_url()
        event.add("url", url)
        event.add("description", f"On call for {shift.schedule.name} ({shift.schedule.team.name}).")
    event.add("transp", "TRANSPARENT")
    return event


def schedule_feed(*, schedule: Schedule, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    start, end = feed_window(now)
    shifts = selectors.schedule_final(schedule=schedule, start=start - MARGIN, end=end + MARGIN)
    cal = _calendar(
        f"On call: {schedule.name} ({schedule.team.name})",
        f"Who is on call for {schedule.name}, from Runwell.",
    )
    for shift in _whole(shifts, start, end):
        cal.add_component(_event(shift, f"On call: {shift.user_name}", now))
    return cal.to_ical()


def user_feed(*, user, now: datetime | None = None) -> bytes:
    now = now or timezone.now()
    start, end = feed_window(now)
    shifts = selectors.user_shifts(user=user, start=start - MARGIN, end=end + MARGIN)
    cal = _calendar("My on-call shifts (Runwell)", "Your on-call shifts across all schedules.")
    for shift in _whole(shifts, start, end):
        name = shift.schedule.name if shift.schedule is not None else "a schedule"
        cal.add_component(_event(shift, f"On call: {name}", now))
    return cal.to_ical()
