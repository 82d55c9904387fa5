"""The load measures, as pure functions over plain values (no ORM, no Django), so every number
a report shows can be checked by hand.

Definitions (ARCHITECTURE.md, "Load measures"):

- **Working / off-hours / sleep hours** come from a person's :class:`WorkPattern` in their own
  time zone: working hours on working days (default 09:00–18:00 Mon–Fri) that are not public
  holidays; sleep hours (default 22:00–08:00) every night; everything else is off-hours. For
  reporting, time is split three ways that add up: *working*, *off-hours* (awake: outside
  working hours and outside sleep hours) and *sleep* (outside working hours, inside sleep
  hours). Where a profile's working and sleep hours overlap, working wins.
- **Interruption**: a page delivered to a person; pages to one person less than 60 s after the
  page that was counted last count once (:func:`count_once`).
- **Balance**: ``min(hours) / max(hours)`` for every pair of people on a rota, averaged; 1.0 is
  perfectly even (:func:`balance`).
- **Run of days on call**: a person's on-call time joined wherever the break is shorter than
  a day, in days rounded up (:func:`runs`), as the swap rules count it.

Splitting hours walks the *local day boundaries* of the person's zone (midnight, the start and
end of working hours and of sleep hours, and any UTC-offset change), never minute by minute:
between two boundaries every moment falls in the same class, so the class of the midpoint is
the class of the whole piece. A wall-clock time repeated by a fall-back is a boundary at both
of its instants; one skipped by a spring-forward does not occur, and the offset change itself
is the boundary. Durations are real elapsed time, so a night with a DST change has 7 or 9
sleep hours.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import combinations
from zoneinfo import ZoneInfo

Span = tuple[datetime, datetime]

WORKING, OFF, SLEEP = "working", "off", "sleep"
WEEKDAY, WEEKEND, HOLIDAY = "weekday", "weekend", "holiday"

INTERRUPTION_WINDOW = timedelta(seconds=60)
# Breaks shorter than this do not end a run of days on call (as in oncall.swaps.rules).
RUN_BRIDGE = timedelta(days=1)
ONE_DAY = timedelta(days=1)
ZERO = timedelta(0)
_TICK = timedelta(microseconds=1)

DEFAULT_WORK_START, DEFAULT_WORK_END = time(9), time(18)
DEFAULT_WORK_DAYS = frozenset({0, 1, 2, 3, 4})
DEFAULT_SLEEP_START, DEFAULT_SLEEP_END = time(22), time(8)


# --------------------------------------------------------------------------------------------
# A person's week
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkPattern:
    """When a person works and sleeps, in their own zone, and their team's public holidays."""

    zone: tzinfo
    work_start: time = DEFAULT_WORK_START
    work_end: time = DEFAULT_WORK_END
    work_days: frozenset[int] = DEFAULT_WORK_DAYS
    sleep_start: time = DEFAULT_SLEEP_START
    sleep_end: time = DEFAULT_SLEEP_END
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "work_days", frozenset(self.work_days))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.work_days and day not in self.holidays

    def in_sleep(self, clock: time) -> bool:
        if self.sleep_start <= self.sleep_end:
            return self.sleep_start <= clock < self.sleep_end
        return clock >= self.sleep_start or clock < self.sleep_end

    def category(self, local: datetime) -> str:
        """WORKING, OFF or SLEEP for a moment given in this person's zone."""
        clock = local.time()
        if self.is_working_day(local.date()) and self.work_start <= clock < self.work_end:
            return WORKING
        return SLEEP if self.in_sleep(clock) else OFF

    def day_kind(self, day: date) -> str:
        """HOLIDAY, WEEKEND (a day that is not one of the person's working days) or WEEKDAY."""
        if day in self.holidays:
            return HOLIDAY
        return WEEKDAY if day.weekday() in self.work_days else WEEKEND

    def night_of(self, local: datetime) -> date:
        """The night a moment of sleep hours belongs to, named by the evening it starts on:
        with sleep from 22:00 to 08:00, Tue 03:00 belongs to Monday's night."""
        if self.sleep_start > self.sleep_end and local.time() < self.sleep_end:
            return local.date() - ONE_DAY
        return local.date()

    def clocks(self) -> frozenset[time]:
        return frozenset(
            {time(0), self.work_start, self.work_end, self.sleep_start, self.sleep_end}
        )


def work_pattern(profile, holidays: Iterable[date] = frozenset()) -> WorkPattern:
    """A person's :class:`WorkPattern` from their profile (its zone and working and sleep
    hours); the defaults, in UTC, for ``None`` (no profile)."""
    if profile is None:
        return WorkPattern(zone=ZoneInfo("UTC"), holidays=holidays)
    return WorkPattern(
        zone=profile.zone,
        work_start=profile.work_start,
        work_end=profile.work_end,
        work_days=frozenset(profile.work_days or []),
        sleep_start=profile.sleep_start,
        sleep_end=profile.sleep_end,
        holidays=holidays,
    )


