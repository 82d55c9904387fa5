"""What the calendar and "My shifts" add to a shift: "covered by X for Y" on overrides that
realise a request, a flag where the holder has time off, a link to ask for cover of the
viewer's own whole stretch of duty, and the viewer's time off and requests per shift."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from oncall import engine
from oncall import selectors as rota
from oncall.models import Schedule
from oncall.stretches import merge_stretches
from oncall.swaps import rules
from oncall.swaps.duty import Span, time_off_by_user
from oncall.swaps.models import SwapOverride, SwapRequest, TimeOff
from portal.people.names import person_name

# How far past the calendar's edges a viewer's stretch of duty is followed for "ask for cover".
STRETCH_REACH = timedelta(days=35)


@dataclass(frozen=True)
class Note:
    """What the calendar adds to a bar: a label suffix, a title suffix, CSS classes and, on the
    viewer's own upcoming shifts, a link to ask for cover."""

    label: str = ""
    title: str = ""
    classes: str = ""
    url: str = ""


def calendar_notes(
    *,
    shifts: list[rota.Shift],
    viewer_id: int | None = None,
    now: datetime | None = None,
    window: Span | None = None,
) -> dict[rota.Shift, Note]:
    """For the calendar's final row (``shifts``, cut to ``window``; default: from the first
    start to the last end): "covered by X for Y" on overrides that realise a request, a flag on
    shifts whose holder has time off then, and on the viewer's shifts that have not ended a link
    to ask for cover of the whole stretch of duty they belong to. Two queries, and three more
    when one of the viewer's shifts runs into the window's edge."""
    now = now or timezone.now()
    if not shifts:
        return {}
    window = window or (min(s.start for s in shifts), max(s.end for s in shifts))
    override_ids = [s.source[1] for s in shifts if s.is_override]
    links = {
        link.override_id: link
        for link in SwapOverride.objects.filter(override_id__in=override_ids).select_related(
            "covers_for__profile", "request"
        )
    }
    off = time_off_by_user(
        user_ids={s.user_id for s in shifts},
        start=min(s.start for s in shifts),
        end=max(s.end for s in shifts),
    )
    stretches = whole_stretches(
        pieces=[s for s in shifts if s.user_id == viewer_id and s.end > now], window=window
    )
    notes = {}
    for shift in shifts:
        label, title, classes = "", "", []
        link = links.get(shift.source[1]) if shift.is_override else None
        if link is not None:
            for_whom = person_name(link.covers_for)
            label = f" for {for_whom}"
            kind = "swap" if link.request.kind == SwapRequest.Kind.SWAP else "cover"
            title = f" — covered by {shift.user_name} for {for_whom} ({kind} #{link.request_id})"
            classes.append("swap-covered")
        away = off.get(shift.user_id, [])
        if any(rules.overlaps(shift.start, shift.end, r.start, r.end) for r in away):
            title += f" — {shift.user_name} has time off then"
            classes.append("timeoff-clash")
            label += " ⚠"
        url = ""
        if shift in stretches:
            url = ask_url(stretches[shift])
            title += " — click to ask for cover or a swap"
        if label or title:
            notes[shift] = Note(label=label, title=title, classes=" ".join(classes), url=url)
    return notes


def whole_stretches(*, pieces: list[rota.Shift], window: Span) -> dict[rota.Shift, rota.Shift]:
    """Each of one person's final-schedule ``pieces`` (as a calendar of ``window`` shows them:
    cut at its edges, split where an override or a higher layer hands back to them) mapped to
    the whole stretch of duty it belongs to, as "My shifts" lists it. A stretch that runs into
    an edge is followed up to ``STRETCH_REACH`` beyond it (longer ones are cut there). No query
    unless a piece meets an edge; then three, whatever the numbers."""
    if not pieces:
        return {}
    start, end = window
    lo, hi = start - STRETCH_REACH, end + STRETCH_REACH
    user_ids = {p.user_id for p in pieces}
    found = list(pieces)
    sides: dict[int, set[Span]] = defaultdict(set)
    schedules = {}
    for piece in pieces:
        if piece.start <= start:
            sides[piece.schedule_id].add((lo, start))
        if piece.end >= end:
            sides[piece.schedule_id].add((end, hi))
        schedules[piece.schedule_id] = piece.schedule or Schedule(pk=piece.schedule_id)
    if sides:
        loaded = rota.load_schedules(
            schedules=[schedules[pk] for pk in sides], start=lo, end=hi, with_users=False
        )
        for pk, spans in sides.items():
            layers, overrides = loaded.engine_layers(pk), loaded.engine_overrides(pk)
            for a, b in spans:
                found += [
                    loaded.shift(pk, interval, schedules[pk])
                    for interval in engine.final_schedule(layers, overrides, a, b)
                    if interval.user in user_ids
                ]
    found.sort(key=lambda s: (s.schedule_id, s.user_id, s.start))
    stretches = merge_stretches(found)
    return {
        piece: next(
            s
            for s in stretches
            if s.schedule_id == piece.schedule_id
            and s.user_id == piece.user_id
            and s.start <= piece.start
            and piece.end <= s.end
        )
        for piece in pieces
    }


def ask_url(shift: rota.Shift) -> str:
    """The page to ask for cover of (or propose a swap for) one of the viewer's shifts."""
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    query = urlencode(
        {
            "schedule": shift.schedule_id,
            "shift_start": shift.start.astimezone(UTC).strftime(fmt),
            "shift_end": shift.end.astimezone(UTC).strftime(fmt),
        }
    )
    return f"{reverse('swaps:new')}?{query}"


# "My shifts" looks at most this far ahead.
MY_SHIFTS_AHEAD = timedelta(days=92)


@dataclass
class ShiftInfo:
    """For one of my stretches of duty: my time off that clashes and my requests about it."""

    clash: TimeOff | None = None
    requests: list[SwapRequest] = field(default_factory=list)


class MyShiftNotes:
    """My time off and open requests over a window, loaded once (two queries), then looked up
    per shift without further queries."""

    def __init__(self, *, user, start: datetime, end: datetime):
        self.time_off = list(TimeOff.objects.filter(user=user, start__lt=end, end__gt=start))
        self.requests = list(
            SwapRequest.objects.filter(
                requester=user,
                status__in=[*SwapRequest.OPEN_STATUSES],
                start__lt=end,
                end__gt=start,
            ).order_by("start")
        )

    def for_shift(self, shift: rota.Shift) -> ShiftInfo:
        clash = next(
            (r for r in self.time_off if rules.overlaps(r.start, r.end, shift.start, shift.end)),
            None,
        )
        requests = [
            r
            for r in self.requests
            if r.schedule_id == shift.schedule_id
            and rules.overlaps(r.start, r.end, shift.start, shift.end)
        ]
        return ShiftInfo(clash=clash, requests=requests)


def accepted_covers(*, schedule: Schedule, now: datetime | None = None) -> QuerySet[SwapOverride]:
    """The schedule's current and upcoming overrides that realise a request."""
    now = now or timezone.now()
    return (
        SwapOverride.objects.filter(override__schedule=schedule, override__end__gt=now)
        .select_related("override__user__profile", "covers_for__profile", "request")
        .order_by("override__start", "pk")
    )
