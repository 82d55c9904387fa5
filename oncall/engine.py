"""The schedule engine: pure functions from rotation layers and overrides to on-call intervals.

Nothing here touches the database or Django: callers turn their rows into :class:`Layer` and
:class:`Override` values and get back :class:`Interval` values, always in UTC.

The model
---------
A layer rotates its participants through consecutive *shifts*. Shift ``k`` (``k >= 0``: there
is nobody on call before the first handoff) belongs to ``participants[(k + offset) % n]``.

* ``HOURS`` shifts are absolute: shift ``k`` starts ``k * shift_length`` hours after the
  *anchor*, the instant of ``(rotation_start, handoff_time)`` in the layer's zone.
* ``DAYS`` and ``WEEKS`` shifts keep the wall clock: shift ``k`` starts at ``handoff_time`` on
  local date ``rotation_start + k * shift_length`` days (or weeks), so a shift spanning a DST
  change is an hour (on Lord Howe Island half an hour) longer or shorter.

A local wall-clock time becomes an instant through :func:`_wall_to_utc`: a time skipped by a
spring-forward gap moves to the instant the gap ends, and a time repeated by a fall-back takes
its first occurrence (``fold=0``).

An optional *active window* (days of the week and/or a daily time range, in local time) limits
each shift to the parts inside the window, and ``starts_at`` / ``ends_at`` limit the whole
layer: that is how an edited layer ends one version and starts the next.

The final schedule stacks layers bottom to top: a higher layer beats a lower one wherever the
higher one has somebody on call, and overrides beat every layer (a later override beats an
earlier one).

Cost
----
Nothing walks from the rotation start. The shift containing the start of a window is found by
arithmetic (:func:`_locate`) and only the shifts meeting the window are examined, so a rotation
started ten years ago costs the same as one started yesterday. Every shift boundary comes from
:func:`_shift_starts` (the shifts of a window in one batch), which the tests instrument to
count the shifts examined and prove it. Stacking merges sorted lists in linear passes: a final
schedule costs O(intervals) plus O(m log m) for ``m`` overrides.

A year of a daily rotation means thousands of handoffs and active windows, so the constant
factor matters too, and everything per call is built for it, with nothing kept between calls:

* Inside a call instants are plain integers, microseconds since the Unix epoch (UTC), and local
  wall-clock times are the same count read on the local clock, so clipping and stacking
  compare and add integers. Intervals travel as ``(start, end, user, source)`` tuples;
  ``datetime`` and :class:`Interval` values are made only for what is returned
  (:func:`_intervals`).
* Turning wall-clock times into instants is the bulk of the work (a daily layer with an
  active window needs three a day), and :func:`_wall_to_utc` asks the zone about each one.
  Instead a call that needs many builds a :class:`_ZoneTable` per zone over its window: it
  reads the zone's offset once a day, pins each change to the second, and then converts a
  run of wall-clock times between two changes with one subtraction each. Its cost follows the
  window, it is shared by the call's layers in the same zone and dropped with the call;
  wall-clock times outside it (the anchor of a rotation started years ago, say) still go
  through :func:`_wall_to_utc`.
* Work per element runs in C where it can (``map``, ``zip`` and ``itertools`` over lists of
  integers); Python loops remain only where pieces are cut.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from itertools import accumulate, compress, count, cycle, islice, repeat
from operator import attrgetter, eq, itemgetter, lt, ne, sub
from zoneinfo import ZoneInfo

__all__ = [
    "DAYS",
    "HOURS",
    "WEEKS",
    "Interval",
    "Layer",
    "Override",
    "final_schedule",
    "gaps",
    "layer_shifts",
    "on_call_at",
    "shift_bounds",
    "shift_index_at",
]

HOURS, DAYS, WEEKS = "hours", "days", "weeks"

_UNITS = frozenset({HOURS, DAYS, WEEKS})
_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_SECOND_US = 1_000_000
_HOUR_US = 3600 * _SECOND_US
_DAY_SECONDS = 86_400
_DAY_US = _DAY_SECONDS * _SECOND_US
_NEVER = 1 << 62  # later than any datetime, in microseconds since the epoch
_combine = datetime.combine
_by_start = attrgetter("start")
_start_of = itemgetter(0)
_end_of = itemgetter(1)
_source_of = itemgetter(3)

# (start, end, user, source), instants in microseconds since the epoch: an Interval before it
# is returned.
_Piece = tuple[int, int, Hashable, tuple]


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layer:
    """One version of a rotation layer of a schedule.

    ``participants`` may be any iterable of user ids (it is stored as a tuple) and may be empty,
    in which case the layer never has anybody on call. ``active_days`` holds weekday numbers
    (0 = Monday … 6 = Sunday, local time) and names the day each active window *starts* on.
    When ``active_end <= active_start`` the window crosses midnight; a missing ``active_start``
    or ``active_end`` means local midnight, so giving only ``active_days`` makes whole days
    active.
    """

    id: Hashable
    participants: tuple[Hashable, ...]
    zone: ZoneInfo
    rotation_start: date
    handoff_time: time
    shift_length: int
    shift_unit: str
    offset: int = 0
    active_days: frozenset[int] | None = None
    active_start: time | None = None
    active_end: time | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.shift_unit not in _UNITS:
            raise ValueError(f"shift_unit must be one of {sorted(_UNITS)}, got {self.shift_unit!r}")
        if not isinstance(self.shift_length, int) or self.shift_length < 1:
            raise ValueError(f"shift_length must be a positive integer, got {self.shift_length!r}")
        if not isinstance(self.zone, tzinfo):
            raise ValueError(f"zone must be a tzinfo such as ZoneInfo, got {self.zone!r}")
        for name in ("handoff_time", "active_start", "active_end"):
            value = getattr(self, name)
            if value is None:
                continue
            if value.tzinfo is not None:
                raise ValueError(f"{name} is a local wall-clock time and must be naive")
            if value.fold:  # ambiguous local times always mean their first occurrence
                object.__setattr__(self, name, value.replace(fold=0))
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None:
                _require_aware(value, name)
        if not isinstance(self.participants, tuple):
            object.__setattr__(self, "participants", tuple(self.participants))
        if self.active_days is not None:
            days = frozenset(self.active_days)
            if not days <= frozenset(range(7)):
                raise ValueError(f"active_days must be weekday numbers 0..6, got {sorted(days)}")
            object.__setattr__(self, "active_days", days)


@dataclass(frozen=True, slots=True)
class Override:
    """``user`` is on call from ``start`` until ``end``, whatever the layers say."""

    id: Hashable
    user: Hashable
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _require_aware(self.start, "start")
        _require_aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError(f"override end {self.end} must be after its start {self.start}")


@dataclass(frozen=True, slots=True)
class Interval:
    """``user`` is on call during ``[start, end)`` (UTC).

    ``source`` says why: ``("layer", layer_id, shift_index)`` or ``("override", override_id)``.
    """

    start: datetime
    end: datetime
    user: Hashable
    source: tuple


class _IntervalDraft:
    """An :class:`Interval` under construction: the same slots, but plain attribute stores.

    The generated ``__init__`` of a frozen dataclass has to store each field through
    ``object.__setattr__`` and its name, and that dominates making hundreds of intervals per
    call. A draft is filled in with ordinary stores and then becomes an ``Interval`` by having
    its ``__class__`` set, which Python allows between classes with the same slots; the result
    is an ordinary ``Interval`` in every way, at about half the cost.
    """

    __slots__ = Interval.__slots__

    def __init__(self, start: datetime, end: datetime, user: Hashable, source: tuple) -> None:
        self.start = start
        self.end = end
        self.user = user
        self.source = source


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def layer_shifts(layer: Layer, start: datetime, end: datetime) -> list[Interval]:
    """The layer's own on-call intervals clipped to ``[start, end)``, ordered by start.

    The active window and ``starts_at`` / ``ends_at`` are applied; one shift may yield several
    intervals (one per active window it meets), all carrying that shift's index.
    """
    lo, hi = _as_us(start, "start"), _as_us(end, "end")
    return _intervals(_layer_pieces(layer, lo, hi, _tables([layer], lo, hi)))


def final_schedule(
    layers: Sequence[Layer], overrides: Sequence[Override], start: datetime, end: datetime
) -> list[Interval]:
    """Who is on call during ``[start, end)`` once layers and overrides are stacked.

    ``layers`` are ordered bottom to top: a later layer beats an earlier one wherever it has
    somebody on call. Every override beats every layer, and a later override in ``overrides``
    beats an earlier one where they overlap. The result is ordered, non-overlapping and clipped
    to the window; times with nobody on call are simply absent. Adjacent pieces with the same
    user and the same source are merged.
    """
    pieces = _final_pieces(layers, overrides, _as_us(start, "start"), _as_us(end, "end"))
    return _intervals(pieces)


def gaps(
    intervals: Sequence[Interval], start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The parts of ``[start, end)`` that no interval covers, ordered, as UTC ``(start, end)``.

    ``intervals`` may come in any order and may overlap.
    """
    lo, hi = _as_utc(start, "start"), _as_utc(end, "end")
    holes: list[tuple[datetime, datetime]] = []
    cursor = lo
    for interval in sorted(intervals, key=_by_start):
        if cursor >= hi or interval.start >= hi:
            break
        if interval.start > cursor:
            holes.append((cursor, interval.start.astimezone(UTC)))
        if interval.end > cursor:
            cursor = interval.end.astimezone(UTC)
    if cursor < hi:
        holes.append((cursor, hi))
    return holes