# --------------------------------------------------------------------------------------------
# Spans
# --------------------------------------------------------------------------------------------


def merge(spans: Iterable[Span], bridge: timedelta = ZERO) -> list[Span]:
    """Sorted union of ``spans``; spans less than ``bridge`` apart are joined too."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and (start <= merged[-1][1] or start - merged[-1][1] < bridge):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip(spans: Iterable[Span], start: datetime, end: datetime) -> list[Span]:
    """The parts of ``spans`` inside ``[start, end)``."""
    out = []
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s < e:
            out.append((s, e))
    return out


def total(spans: Iterable[Span]) -> timedelta:
    return sum((e - s for s, e in spans), ZERO)


def total_within(spans: Iterable[Span], start: datetime, end: datetime) -> timedelta:
    """The time ``spans`` cover inside ``[start, end)``, overlaps counted once."""
    return total(clip(merge(spans), start, end))


def seconds(delta: timedelta) -> float:
    return delta.total_seconds()


# --------------------------------------------------------------------------------------------
# Splitting hours
# --------------------------------------------------------------------------------------------


@dataclass
class HourSplit:
    """Time split two ways: by class of hour (working + off + sleep = total) and by kind of
    day (weekday + weekend + holiday = total)."""

    working: timedelta = ZERO
    off: timedelta = ZERO
    sleep: timedelta = ZERO
    weekday: timedelta = ZERO
    weekend: timedelta = ZERO
    holiday: timedelta = ZERO

    @property
    def total(self) -> timedelta:
        return self.working + self.off + self.sleep

    @property
    def off_hours(self) -> timedelta:
        """Everything outside working hours (awake or asleep)."""
        return self.off + self.sleep

    def add(self, category: str, kind: str, length: timedelta) -> None:
        setattr(self, category, getattr(self, category) + length)
        setattr(self, kind, getattr(self, kind) + length)

    def __add__(self, other: HourSplit) -> HourSplit:
        return HourSplit(
            *(
                getattr(self, name) + getattr(other, name)
                for name in ("working", "off", "sleep", "weekday", "weekend", "holiday")
            )
        )


def _offset(moment: datetime, zone: tzinfo) -> timedelta | None:
    return moment.astimezone(zone).utcoffset()


def _transition(lo: datetime, hi: datetime, zone: tzinfo) -> datetime:
    """The first instant in ``(lo, hi]`` whose UTC offset differs from ``lo``'s (bisection to
    the microsecond; the caller knows ``hi``'s offset differs)."""
    before = _offset(lo, zone)
    while hi - lo > _TICK:
        mid = lo + (hi - lo) / 2
        if _offset(mid, zone) == before:
            lo = mid
        else:
            hi = mid
    return hi


def boundaries(pattern: WorkPattern, start: datetime, end: datetime) -> list[datetime]:
    """Every instant in ``[start, end]`` where the class of hour or the local day can change,
    sorted, ``start`` and ``end`` included."""
    zone = pattern.zone
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    points = {start, end}
    day = start.astimezone(zone).date() - ONE_DAY
    last = end.astimezone(zone).date() + ONE_DAY
    clocks = pattern.clocks()
    while day <= last:
        for clock in clocks:
            naive = datetime.combine(day, clock)
            first = naive.replace(tzinfo=zone).astimezone(UTC)
            second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
            if first == second:  # an ordinary wall time: one instant
                if start < first < end:
                    points.add(first)
                continue
            for instant in (first, second):
                # A repeated wall time (fall back) is a boundary at both instants; a skipped
                # one (spring forward) does not round-trip and is no boundary at all.
                if start < instant < end and (
                    instant.astimezone(zone).replace(tzinfo=None) == naive
                ):
                    points.add(instant)
        day += ONE_DAY
    ordered = sorted(points)
    out = [ordered[0]]
    for a, b in zip(ordered, ordered[1:], strict=False):
        if _offset(a, zone) != _offset(b, zone):
            moment = _transition(a, b, zone)
            if moment != b:
                out.append(moment)
        out.append(b)
    return out


def split_hours(spans: Iterable[Span], pattern: WorkPattern) -> HourSplit:
    """Split the time in ``spans`` (merged first, so overlaps count once) into working,
    off-hours and sleep hours, and into weekday, weekend and holiday hours."""
    result = HourSplit()
    merged = merge(spans)
    if not merged:
        return result
    # One walk over the local days of the whole range, then each span takes its share.
    points = boundaries(pattern, merged[0][0], merged[-1][1])
    for start, end in merged:
        inside = points[bisect_right(points, start) : bisect_left(points, end)]
        cuts = [start, *inside, end]
        for a, b in zip(cuts, cuts[1:], strict=False):
            if b <= a:
                continue
            local = pattern.local(a + (b - a) / 2)
            result.add(pattern.category(local), pattern.day_kind(local.date()), b - a)
    return result


