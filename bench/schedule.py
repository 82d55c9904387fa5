"""Benchmark 1: the schedule engine against the iCalendar approach of the best-known peer.

Grafana OnCall, the best-known open-source on-call tool, stores each rotation as iCalendar
events (one per participant, repeated by an ``RRULE`` every ``participants × shift`` days),
keeps the calendar text in its database and expands it per query with the ``icalendar`` and
``recurring-ical-events`` packages, then resolves priorities and overrides in Python. Both
sides here compute the same final schedule in the same process:

* the same rotation: three layers of eight people in Europe/Berlin (a weekly layer; a daily
  night layer 18:00-09:00; a daily weekday layer 09:00-17:00 on top), and 50 overrides;
* over one year (which includes both DST changes);
* the peer parses the calendar text, expands it with ``recurring_ical_events.between`` and
  stacks the occurrences (a heap sweep: highest priority wins, later overrides beat earlier
  ones); Runwell builds its ``Layer`` / ``Override`` values and calls
  ``oncall.engine.final_schedule``.

Both results are compared interval by interval (``identical``), so the ratio compares equal
work. The second figure is Runwell's cost for a rotation started ten years before the window
over one started the day before (goal: about 1): the engine jumps to the window instead of
walking from the rotation start. The same ratio is reported for the peer, whose expansion
walks every occurrence since ``DTSTART``.
"""

from __future__ import annotations

import heapq
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from oncall import engine

ZONE = ZoneInfo("Europe/Berlin")
WINDOW_START = datetime(2025, 3, 3, tzinfo=ZONE)  # a Monday; the year holds both DST changes
WINDOW_DAYS = 365
PEOPLE = 8
OVERRIDES = 50
WEEKDAYS = frozenset(range(5))
TEN_YEARS = 3653  # days

# (id, shift unit, shift length in days for the RRULE, handoff, active window or None)
LAYERS = (
    ("weekly", engine.WEEKS, 7, clock(9), None),
    ("nights", engine.DAYS, 1, clock(18), (None, clock(18), clock(9))),
    ("weekdays", engine.DAYS, 1, clock(9), (WEEKDAYS, clock(9), clock(17))),
)


def rotation(*, started: date, seed: int = 7) -> dict:
    """The benchmark rotation as plain data (what a database row would hold)."""
    rng = random.Random(seed)
    layers = []
    for index, (name, unit, days, handoff, window) in enumerate(LAYERS):
        layers.append(
            {
                "id": name,
                "participants": [f"u{index * PEOPLE + i:02d}" for i in range(PEOPLE)],
                "unit": unit,
                "days": days,
                "handoff": handoff,
                "window": window,
                "rotation_start": started,
            }
        )
    everyone = [p for layer in layers for p in layer["participants"]]
    lo = WINDOW_START.astimezone(UTC)
    overrides = []
    for i in range(OVERRIDES):
        start = lo + timedelta(hours=rng.randrange(WINDOW_DAYS * 24))
        end = start + timedelta(hours=rng.randint(2, 72))
        overrides.append({"id": i, "user": rng.choice(everyone), "start": start, "end": end})
    return {"layers": layers, "overrides": overrides}


# ------------------------------------------------------------------------------- Runwell
def runwell_final(data: dict, lo: datetime, hi: datetime) -> list[tuple]:
    layers = []
    for spec in data["layers"]:
        window = spec["window"]
        layers.append(
            engine.Layer(
                id=spec["id"],
                participants=spec["participants"],
                zone=ZONE,
                rotation_start=spec["rotation_start"],
                handoff_time=spec["handoff"],
                shift_length=1,
                shift_unit=spec["unit"],
                active_days=window[0] if window else None,
                active_start=window[1] if window else None,
                active_end=window[2] if window else None,
            )
        )
    overrides = [
        engine.Override(id=o["id"], user=o["user"], start=o["start"], end=o["end"])
        for o in data["overrides"]
    ]
    return [(i.start, i.end, i.user) for i in engine.final_schedule(layers, overrides, lo, hi)]


# ---------------------------------------------------------------------------------- peer
def _first_active_day(day: date, step: int, days: frozenset | None) -> date:
    """An RRULE's DTSTART must itself match the rule: the first day of the participant's
    series (every ``step`` days) that falls on an active weekday."""
    while days is not None and day.weekday() not in days:
        day += timedelta(days=step)
    return day