def on_call_at(
    layers: Sequence[Layer], overrides: Sequence[Override], at: datetime
) -> Interval | None:
    """The final-schedule interval covering ``at``, or ``None`` when nobody is on call.

    The interval is returned whole, not cut at ``at``: it is the interval :func:`final_schedule`
    reports around ``at`` for any window that contains all of it.
    """
    t = _as_us(at, "at")
    extent = _winner_extent(layers, overrides, t)
    if extent is None:
        return None
    # Whatever is on top at ``t`` keeps its place only inside its own extent, so the final
    # schedule over that extent holds the whole interval around ``t``.
    for piece in _final_pieces(layers, overrides, *extent):
        if piece[0] <= t < piece[1]:
            return _intervals([piece])[0]
    raise AssertionError("the winner at an instant must cover it")  # pragma: no cover


def shift_bounds(layer: Layer, k: int) -> tuple[datetime, datetime]:
    """UTC ``(start, end)`` of shift ``k``, before the active window and any clipping."""
    if k < 0:
        raise ValueError(f"shift {k} does not exist: shifts are numbered from 0")
    rotation = _Rotation(layer, _ZoneTable(layer.zone))
    start, end = _shift_starts(rotation, k, 2)
    return _from_us(start), _from_us(end)


def shift_index_at(layer: Layer, at: datetime) -> int:
    """The index of the shift containing ``at``.

    Pure rotation arithmetic: the active window and ``starts_at`` / ``ends_at`` are ignored.
    The result is negative for an instant before the first handoff, when nobody is on call.
    """
    return _locate(_Rotation(layer, _ZoneTable(layer.zone)), _as_us(at, "at"))[0]


