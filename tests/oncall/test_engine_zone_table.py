"""The engine's per-call zone table against the straightforward zoneinfo conversion.

:class:`oncall.engine._ZoneTable` turns local wall-clock times into instants by looking them up
in a table of the zone's offset changes instead of asking the zone each time. These tests hold it
to :func:`oncall.engine._wall_to_utc`, which asks the zone about every time (a time skipped by a
spring-forward moves to the instant the gap ends, a repeated time takes its first occurrence),
with wall-clock times drawn next to the offset changes of zones with odd rules.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from unittest import mock
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall import engine
from oncall.engine import DAYS, HOURS, WEEKS, Layer, Override, final_schedule, layer_shifts

ZONE_NAMES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST
    "Pacific/Apia",  # skipped 30 December 2011 entirely
    "Asia/Kolkata",  # half-hour offset, no DST
    "Europe/Dublin",  # negative DST in the tz database
    "Antarctica/Troll",  # two-hour DST
    "Pacific/Chatham",  # quarter-hour offset
    "Africa/Casablanca",  # DST suspended for Ramadan
    "America/Sao_Paulo",  # DST abolished in 2019
)
YEARS = (1970, 1996, 2011, 2019, 2024, 2025, 2026, 2037, 2040)
EPOCH = datetime(1970, 1, 1)
SECOND = timedelta(seconds=1)
SECOND_US = 1_000_000
DAY_US = 86_400 * SECOND_US

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@cache
def offset_changes(name: str, year: int) -> tuple[tuple[int, timedelta, timedelta], ...]:
    """``(second since the epoch, offset before, offset after)`` for each change of the zone's
    UTC offset during ``year``: sampled every six hours from UTC instants, then bisected."""
    zone = ZoneInfo(name)

    def offset(second: int) -> timedelta:
        return datetime.fromtimestamp(second, zone).utcoffset()

    step = 6 * 3600
    first = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    changes = []
    for lo in range(first, first + 366 * 86_400, step):
        hi = lo + step
        before, after = offset(lo), offset(hi)
        if before == after:
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if offset(mid) == before else (lo, mid)
        changes.append((hi, before, after))
    return tuple(changes)


@st.composite
def zone_walls(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    """A zone and a naive local wall-clock time, often within hours of an offset change (and
    often on the very edge of the gap or fold it makes)."""
    name = draw(st.sampled_from(ZONE_NAMES))
    year = draw(st.sampled_from(YEARS))
    changes = offset_changes(name, year)
    if changes and draw(st.integers(0, 3)):
        second, before, after = draw(st.sampled_from(changes))
        # The wall-clock times the change jumps between, where its gap or fold starts and ends.
        edge = second + int(draw(st.sampled_from([before, after])).total_seconds())
        shift = draw(
            st.one_of(
                st.sampled_from([0, -1, 1, -60, 60, -1800, 1800, -3600, 3600]),
                st.integers(-6 * 3600, 6 * 3600),
            )
        )
        micro = draw(st.sampled_from([0, 0, 0, 1, 999_999]))
        wall = EPOCH + timedelta(seconds=edge + shift, microseconds=micro)
    else:
        wall = datetime(year, 1, 1) + timedelta(seconds=draw(st.integers(0, 365 * 86_400)))
    return ZoneInfo(name), wall


def wall_us(wall: datetime) -> int:
    return (wall - EPOCH) // timedelta(microseconds=1)


def reference(zone: tzinfo, wall: int) -> int:
    local = EPOCH + timedelta(microseconds=wall)
    return engine._to_us(engine._wall_to_utc(local.date(), local.time(), zone))


# --- the table against the zone ------------------------------------------------------------


@SETTINGS
@given(zone_walls(), st.integers(0, 40), st.integers(0, 40))
def test_the_table_converts_like_the_zone(zone_wall, days_before: int, days_after: int):
    zone, wall = zone_wall
    w = wall_us(wall)
    table = engine._ZoneTable(zone, w - days_before * DAY_US, w + days_after * DAY_US)
    assert table.wall_lo <= w <= table.wall_hi  # the table answers; nothing is passed on
    assert table.to_utc(w) == reference(zone, w), wall


@SETTINGS
@given(
    zone_walls(),
    st.sampled_from([SECOND_US, 15 * 60 * SECOND_US, 3600 * SECOND_US, DAY_US, 7 * DAY_US]),
    st.integers(1, 60),
)
def test_the_table_converts_runs_like_the_zone(zone_wall, step: int, count: int):
    """Runs as the engine asks for them: a range, or a list of ascending walls, partly outside
    the table's stretch (those go to ``_wall_to_utc``)."""
    zone, wall = zone_wall
    first = wall_us(wall) - step * (count // 2)
    table = engine._ZoneTable(zone, first + 10 * DAY_US, first + 20 * DAY_US)
    walls = range(first, first + step * count, step)
    expected = [reference(zone, w) for w in walls]
    assert table.to_utc_all(walls) == expected
    assert table.to_utc_all(list(walls)) == expected
    assert table.to_utc_all(list(walls)[::3]) == expected[::3]


@pytest.mark.parametrize(
    ("zone", "local", "instant"),
    [
        # Skipped by a spring-forward: the instant the gap ends.
        ("Europe/Berlin", datetime(2025, 3, 30, 2, 30), datetime(2025, 3, 30, 1, 0)),
        ("Australia/Lord_Howe", datetime(2025, 10, 5, 2, 15), datetime(2025, 10, 4, 15, 30)),
        ("Pacific/Apia", datetime(2011, 12, 30, 9, 0), datetime(2011, 12, 30, 10, 0)),
        ("Antarctica/Troll", datetime(2025, 3, 30, 1, 30), datetime(2025, 3, 30, 1, 0)),
        # Repeated by a fall-back: the first occurrence.
        ("Europe/Berlin", datetime(2025, 10, 26, 2, 30), datetime(2025, 10, 26, 0, 30)),
        ("America/New_York", datetime(2025, 11, 2, 1, 30), datetime(2025, 11, 2, 5, 30)),
        ("Australia/Lord_Howe", datetime(2025, 4, 6, 1, 45), datetime(2025, 4, 5, 14, 45)),
        # Ordinary times either side.
        ("Europe/Berlin", datetime(2025, 3, 30, 1, 59, 59), datetime(2025, 3, 30, 0, 59, 59)),
        ("Europe/Berlin", datetime(2025, 3, 30, 3, 0), datetime(2025, 3, 30, 1, 0)),
        ("Europe/Berlin", datetime(2025, 10, 26, 3, 0), datetime(2025, 10, 26, 2, 0)),
        ("Pacific/Apia", datetime(2011, 12, 31, 0, 0), datetime(2011, 12, 30, 10, 0)),
        ("Asia/Kolkata", datetime(2025, 6, 1, 9, 0), datetime(2025, 6, 1, 3, 30)),
    ],
)
def test_hand_checked_gaps_and_folds(zone: str, local: datetime, instant: datetime):
    w = wall_us(local)
    table = engine._ZoneTable(ZoneInfo(zone), w - 10 * DAY_US, w + 10 * DAY_US)
    assert table.wall_lo <= w <= table.wall_hi
    assert engine._from_us(table.to_utc(w)) == instant.replace(tzinfo=UTC)
    assert reference(ZoneInfo(zone), w) == engine._to_us(instant.replace(tzinfo=UTC))


class Shifty(tzinfo):
    """A tzinfo the table does not trust: UTC+1, and UTC+2 from 2025-03-30 01:00 UTC."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        switch = datetime(2025, 3, 30, 2)  # local wall-clock time of the change
        return timedelta(hours=2 if dt.replace(tzinfo=None) >= switch else 1)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)


@pytest.mark.parametrize(
    "zone",
    [timezone(timedelta(hours=5, minutes=45, microseconds=7)), UTC, Shifty()],
    ids=["odd-fixed-offset", "timezone.utc", "custom-tzinfo"],
)
def test_other_tzinfos_convert_like_the_zone(zone: tzinfo):
    first = wall_us(datetime(2025, 3, 29))
    table = engine._ZoneTable(zone, first, first + 3 * DAY_US)
    walls = range(first, first + 3 * DAY_US, 1800 * SECOND_US)
    assert table.to_utc_all(walls) == [reference(zone, w) for w in walls]
    if isinstance(zone, Shifty):
        assert table.wall_lo > table.wall_hi  # no table: every time goes to _wall_to_utc


def test_no_zone_changes_its_offset_twice_within_three_days():
    """The table samples the offset once a day and finds every change provided no zone changes
    it twice within a day; it trusts changes at least two days apart on the wall clock, which
    changes three days apart in UTC always are. Check that against the installed tz database,
    read through the standard library's pure-Python implementation, which exposes it."""
    zoneinfo_py = pytest.importorskip("zoneinfo._zoneinfo")
    probe = zoneinfo_py.ZoneInfo.no_cache("Europe/Berlin")
    if not all(hasattr(probe, name) for name in ("_trans_utc", "_ttinfos", "_tz_after")):
        pytest.skip("this Python's zoneinfo keeps its transitions elsewhere")
    closest = (float("inf"), "")
    for key in sorted(available_timezones()):
        zone = zoneinfo_py.ZoneInfo.no_cache(key)
        changes = []
        offset = zone._tti_before.utcoff if zone._tti_before else None
        for second, info in zip(zone._trans_utc, zone._ttinfos, strict=True):
            if info.utcoff != offset:
                changes.append(second)
                offset = info.utcoff
        rule = zone._tz_after
        if isinstance(rule, zoneinfo_py._TZStr):  # yearly DST rule after the last transition
            last = zone._trans_utc[-1] if zone._trans_utc else 0
            first_year = datetime.fromtimestamp(max(last, 0), UTC).year
            for year in range(first_year, first_year + 30):
                start, end = rule.transitions(year)  # local times, on standard and on DST time
                std, dst = rule.std.utcoff // SECOND, rule.dst.utcoff // SECOND
                for second in (start - std, end - dst):
                    if second > last:
                        changes.append(second)
            changes.sort()
        for before, after in zip(changes, changes[1:], strict=False):
            closest = min(closest, (after - before, key))
    assert closest[0] >= 3 * 86_400, closest


# --- whole schedules with and without tables ------------------------------------------------


clock_times = st.one_of(
    st.sampled_from([time(0), time(1, 30), time(2), time(2, 30), time(3), time(9), time(23, 30)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
)
starts = st.sampled_from(
    [datetime(y, m, 1, tzinfo=UTC) for y, m in ((2011, 12), (2024, 3), (2024, 10), (2037, 9))]
).flatmap(lambda base: st.integers(0, 60 * 24 * 120).map(lambda m: base + timedelta(minutes=m)))


@st.composite
def stacks(draw: st.DrawFn) -> tuple[list[Layer], list[Override], datetime, datetime]:
    start = draw(starts)
    end = start + timedelta(minutes=draw(st.integers(1, 60 * 24 * 120)))
    layers = []
    for i in range(draw(st.integers(1, 3))):
        unit = draw(st.sampled_from([HOURS, DAYS, WEEKS]))
        fields: dict = {
            "id": f"L{i}",
            "participants": ("ana", "ben", "cy")[: draw(st.integers(1, 3))],
            "zone": ZoneInfo(draw(st.sampled_from(ZONE_NAMES))),
            "rotation_start": start.date() - timedelta(days=draw(st.sampled_from([0, 2, 3652]))),
            "handoff_time": draw(clock_times),
            "shift_length": draw(st.integers(1, 3)),
            "shift_unit": unit,
        }
        if draw(st.booleans()):
            fields["active_days"] = frozenset(draw(st.lists(st.integers(0, 6), max_size=6)))
        if draw(st.booleans()):
            fields["active_start"], fields["active_end"] = draw(clock_times), draw(clock_times)
        layers.append(Layer(**fields))
    overrides = []
    for i in range(draw(st.integers(0, 3))):
        o_start = start + timedelta(hours=draw(st.integers(-24, 24 * 100)))
        o_end = o_start + timedelta(hours=draw(st.integers(1, 72)))
        overrides.append(Override(i, "zed", o_start, o_end))
    return layers, overrides, start, end


@SETTINGS
@given(stacks())
def test_schedules_are_the_same_without_tables(stack):
    """With ``_tables`` patched to hand out none, every wall-clock time goes through
    ``_wall_to_utc``: the schedules must not change."""
    layers, overrides, start, end = stack
    fast = final_schedule(layers, overrides, start, end)
    own = [layer_shifts(layer, start, end) for layer in layers]
    with mock.patch.object(engine, "_tables", return_value={}):
        assert final_schedule(layers, overrides, start, end) == fast
        assert [layer_shifts(layer, start, end) for layer in layers] == own


def test_a_daily_layer_gets_a_table_and_a_weekly_one_does_not():
    zone = ZoneInfo("Europe/Berlin")
    base = {"id": "x", "participants": ("ana",), "zone": zone, "rotation_start": date(2025, 1, 6)}
    daily = Layer(**base, handoff_time=time(9), shift_length=1, shift_unit=DAYS)
    weekly = Layer(**base, handoff_time=time(9), shift_length=1, shift_unit=WEEKS)
    nights = Layer(
        **base,
        handoff_time=time(9),
        shift_length=1,
        shift_unit=WEEKS,
        active_start=time(18),
        active_end=time(9),
    )
    assert engine._needs_table(daily) and engine._needs_table(nights)
    assert not engine._needs_table(weekly)