def peer_calendar_text(data: dict) -> bytes:
    """The rotation as the peer stores it: one calendar, one recurring event per participant
    and layer (priority = layer index), one single event per override (above every layer)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Runwell bench//peer//EN")
    cal.add("version", "2.0")
    for priority, spec in enumerate(data["layers"]):
        step = spec["days"] * len(spec["participants"])
        window = spec["window"]
        for i, person in enumerate(spec["participants"]):
            first = spec["rotation_start"] + timedelta(days=i * spec["days"])
            if window is None:
                start = datetime.combine(first, spec["handoff"], ZONE)
                end = datetime.combine(first + timedelta(days=spec["days"]), spec["handoff"], ZONE)
                rule = {"freq": "daily", "interval": step}
            else:
                days, window_start, window_end = window
                first = _first_active_day(first, step, days)
                start = datetime.combine(first, window_start, ZONE)
                end_day = first + timedelta(days=1 if window_end <= window_start else 0)
                end = datetime.combine(end_day, window_end, ZONE)
                rule = {"freq": "daily", "interval": step}
                if days is not None:
                    names = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
                    rule["byday"] = [names[d] for d in sorted(days)]
            event = icalendar.Event()
            event.add("uid", f"{spec['id']}-{i}@bench")
            event.add("summary", person)
            event.add("priority", priority + 1)
            event.add("dtstart", start)
            event.add("dtend", end)
            event.add("rrule", rule)
            cal.add_component(event)
    for o in data["overrides"]:
        event = icalendar.Event()
        event.add("uid", f"override-{o['id']}@bench")
        event.add("summary", o["user"])
        event.add("priority", 0)  # iCalendar: 0 = undefined; read as "override" below
        event.add("x-override-order", str(o["id"]))
        event.add("dtstart", o["start"])
        event.add("dtend", o["end"])
        cal.add_component(event)
    return cal.to_ical()


def peer_final(text: bytes, lo: datetime, hi: datetime) -> list[tuple]:
    """Parse, expand and stack, as the peer does per query."""
    cal = icalendar.Calendar.from_ical(text)
    occurrences = []
    for event in recurring_ical_events.of(cal).between(lo, hi):
        start = max(event["DTSTART"].dt.astimezone(UTC), lo)
        end = min(event["DTEND"].dt.astimezone(UTC), hi)
        if start >= end:
            continue
        priority = int(event.get("PRIORITY", 0))
        # Layers rank by their index (1..3); overrides above all, later ones higher.
        rank = 1000 + int(event["X-OVERRIDE-ORDER"]) if priority == 0 else priority
        occurrences.append((start, end, str(event["SUMMARY"]), rank))
    return _sweep(occurrences)


def _sweep(occurrences: list[tuple]) -> list[tuple]:
    """Highest rank wins on every elementary segment; same-user neighbours merge."""
    occurrences.sort(key=lambda o: o[0])
    bounds = sorted({o[0] for o in occurrences} | {o[1] for o in occurrences})
    result: list[tuple] = []
    active: list[tuple] = []  # (-rank, end, user)
    i = 0
    for a, b in zip(bounds, bounds[1:], strict=False):
        while i < len(occurrences) and occurrences[i][0] <= a:
            start, end, user, rank = occurrences[i]
            heapq.heappush(active, (-rank, end, user))
            i += 1
        while active and active[0][1] <= a:
            heapq.heappop(active)
        if not active:
            continue
        # Expired entries below the top are dropped lazily when they surface.
        user = active[0][2]
        if result and result[-1][1] == a and result[-1][2] == user:
            result[-1] = (result[-1][0], b, user)
        else:
            result.append((a, b, user))
    return result


def merge_users(intervals: list[tuple]) -> list[tuple]:
    merged: list[tuple] = []
    for start, end, user in intervals:
        if merged and merged[-1][1] == start and merged[-1][2] == user:
            merged[-1] = (merged[-1][0], end, user)
        else:
            merged.append((start, end, user))
    return merged


# --------------------------------------------------------------------------------- timing
def _cpu_seconds(fn) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def run(*, log=print, rounds: int = 9, inner: int = 5) -> dict:
    """Times are CPU seconds of this process (``time.process_time``), so other programs on
    the machine do not inflate them; the four measurements are interleaved round by round so
    that any remaining drift hits every side alike."""
    lo = WINDOW_START.astimezone(UTC)
    hi = lo + timedelta(days=WINDOW_DAYS)
    yesterday = WINDOW_START.date() - timedelta(days=1)
    recent = rotation(started=yesterday)
    old = rotation(started=yesterday - timedelta(days=TEN_YEARS))
    recent_text, old_text = peer_calendar_text(recent), peer_calendar_text(old)

    ours = runwell_final(recent, lo, hi)
    identical = merge_users(ours) == peer_final(recent_text, lo, hi)
    identical_old = merge_users(runwell_final(old, lo, hi)) == peer_final(old_text, lo, hi)
    log(
        f"  schedule: {len(ours)} intervals over {WINDOW_DAYS} days; identical to the "
        f"peer's: {identical} (rotation started ten years ago: {identical_old})"
    )
    samples: dict[str, list[float]] = {"runwell": [], "runwell_old": [], "peer": [], "peer_old": []}
    for _ in range(rounds):
        for _ in range(inner):
            samples["runwell"].append(_cpu_seconds(lambda: runwell_final(recent, lo, hi)))
            samples["runwell_old"].append(_cpu_seconds(lambda: runwell_final(old, lo, hi)))
        samples["peer"].append(_cpu_seconds(lambda: peer_final(recent_text, lo, hi)))
        samples["peer_old"].append(_cpu_seconds(lambda: peer_final(old_text, lo, hi)))
    med = {k: statistics.median(v) for k, v in samples.items()}
    speedup = med["peer"] / med["runwell"]
    old_over_new = med["runwell_old"] / med["runwell"]
    return {
        "name": "schedule_engine",
        "rotation": "3 layers x 8 people (weekly; daily nights; daily weekdays), 50 overrides",
        "window_days": WINDOW_DAYS,
        "intervals": len(ours),
        "identical_results": identical and identical_old,
        "runs": {k: len(v) for k, v in samples.items()},
        "runwell_median_ms": round(med["runwell"] * 1000, 2),
        "peer_median_ms": round(med["peer"] * 1000, 2),
        "speedup": round(speedup, 1),
        "speedup_goal": 20,
        "runwell_ten_years_ago_median_ms": round(med["runwell_old"] * 1000, 2),
        "runwell_old_over_new": round(old_over_new, 2),
        "old_over_new_goal": "about 1",
        "peer_ten_years_ago_median_ms": round(med["peer_old"] * 1000, 2),
        "peer_old_over_new": round(med["peer_old"] / med["peer"], 2),
        "meets_goals": identical and identical_old and speedup >= 20 and old_over_new < 1.25,
    }