# --------------------------------------------------------------------------------------------
# Time arithmetic
# --------------------------------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def _as_utc(value: datetime, name: str) -> datetime:
    _require_aware(value, name)
    return value.astimezone(UTC)


def _as_us(value: datetime, name: str) -> int:
    _require_aware(value, name)
    return _to_us(value)


def _to_us(value: datetime) -> int:
    """An aware datetime as microseconds since the Unix epoch."""
    return (value - _EPOCH_UTC) // _ONE_MICROSECOND


def _from_us(instant: int) -> datetime:
    """Microseconds since the Unix epoch as a UTC datetime."""
    return _EPOCH_UTC + _ONE_MICROSECOND * instant


def _clock_us(clock: time) -> int:
    """A wall-clock time of day as microseconds since midnight."""
    return (clock.hour * 3600 + clock.minute * 60 + clock.second) * _SECOND_US + clock.microsecond


def _day_wall(ordinal: int) -> int:
    """Local midnight of the date with proleptic Gregorian ``ordinal``, as a wall-clock integer."""
    return (ordinal - _EPOCH_ORDINAL) * _DAY_US


def _local_ordinal(instant: int, zone: tzinfo) -> int:
    """The proleptic Gregorian ordinal of the local date at ``instant``."""
    return _from_us(instant).astimezone(zone).toordinal()


def _wall_to_utc(day: date, clock: time, zone: tzinfo) -> datetime:
    """The UTC instant of the local wall-clock time ``clock`` on ``day`` in ``zone``.

    An ambiguous time (repeated by a fall-back) takes its first occurrence; a time that does
    not exist (skipped by a spring-forward) moves to the instant the gap ends. ``clock`` has
    ``fold=0`` (:class:`Layer` sees to it).

    This asks the zone about one time; :class:`_ZoneTable` answers the same question for many
    times at once, and falls back on this outside the stretch it covers.
    """
    local = _combine(day, clock, zone)
    # PEP 495: with fold=0 an ambiguous time gets the offset it had first, and a time in a gap
    # the offset from before the gap. The round trip through UTC gives the same wall time back
    # unless the time is in a gap. (Aware datetimes sharing a tzinfo compare by wall time.)
    offset = local.utcoffset()
    if zone.fromutc(local - offset) == local:
        return _combine(day, clock, UTC) - offset
    return _gap_end(_combine(day, clock), zone)


