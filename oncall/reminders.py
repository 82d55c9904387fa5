"""Shift reminders and the weekly coverage warning, run by Celery beat.

Both are worked out from the final schedule *at run time*, so a reminder goes to whoever holds
the shift after overrides and swaps, and a shift that was swapped away is simply not found for
its old holder any more. Each message has a dedup key, so running a tick twice (or two beat
processes at once) sends nothing twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from oncall import coverage, engine, selectors
from oncall.models import RotaPreferences, Schedule
from oncall.stretches import merge_stretches
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.people.models import Membership
from portal.timefmt import in_message
from portal.wording import possessive

logger = logging.getLogger(__name__)
User = get_user_model()

DAY_BEFORE = timedelta(hours=24)
# A shift's end is looked up this far past its start for the message ("from … to …").
END_LOOKAHEAD = timedelta(days=35)
# Schedules are stacked this many at a time, to bound memory at any scale.
CHUNK = 200


def reminder_key(shift: selectors.Shift, which: str) -> str:
    start = shift.start.astimezone(UTC).isoformat()
    return f"remind:{shift.schedule_id}:{shift.user_id}:{start}:{which}"


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def shift_reminders_send(*, now: datetime | None = None) -> int:
    """Remind everybody whose stretch of duty starts within their lead time (and, if they
    asked, within a day). Returns how many reminders were due (sent now or before)."""
    now = now or timezone.now()
    prefs = {p.user_id: p for p in RotaPreferences.objects.all()}
    longest = max(
        [RotaPreferences.DEFAULT_LEAD_MINUTES] + [p.reminder_lead_minutes for p in prefs.values()]
    )
    horizon = timedelta(minutes=longest)
    if any(p.day_before for p in prefs.values()):
        horizon = max(horizon, DAY_BEFORE)
    schedules = list(Schedule.objects.select_related("team").order_by("pk"))
    due = 0
    for chunk in _chunks(schedules, CHUNK):
        loaded = selectors.load_schedules(
            schedules=chunk, start=now, end=now + horizon + END_LOOKAHEAD, with_users=False
        )
        found = [
            (schedule, stretch, which)
            for schedule in chunk
            for stretch, which in _due(loaded, schedule, now, horizon, prefs)
        ]
        users = User.objects.filter(
            pk__in={stretch.user_id for _, stretch, _ in found}, is_active=True
        ).select_related("profile")
        users = {u.pk: u for u in users}
        for schedule, stretch, which in found:
            user = users.get(stretch.user_id)
            if user is None:
                continue
            due += 1
            end = _stretch_end(loaded, schedule, stretch)
            notify(
                user=user,
                kind=Kind.SHIFT_REMINDER,
                dedup_key=reminder_key(stretch, which),
                subject=f"On call for {schedule.name} from {in_message(stretch.start, user)}",
                body=(
                    f"You are on call for {schedule.name} ({schedule.team.name}) "
                    f"from {in_message(stretch.start, user)} to {in_message(end, user)}."
                ),
                url=schedule.get_absolute_url(),
            )
    return due


def _due(loaded, schedule, now, horizon, prefs):
    """``(stretch, "lead" | "day")`` for each stretch of duty of the schedule that starts
    after ``now`` and within its person's reminder time."""
    layers = loaded.engine_layers(schedule.pk)
    overrides = loaded.engine_overrides(schedule.pk)
    if not layers and not overrides:
        return
    # One second past the horizon, so a shift starting exactly at a lead time is seen.
    soon = engine.final_schedule(layers, overrides, now, now + horizon + timedelta(seconds=1))
    for stretch in _stretches(loaded, schedule, soon):
        if stretch.start <= now:
            continue  # already on call: reminded before, or too late to remind
        pref = prefs.get(stretch.user_id)
        lead = timedelta(
            minutes=pref.reminder_lead_minutes if pref else RotaPreferences.DEFAULT_LEAD_MINUTES
        )
        if stretch.start <= now + lead:
            yield stretch, "lead"
        elif pref is not None and pref.day_before and stretch.start <= now + DAY_BEFORE:
            yield stretch, "day"


def _stretch_end(loaded, schedule, stretch) -> datetime:
    """Where the person's stretch of duty starting at ``stretch.start`` ends: looked up over a
    growing window, up to END_LOOKAHEAD."""
    layers = loaded.engine_layers(schedule.pk)
    overrides = loaded.engine_overrides(schedule.pk)
    span = timedelta(days=2)
    while True:
        limit = stretch.start + span
        end = stretch.start
        for piece in engine.final_schedule(layers, overrides, stretch.start, limit):
            if piece.start != end or piece.user != stretch.user_id:
                break
            end = piece.end
        if end < limit or span >= END_LOOKAHEAD:
            return end
        span = min(span * 2, END_LOOKAHEAD)


def _stretches(loaded, schedule, intervals) -> list[selectors.Shift]:
    return merge_stretches([loaded.shift(schedule.pk, i, schedule) for i in intervals])


# --------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------


def coverage_key(team_id: int, user_id: int, now: datetime) -> str:
    year, week, _ = now.astimezone(UTC).isocalendar()
    return f"coverage:{team_id}:{user_id}:{year}-W{week:02d}"


def coverage_warnings_send(*, now: datetime | None = None) -> int:
    """Tell each team's managers about the gaps in the team's schedules over the next 30 days,
    once a week. Returns the number of messages due."""
    now = now or timezone.now()
    schedules = list(Schedule.objects.select_related("team").order_by("team_id", "name"))
    gaps_by_team: dict[int, list[tuple[Schedule, list]]] = defaultdict(list)
    for chunk in _chunks(schedules, CHUNK):
        gaps = coverage.schedules_gaps(schedules=chunk, start=now)
        for schedule in chunk:
            if gaps[schedule.pk]:
                gaps_by_team[schedule.team_id].append((schedule, gaps[schedule.pk]))
    if not gaps_by_team:
        return 0
    managers: dict[int, list] = defaultdict(list)
    for membership in Membership.objects.filter(
        team_id__in=list(gaps_by_team),
        role=Membership.Role.MANAGER,
        user__is_active=True,
    ).select_related("user__profile", "team"):
        managers[membership.team_id].append(membership)
    sent = 0
    for team_id, entries in gaps_by_team.items():
        for membership in managers.get(team_id, []):
            user, team = membership.user, membership.team
            lines = []
            for schedule, gaps in entries:
                hours = sum((end - start).total_seconds() for start, end in gaps) / 3600
                lines.append(f"{schedule.name}: {len(gaps)} gap(s), {hours:.1f} hours uncovered")
                for start, end in gaps[:10]:
                    lines.append(f"  - {in_message(start, user)} to {in_message(end, user)}")
                if len(gaps) > 10:
                    lines.append(f"  - and {len(gaps) - 10} more")
            notify(
                user=user,
                kind=Kind.REPORT,
                dedup_key=coverage_key(team_id, user.pk, now),
                subject=f"Coverage gaps in {possessive(team.name)} rotas over the next 30 days",
                body="Nobody is on call at these times:\n" + "\n".join(lines),
                url=f"/oncall/teams/{team.slug}/",
            )
            sent += 1
    return sent