# --------------------------------------------------------------------------------------------
# Interruptions
# --------------------------------------------------------------------------------------------


def count_once(times: Iterable[datetime], window: timedelta = INTERRUPTION_WINDOW) -> list:
    """The pages that count as interruptions: sorted, each one at least ``window`` after the
    previous one counted (pages at 0 s, 30 s and 70 s are two interruptions: 0 s and 70 s)."""
    kept: list[datetime] = []
    for moment in sorted(times):
        if not kept or moment - kept[-1] >= window:
            kept.append(moment)
    return kept


@dataclass
class InterruptionCounts:
    total: int = 0
    off_hours: int = 0  # outside working hours, asleep or not
    sleep: int = 0  # during sleep hours (a subset of off_hours)
    hours: int = 0  # distinct clock hours with at least one interruption
    nights: list[date] = field(default_factory=list)  # nights with a sleep-hour interruption


def classify_interruptions(times: Sequence[datetime], pattern: WorkPattern) -> InterruptionCounts:
    """Counts for one person's interruptions (already passed through :func:`count_once`)."""
    counts = InterruptionCounts(total=len(times))
    hours = set()
    nights = set()
    for moment in times:
        local = pattern.local(moment)
        category = pattern.category(local)
        if category != WORKING:
            counts.off_hours += 1
        if category == SLEEP:
            counts.sleep += 1
            nights.add(pattern.night_of(local))
        # The local clock hour, told apart from its repeat after a fall-back by the offset.
        hours.add(
            (local.replace(minute=0, second=0, microsecond=0, tzinfo=None), local.utcoffset())
        )
    counts.hours = len(hours)
    counts.nights = sorted(nights)
    return counts


def per_day(
    moments: Iterable[datetime], zone: tzinfo, start: datetime, end: datetime
) -> list[tuple[date, int]]:
    """``(day, how many moments fall on it)`` for every day of ``[start, end)`` in ``zone``,
    days without any included."""
    counts = Counter(moment.astimezone(zone).date() for moment in moments)
    days = []
    day = start.astimezone(zone).date()
    last = (end - _TICK).astimezone(zone).date()
    while day <= last:
        days.append((day, counts.get(day, 0)))
        day += ONE_DAY
    return days


def week_heatmap(pages: Iterable[tuple[Iterable[datetime], WorkPattern]]) -> list[list[int]]:
    """``[weekday][hour]`` counts of moments, each group of moments in its person's own time
    (their :class:`WorkPattern`'s zone)."""
    heatmap = [[0] * 24 for _ in range(7)]
    for moments, pattern in pages:
        for moment in moments:
            local = pattern.local(moment)
            heatmap[local.weekday()][local.hour] += 1
    return heatmap


def nights_within(nights: Sequence[date], count: int = 2, days: int = 7) -> list[date] | None:
    """The first ``count`` nights (sorted input) that fall within ``days`` consecutive days
    (Mon and next Sun are within 7 days; Mon and next Mon are not), or None."""
    for i in range(len(nights) - count + 1):
        if (nights[i + count - 1] - nights[i]).days < days:
            return list(nights[i : i + count])
    return None


# --------------------------------------------------------------------------------------------
# Runs, balance, shares, percentiles
# --------------------------------------------------------------------------------------------


def runs(spans: Iterable[Span]) -> list[tuple[Span, int]]:
    """Stretches of duty (breaks shorter than a day joined) and their length in days,
    rounded up: a week from Mon 09:00 to Mon 09:00 is 7 days, Mon–Fri 09:00–17:00 is 5."""
    return [
        ((s, e), math.ceil((e - s) / ONE_DAY - 1e-9)) for s, e in merge(spans, bridge=RUN_BRIDGE)
    ]


def longest_run(spans: Iterable[Span]) -> tuple[Span | None, int]:
    best: tuple[Span | None, int] = (None, 0)
    for span, days in runs(spans):
        if days > best[1]:
            best = (span, days)
    return best


def balance(hours: Sequence[float]) -> float | None:
    """The mean over every pair of ``min / max`` (two people with no hours are even). None for
    fewer than two people."""
    if len(hours) < 2:
        return None
    ratios = [1.0 if max(a, b) <= 0 else min(a, b) / max(a, b) for a, b in combinations(hours, 2)]
    return sum(ratios) / len(ratios)


def share_ratios(hours: dict) -> dict:
    """Each person's hours against an even share of the total (1.0 is exactly even; 2.0 is
    twice an even share). All zero when nobody has hours."""
    people = len(hours)
    grand = sum(hours.values())
    if not people or grand <= 0:
        return dict.fromkeys(hours, 0.0)
    return {key: value * people / grand for key, value in hours.items()}


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q`` quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks (as
    numpy's default and PostgreSQL's ``percentile_cont``); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 0.5)


def median_and_p90(values: Sequence[float]) -> tuple[float | None, float | None]:
    return median(values), percentile(values, 0.9)