def _gap_end(local: datetime, zone: tzinfo) -> datetime:
    """The first instant whose wall-clock time is at or after ``local``, a time in a gap.

    With ``before`` and ``after`` the offsets either side of the gap, the transition lies in
    ``(local - after, local - before]``: bisect for it over whole seconds (transitions happen
    on whole seconds), which works whatever the size of the gap.
    """
    before = local.replace(tzinfo=zone, fold=0).utcoffset()
    after = local.replace(tzinfo=zone, fold=1).utcoffset()
    lo = (local - after - _EPOCH) // _ONE_SECOND  # its wall time is before ``local``
    hi = lo + -(-(after - before) // _ONE_SECOND) + 1  # its wall time is after ``local``
    while hi - lo > 1:
        mid = (lo + hi) // 2
        instant = _EPOCH_UTC + timedelta(seconds=mid)
        if instant.astimezone(zone).replace(tzinfo=None) >= local:
            hi = mid
        else:
            lo = mid
    return _EPOCH_UTC + timedelta(seconds=hi)


class _ZoneTable:
    """Local wall-clock time to UTC for one zone, by table lookup over a stretch of time.

    :func:`_wall_to_utc` reads the zone's offset at the wall-clock time (``utcoffset`` with
    ``fold=0``: in a repeated hour the offset it had first, in a skipped hour the one from
    before), subtracts it and checks the round trip to spot a skipped time. As a function of the
    wall-clock time that offset is a step function changing a few times a year, and the table
    holds it: ``offsets[i]`` up to the wall-clock time ``limits[i]``, where it changes to
    ``offsets[i + 1]``. A wall-clock time ``w`` is then the instant ``w - offsets[i]``, except
    where a spring-forward raises the offset from ``o`` to ``o'`` at ``limits[i]``: the walls
    ``[limits[i] - (o' - o), limits[i])`` (from ``gap_starts[i]``) do not exist and move to
    ``changes[i] = limits[i] - o'``, the instant the gap ends.

    The offset is sampled once a day, with bisection over whole seconds (transitions happen on
    whole seconds) between samples that differ; that finds every change provided no zone changes
    its offset twice within a day. No zone in the tz database changes it twice within three
    days (the closest are four days apart: Freetown, 1939), which a test checks against the
    installed database. Changes found less than two days apart, which the reasoning above does
    not allow for, void the table, and so does a zone that is neither
    :class:`~zoneinfo.ZoneInfo` nor :class:`~datetime.timezone` (whose rules the table cannot
    vouch for). Offsets stay within a day of zero, so a gap reaches less than two days below
    its limit and the instant of a wall-clock time lies within a day of it: the table answers
    only for walls two days inside the stretch it sampled and passes the others to
    :func:`_wall_to_utc`. ``_ZoneTable(zone)`` covers nothing and passes everything.
    """

    __slots__ = ("changes", "gap_starts", "limits", "offsets", "wall_hi", "wall_lo", "zone")

    # Never let the stretch reach year 1 or 9999, where datetime arithmetic overflows.
    _FIRST, _LAST = _to_us(datetime(2, 1, 1, tzinfo=UTC)), _to_us(datetime(9998, 1, 1, tzinfo=UTC))

    def __init__(self, zone: tzinfo, lo: int | None = None, hi: int | None = None) -> None:
        """A table for ``zone`` good for every wall-clock time within three days of the instants
        ``[lo, hi]``."""
        self.zone = zone
        self.wall_lo, self.wall_hi = 1, 0  # covers nothing until the table is built
        self.limits: list[int] = [_NEVER]
        self.offsets: list[int] = []
        self.gap_starts: list[int] = [_NEVER]
        self.changes: list[int] = []
        if lo is None or hi is None or not isinstance(zone, ZoneInfo | timezone):
            return
        first = (lo - 5 * _DAY_US) // _SECOND_US
        days = -(-(hi + 5 * _DAY_US - first * _SECOND_US) // _DAY_US)
        last = first + days * _DAY_SECONDS
        if first * _SECOND_US < self._FIRST or last * _SECOND_US > self._LAST:
            return
        found = _offset_changes(zone, first, days)
        if found is None:
            return
        initial, steps = found
        offsets, limits, gap_starts, changes = [initial], [], [], []
        for second, after in steps:
            before, limit = offsets[-1], second * _SECOND_US
            if limits and limit - limits[-1] < 2 * _DAY_US:
                return  # too close together to trust the daily samples
            limits.append(limit)
            if after > before:  # spring forward: the walls just below the limit do not exist
                gap_starts.append(limit - (after - before))
            else:
                gap_starts.append(_NEVER)
            changes.append(limit - after)
            offsets.append(after)
        limits.append(_NEVER)  # the last offset holds to the end of the stretch
        gap_starts.append(_NEVER)
        self.limits, self.offsets, self.gap_starts, self.changes = (
            limits,
            offsets,
            gap_starts,
            changes,
        )
        self.wall_lo = first * _SECOND_US + 2 * _DAY_US
        self.wall_hi = last * _SECOND_US - 2 * _DAY_US

    def to_utc(self, wall: int) -> int:
        """The instant of the wall-clock time ``wall``, as :func:`_wall_to_utc` defines it."""
        if self.wall_lo <= wall <= self.wall_hi:
            i = bisect_right(self.limits, wall)
            if wall < self.gap_starts[i]:
                return wall - self.offsets[i]
            return self.changes[i]
        local = _EPOCH + _ONE_MICROSECOND * wall
        return _to_us(_wall_to_utc(local.date(), local.time(), self.zone))

    def to_utc_all(self, walls: Sequence[int]) -> list[int]:
        """:meth:`to_utc` of each of the ascending wall-clock times ``walls``.

        Walls read on the same offset form a run, converted with one subtraction each (in C:
        a range of walls becomes a range of instants).
        """
        instants: list[int] = []
        extend, count, j = instants.extend, len(walls), 0
        wall_lo, wall_hi, limits = self.wall_lo, self.wall_hi, self.limits
        while j < count:
            wall = walls[j]
            if not wall_lo <= wall <= wall_hi:
                instants.append(self.to_utc(wall))
                j += 1
                continue
            i = bisect_right(limits, wall)
            gap_start = self.gap_starts[i]
            if wall >= gap_start:
                instants.append(self.changes[i])
                j += 1
                continue
            # The walls up to the next change (or its gap, or the end of the table) share an
            # offset.
            end = bisect_left(walls, min(gap_start, limits[i], wall_hi + 1), j)
            offset, run = self.offsets[i], walls[j:end]
            if isinstance(run, range):
                extend(range(run.start - offset, run.stop - offset, run.step))
            else:
                extend(map(sub, run, repeat(offset)))
            j = end
        return instants


def _offset_changes(
    zone: tzinfo, first: int, days: int
) -> tuple[int, list[tuple[int, int]]] | None:
    """The offset ``_wall_to_utc`` reads for the wall-clock time ``first`` (seconds since
    1970-01-01 00:00 on the local clock) and its changes over the following ``days`` days, as
    ``(offset, [(second it changes at, offset from then on), ...])`` with offsets in
    microseconds; ``None`` if it changes twice between two daily samples.
    """
    utcoffset = zone.utcoffset  # of a naive datetime: its wall-clock time, fold=0

    def offset_at(second: int) -> timedelta:
        return utcoffset(_EPOCH + timedelta(seconds=second))

    probes = accumulate(repeat(_ONE_DAY, days), initial=_EPOCH + timedelta(seconds=first))
    samples = list(map(utcoffset, probes))  # one a day, from ``first``
    steps: list[tuple[int, int]] = []
    for day in compress(count(1), map(ne, samples, islice(samples, 1, None))):
        before, after = samples[day - 1], samples[day]
        lo, hi = first + (day - 1) * _DAY_SECONDS, first + day * _DAY_SECONDS
        while hi - lo > 1:  # on ``before`` at lo, on another offset at hi
            mid = (lo + hi) // 2
            if offset_at(mid) == before:
                lo = mid
            else:
                hi = mid
        if offset_at(hi) != after:
            return None
        steps.append((hi, after // _ONE_MICROSECOND))
    return samples[0] // _ONE_MICROSECOND, steps


def _needs_table(layer: Layer) -> bool:
    """Whether the layer turns enough wall-clock times into instants to pay for a table.

    A table reads the zone's offset once a day, which costs a fraction of one
    :func:`_wall_to_utc`: it pays for itself from a couple of wall-clock times a week (a weekly
    handoff alone converts one, and goes without).
    """
    handoffs = 0.0 if layer.shift_unit == HOURS else 7 / _Rotation.days_per_shift(layer)
    return handoffs + 2 * _active_days_per_week(layer) >= 2


def _tables(layers: Sequence[Layer], lo: int, hi: int) -> dict[int, _ZoneTable]:
    """A table over ``[lo, hi]`` for each zone some layer needs one for, by ``id`` of zone."""
    tables: dict[int, _ZoneTable] = {}
    if lo >= hi:
        return tables
    for layer in layers:
        key = id(layer.zone)
        if key not in tables and _needs_table(layer):
            tables[key] = _ZoneTable(layer.zone, lo, hi)
    return tables


class _Rotation:
    """What shift arithmetic needs from a layer, with the anchor instant worked out once.

    Shift ``k`` of a ``DAYS`` or ``WEEKS`` layer starts at the wall-clock time
    ``first_wall + k * step_wall``; of an ``HOURS`` layer, at the instant
    ``anchor + k * step_us``.
    """

    __slots__ = (
        "anchor",
        "first_day",
        "first_wall",
        "step_days",
        "step_us",
        "step_wall",
        "table",
        "zone",
    )

    def __init__(self, layer: Layer, table: _ZoneTable) -> None:
        self.zone = layer.zone
        self.table = table
        self.first_day = layer.rotation_start.toordinal()
        self.first_wall = _day_wall(self.first_day) + _clock_us(layer.handoff_time)
        # HOURS shifts are absolute; DAYS and WEEKS shifts follow the local calendar.
        hourly = layer.shift_unit == HOURS
        self.step_us = layer.shift_length * _HOUR_US if hourly else None
        self.step_days = self.days_per_shift(layer)
        self.step_wall = self.step_days * _DAY_US
        self.anchor = table.to_utc(self.first_wall)

    @staticmethod
    def days_per_shift(layer: Layer) -> int:
        """The calendar days a ``DAYS`` or ``WEEKS`` shift spans."""
        return layer.shift_length * (7 if layer.shift_unit == WEEKS else 1)


def _shift_starts(rotation: _Rotation, k: int, count: int) -> list[int]:
    """Starts of the shifts ``k`` to ``k + count - 1`` in microseconds since the epoch (any
    integer ``k``, though only ``k >= 0`` has anybody on call).

    Every shift boundary the engine uses comes from here, which lets the tests count how many
    shifts a computation examined.
    """
    if rotation.step_us is not None:
        step = rotation.step_us
        first = rotation.anchor + k * step
        return list(range(first, first + count * step, step))
    step = rotation.step_wall
    first = rotation.first_wall + k * step
    return rotation.table.to_utc_all(range(first, first + count * step, step))


def _locate(rotation: _Rotation, at: int) -> tuple[int, int, int]:
    """``(k, start, end)`` of the shift containing the instant ``at``, by arithmetic.

    Hours divide exactly. For days and weeks the local-date difference gives the index, which
    is one too high when ``at`` falls before the handoff on a handoff date (or next to a DST
    gap); the loops correct that.
    """
    k = _shift_estimate(rotation, at)
    start, end = _shift_starts(rotation, k, 2)
    while at < start:
        k -= 1
        start, end = _shift_starts(rotation, k, 1)[0], start
    while at >= end:
        k += 1
        start, end = end, _shift_starts(rotation, k + 1, 1)[0]
    return k, start, end


def _shift_estimate(rotation: _Rotation, at: int) -> int:
    """The shift containing the instant ``at``: exact for hours; for days and weeks, the shift
    of its local date, which may be one too high (see :func:`_locate`)."""
    if rotation.step_us is not None:
        return (at - rotation.anchor) // rotation.step_us
    return (_local_ordinal(at, rotation.zone) - rotation.first_day) // rotation.step_days


def _starts_before(rotation: _Rotation, k: int, hi: int) -> list[int]:
    """The starts of shifts ``k``, ``k + 1``, ... that come before the instant ``hi``.

    One batch reaching the shift :func:`_shift_estimate` gives for ``hi``, and one more, almost
    always ends past ``hi``; if not, single shifts follow until one does.
    """
    starts = _shift_starts(rotation, k, _shift_estimate(rotation, hi) - k + 2)
    before = bisect_left(starts, hi)
    if before < len(starts):
        del starts[before:]
        return starts
    while True:
        start = _shift_starts(rotation, k + len(starts), 1)[0]
        if start >= hi:
            return starts
        starts.append(start)


# --------------------------------------------------------------------------------------------
# One layer
# --------------------------------------------------------------------------------------------


def _layer_pieces(layer: Layer, lo: int, hi: int, tables: dict[int, _ZoneTable]) -> list[_Piece]:
    """The layer's own on-call pieces within ``[lo, hi)``, ordered.

    ``tables`` may hold a :class:`_ZoneTable` for the layer's zone, covering the window.
    """
    if not layer.participants:
        return []
    if layer.starts_at is not None:
        lo = max(lo, _to_us(layer.starts_at))
    if layer.ends_at is not None:
        hi = min(hi, _to_us(layer.ends_at))
    if lo >= hi:
        return []
    table = tables.get(id(layer.zone))
    if table is None:
        table = _ZoneTable(layer.zone)
    rotation = _Rotation(layer, table)
    lo = max(lo, rotation.anchor)
    if lo >= hi:
        return []

    # The shifts meeting [lo, hi), clipped to it: jump to the first one, then take the ones
    # starting before ``hi``. Shift ``first + i`` runs from ``bounds[i]`` to ``bounds[i + 1]``.
    first, _, end = _locate(rotation, lo)
    bounds = [lo]
    if end < hi:
        bounds.append(end)
        bounds += _starts_before(rotation, first + 2, hi)
    bounds.append(hi)
    shift_ends = bounds[1:]
    count = len(shift_ends)
    people = layer.participants
    turn = (first + layer.offset) % len(people)  # whose turn shift ``first`` is
    users = list(islice(cycle(people[turn:] + people[:turn]), count))
    sources = list(zip(repeat("layer"), repeat(layer.id), range(first, first + count)))
    if not _has_active_window(layer):
        return list(zip(bounds, shift_ends, users, sources, strict=False))  # one bound more

    # Cut each active window (they never touch) by the shifts it meets, walking both lists.
    starts, ends = _active_windows(layer, lo, hi, table)
    if not starts:
        return []
    starts[0], ends[-1] = max(starts[0], lo), min(ends[-1], hi)  # inside the shifts now
    pieces: list[_Piece] = []
    append = pieces.append
    i = 0  # the shift the window starts in: the first one ending after its start
    for start, end in zip(starts, ends, strict=True):
        while shift_ends[i] <= start:
            i += 1
        if end <= shift_ends[i]:  # the usual case: the window lies inside the shift
            append((start, end, users[i], sources[i]))
            continue
        append((start, shift_ends[i], users[i], sources[i]))
        i += 1
        while shift_ends[i] < end:  # whole shifts inside the window
            if bounds[i] < shift_ends[i]:  # a handoff swallowed by a DST gap leaves none
                append((bounds[i], shift_ends[i], users[i], sources[i]))
            i += 1
        append((bounds[i], end, users[i], sources[i]))  # the shift it ends in
    return pieces


def _window_times(layer: Layer) -> tuple[time, time]:
    """The daily active window as local ``(start, end)``; midnight stands in for ``None``."""
    start = _MIDNIGHT if layer.active_start is None else layer.active_start
    end = _MIDNIGHT if layer.active_end is None else layer.active_end
    return start, end


def _active_days_per_week(layer: Layer) -> int:
    """How many days a week an active window opens: 0 when the layer has no active window."""
    if not _has_active_window(layer):
        return 0
    return 7 if layer.active_days is None else len(layer.active_days)


def _has_active_window(layer: Layer) -> bool:
    """Whether the active window leaves out any time at all."""
    if layer.active_days is not None and len(layer.active_days) < 7:
        return True
    start, end = _window_times(layer)
    return start != end  # with equal times, each day's window runs into the next one


def _active_windows(
    layer: Layer, lo: int, hi: int, table: _ZoneTable
) -> tuple[list[int], list[int]]:
    """The layer's active windows meeting ``[lo, hi)`` as ordered lists of starts and ends,
    merged so that no two touch (consecutive whole active days become one window)."""
    zone, days = layer.zone, layer.active_days
    start_time, end_time = _window_times(layer)
    start_us = _clock_us(start_time)
    end_us = _clock_us(end_time) + (_DAY_US if end_time <= start_time else 0)
    # A window that crosses midnight may have started on the local day before ``lo``.
    first_day = _local_ordinal(lo, zone) - 1
    first_midnight = _day_wall(first_day)
    last_midnight = _day_wall(_local_ordinal(hi, zone))
    start_walls: Sequence[int] = range(
        first_midnight + start_us, last_midnight + start_us + 1, _DAY_US
    )
    end_walls: Sequence[int] = range(first_midnight + end_us, last_midnight + end_us + 1, _DAY_US)
    if days is not None:  # ordinal 1, 0001-01-01, was a Monday
        active = [(first_day + i + 6) % 7 in days for i in range(7)]
        start_walls = list(compress(start_walls, cycle(active)))
        end_walls = list(compress(end_walls, cycle(active)))
    window_starts = table.to_utc_all(start_walls)
    window_ends = table.to_utc_all(end_walls)
    if all(map(lt, window_starts, window_ends)) and all(map(lt, window_ends, window_starts[1:])):
        # The usual case, every window non-empty and apart from the next: they are in order
        # already, and the ones meeting [lo, hi) are found by bisection.
        first, last = bisect_right(window_ends, lo), bisect_left(window_starts, hi)
        return window_starts[first:last], window_ends[first:last]
    starts: list[int] = []
    ends: list[int] = []
    last_end = 0
    for window_start, window_end in zip(window_starts, window_ends, strict=True):
        if window_start < window_end and window_start < hi and window_end > lo:
            if starts and window_start <= last_end:
                if window_end > last_end:
                    last_end = ends[-1] = window_end
            else:
                starts.append(window_start)
                ends.append(window_end)
                last_end = window_end
    return starts, ends


def _layer_piece_at(layer: Layer, at: int) -> _Piece | None:
    """The layer's own piece covering the instant ``at``, uncut by any window, if any."""
    if not layer.participants:
        return None
    rotation = _Rotation(layer, _ZoneTable(layer.zone))
    if at < rotation.anchor:
        return None
    _, start, end = _locate(rotation, at)
    for piece in _layer_pieces(layer, start, end, _tables([layer], start, end)):
        if piece[0] <= at < piece[1]:
            return piece
    return None


# --------------------------------------------------------------------------------------------
# Stacking
# --------------------------------------------------------------------------------------------


def _final_pieces(
    layers: Sequence[Layer], overrides: Sequence[Override], lo: int, hi: int
) -> list[_Piece]:
    """:func:`final_schedule` over ``[lo, hi)``, as pieces."""
    if lo >= hi:
        return []
    tables = _tables(layers, lo, hi)
    from_layers = _stack([_layer_pieces(layer, lo, hi, tables) for layer in layers])
    return _merge_adjacent(_overlay(_override_pieces(overrides, lo, hi), from_layers))


def _override_pieces(overrides: Sequence[Override], lo: int, hi: int) -> list[_Piece]:
    """The overrides within ``[lo, hi)``, a later one beating an earlier one, as ordered pieces.

    From the last override to the first, each keeps what the ones after it leave uncovered:
    ``starts`` and ``ends`` hold the union of those, ordered and disjoint, so each override
    costs a few bisections however many there are.
    """
    pieces: list[_Piece] = []
    starts: list[int] = []
    ends: list[int] = []
    for override in reversed(overrides):
        start, end = _to_us(override.start), _to_us(override.end)
        if start < lo:
            start = lo
        if end > hi:
            end = hi
        if start >= end:
            continue
        user, source = override.user, ("override", override.id)
        cursor = start  # what comes before ``cursor`` is dealt with
        for i in range(bisect_right(ends, start), bisect_left(starts, end)):  # the ones it meets
            if starts[i] > cursor:
                pieces.append((cursor, starts[i], user, source))
            cursor = ends[i]
        if cursor < end:
            pieces.append((cursor, end, user, source))
        # Add it to the union, merged with the parts it meets or touches.
        first, last = bisect_left(ends, start), bisect_right(starts, end)
        if first < last:
            start, end = min(start, starts[first]), max(end, ends[last - 1])
        starts[first:last] = [start]
        ends[first:last] = [end]
    pieces.sort(key=_start_of)
    return pieces


def _overlay(top: list[_Piece], bottom: list[_Piece]) -> list[_Piece]:
    """``top`` wherever it has somebody, ``bottom`` elsewhere.

    Both lists are ordered and non-overlapping, and so is the result, which is built in order
    in one pass over both: for each top piece, the bottom pieces ending before it are copied
    as one slice (found by bisection), the bottom piece it starts inside keeps its part before
    it, the pieces it hides are skipped and the one it ends inside goes on as the *rest*, to be
    cut by the next top piece or copied. So the Python-level work follows the top pieces and
    the pieces they cut, not the untouched runs of ``bottom`` between them.
    """
    if not top:
        return bottom
    if not bottom:
        return top
    ends = list(map(_end_of, bottom))
    count = len(bottom)
    result: list[_Piece] = []
    append, extend = result.append, result.extend
    j = 0  # bottom[j:] is still to come
    # What the last top piece left of the bottom piece before bottom[j], if anything.
    has_rest, rest_start, rest_end, rest_user, rest_source = False, 0, 0, None, ()
    for cover in top:
        cover_start, cover_end = cover[0], cover[1]
        if has_rest and rest_end <= cover_start:
            append((rest_start, rest_end, rest_user, rest_source))
            has_rest = False
        if not has_rest:
            k = bisect_right(ends, cover_start, j)
            if k == j + 1:
                append(bottom[j])
                j = k
            elif k > j:
                extend(bottom[j:k])
                j = k
            if j < count and bottom[j][0] < cover_end:  # it ends after cover_start
                rest_start, rest_end, rest_user, rest_source = bottom[j]
                has_rest = True
                j += 1
        if has_rest and rest_start < cover_start:
            append((rest_start, cover_start, rest_user, rest_source))
        append(cover)
        if has_rest and rest_end > cover_end:
            rest_start = cover_end
            continue  # bottom[j] starts after the rest: the cover cannot reach it
        has_rest = False
        j = bisect_right(ends, cover_end, j)  # hidden whole
        if j < count and bottom[j][0] < cover_end:
            rest_start, rest_end, rest_user, rest_source = bottom[j]
            rest_start = cover_end
            has_rest = True
            j += 1
    if has_rest:
        append((rest_start, rest_end, rest_user, rest_source))
    extend(bottom[j:])
    return result


def _stack(levels: list[list[_Piece]]) -> list[_Piece]:
    """Overlay ordered, non-overlapping piece lists given bottom to top.

    Overlaying is associative, so neighbours are combined pairwise in rounds: ``m`` levels cost
    O(total * log m) rather than O(total * m).
    """
    while len(levels) > 1:
        paired = [_overlay(levels[i + 1], levels[i]) for i in range(0, len(levels) - 1, 2)]
        if len(levels) % 2:
            paired.append(levels[-1])
        levels = paired
    return levels[0] if levels else []


def _merge_adjacent(pieces: list[_Piece]) -> list[_Piece]:
    """Join neighbours that touch and share both user and source."""
    sources = list(map(_source_of, pieces))
    if not any(map(eq, sources, islice(sources, 1, None))):
        return pieces  # no neighbours share a source, the usual case
    merged: list[_Piece] = []
    last = None
    for piece in pieces:
        if last is not None and last[1] == piece[0] and last[2] == piece[2] and last[3] == piece[3]:
            last = merged[-1] = (last[0], piece[1], last[2], last[3])
        else:
            merged.append(piece)
            last = piece
    return merged


def _intervals(pieces: list[_Piece]) -> list[Interval]:
    """The pieces, ordered, as :class:`Interval` values.

    Adding a ``timedelta`` to the previous bound is several times cheaper than making a
    ``datetime`` from an integer, and the differences between neighbouring bounds repeat (the
    same shift lengths and windows day after day), so each bound is the previous one plus a
    ``timedelta`` made once per call for each difference. A bound shared by neighbours is one
    ``datetime``.
    """
    intervals: list[Interval] = []
    if not pieces:
        return intervals
    append = intervals.append
    deltas: dict[int, timedelta] = {}
    now_us = pieces[0][0]
    now = _from_us(now_us)
    for start, end, user, source in pieces:
        if start != now_us:
            step = start - now_us
            delta = deltas.get(step)
            if delta is None:
                delta = deltas[step] = _ONE_MICROSECOND * step
            now, now_us = now + delta, start
        begins = now
        step = end - now_us
        delta = deltas.get(step)
        if delta is None:
            delta = deltas[step] = _ONE_MICROSECOND * step
        now, now_us = now + delta, end
        interval = _IntervalDraft(begins, now, user, source)
        interval.__class__ = Interval  # type: ignore[assignment]
        append(interval)
    return intervals


def _winner_extent(
    layers: Sequence[Layer], overrides: Sequence[Override], at: int
) -> tuple[int, int] | None:
    """The whole extent of whatever is on top at the instant ``at``, before anything above it
    is cut out: the last override covering ``at``, else the highest layer's own piece covering
    it."""
    for override in reversed(overrides):
        start, end = _to_us(override.start), _to_us(override.end)
        if start <= at < end:
            return start, end
    for layer in reversed(layers):
        piece = _layer_piece_at(layer, at)
        if piece is not None:
            return piece[0], piece[1]
    return None
