"""Property tests for the schedule engine: random layers, overrides, zones and windows."""

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from unittest import mock
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall import engine
from oncall.engine import (
    DAYS,
    HOURS,
    WEEKS,
    Interval,
    Layer,
    Override,
    final_schedule,
    gaps,
    layer_shifts,
    on_call_at,
    shift_bounds,
    shift_index_at,
)

ZONES = [
    ZoneInfo(name)
    for name in ("UTC", "America/Chicago", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata")
]
USERS = ("ana", "ben", "cy", "di", "ed", "flo")
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
THREE_YEARS_IN_MINUTES = 3 * 366 * 24 * 60
MAX_WINDOW_MINUTES = 40 * 24 * 60
MAX_LENGTH = {HOURS: 36, DAYS: 5, WEEKS: 2}
NOMINAL_HOURS = {HOURS: 1, DAYS: 24, WEEKS: 24 * 7}

# Modest example counts keep the whole file at a few seconds; no deadline, since a slow CI box
# should not turn into flaky failures, and no example database written into the project.
SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class Scenario(NamedTuple):
    layers: list[Layer]
    overrides: list[Override]
    start: datetime
    end: datetime


# --- strategies ----------------------------------------------------------------------------

instants = st.integers(0, THREE_YEARS_IN_MINUTES).map(lambda m: EPOCH + timedelta(minutes=m))
durations = st.integers(1, MAX_WINDOW_MINUTES).map(lambda m: timedelta(minutes=m))
# Wall-clock times, biased towards the small hours where DST gaps and folds live.
clock_times = st.one_of(
    st.sampled_from([time(0), time(1, 30), time(1, 45), time(2, 15), time(2, 30), time(9)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
)


@st.composite
def layers(
    draw: st.DrawFn, layer_id: object = "L", *, windowed: bool = True, bounded: bool = True
) -> Layer:
    unit = draw(st.sampled_from([HOURS, DAYS, WEEKS]))
    fields: dict = {
        "id": layer_id,
        "participants": tuple(draw(st.lists(st.sampled_from(USERS), max_size=4))),
        "zone": draw(st.sampled_from(ZONES)),
        "rotation_start": draw(st.dates(date(2022, 6, 1), date(2025, 12, 31))),
        "handoff_time": draw(clock_times),
        "shift_length": draw(st.integers(1, MAX_LENGTH[unit])),
        "shift_unit": unit,
        "offset": draw(st.integers(-3, 3)),
    }
    if windowed:
        kind = draw(st.sampled_from(["always", "days", "times", "both"]))
        if kind in ("days", "both"):
            fields["active_days"] = frozenset(draw(st.lists(st.integers(0, 6), max_size=6)))
        if kind in ("times", "both"):
            fields["active_start"] = draw(clock_times)
            fields["active_end"] = draw(clock_times)
    if bounded:
        fields["starts_at"] = draw(st.none() | instants)
        fields["ends_at"] = draw(st.none() | instants)
    return Layer(**fields)


@st.composite
def scenarios(draw: st.DrawFn, min_overrides: int = 0) -> Scenario:
    start = draw(instants)
    end = start + draw(durations)
    stack = [draw(layers(f"L{i}")) for i in range(draw(st.integers(1, 3)))]
    overrides = []
    for i in range(draw(st.integers(min_overrides, 5))):
        # Overrides around and across the window, some reaching outside it.
        o_start = start + timedelta(minutes=draw(st.integers(-2 * 1440, MAX_WINDOW_MINUTES)))
        o_end = o_start + timedelta(minutes=draw(st.integers(1, 5 * 1440)))
        overrides.append(Override(i, draw(st.sampled_from(USERS)), o_start, o_end))
    return Scenario(stack, overrides, start, end)


# --- helpers -------------------------------------------------------------------------------


def clip(intervals: Sequence[Interval], start: datetime, end: datetime) -> list[Interval]:
    """What is left of each interval inside ``[start, end)``, empty leftovers dropped."""
    clipped = (Interval(max(i.start, start), min(i.end, end), i.user, i.source) for i in intervals)
    return [i for i in clipped if i.start < i.end]


def covering(intervals: Sequence[Interval], t: datetime) -> Interval | None:
    """The interval of an ordered, non-overlapping list that contains ``t``."""
    index = bisect_right([i.start for i in intervals], t) - 1
    if index >= 0 and t < intervals[index].end:
        return intervals[index]
    return None


def assert_well_formed(intervals: Sequence[Interval], start: datetime, end: datetime) -> None:
    for interval in intervals:
        assert interval.start.tzinfo is UTC and interval.end.tzinfo is UTC
        assert start <= interval.start < interval.end <= end
    for before, after in zip(intervals, intervals[1:], strict=False):
        assert before.end <= after.start
        mergeable = (before.user, before.source) == (after.user, after.source)
        assert not (before.end == after.start and mergeable)


def shift_count_bound(layer: Layer, window: timedelta) -> int:
    """The shifts a window can meet, plus a few lookups to find the first one."""
    nominal = timedelta(hours=NOMINAL_HOURS[layer.shift_unit] * layer.shift_length)
    # Days and weeks may lose an hour to DST; hours never do.
    shortest = nominal if layer.shift_unit == HOURS else nominal - timedelta(hours=1)
    return window // shortest + 6


def shifts_examined(spy: mock.MagicMock) -> int:
    """How many shift starts the engine computed while ``spy`` wrapped ``_shift_starts``: each
    ``_shift_starts(rotation, k, count)`` computes ``count`` of them."""
    return sum(call.args[2] for call in spy.call_args_list)


# --- properties ----------------------------------------------------------------------------


@SETTINGS
@given(scenarios())
def test_final_schedule_is_ordered_disjoint_and_inside_the_window(scenario: Scenario):
    result = final_schedule(*scenario)
    assert_well_formed(result, scenario.start, scenario.end)
    for layer in scenario.layers:
        own = layer_shifts(layer, scenario.start, scenario.end)
        assert_well_formed(own, scenario.start, scenario.end)


@SETTINGS
@given(scenarios())
def test_final_schedule_matches_brute_force_stacking(scenario: Scenario):
    """At every boundary of every input piece, the winner is the highest source covering it.

    Between consecutive boundaries nothing changes, so checking each boundary checks all."""
    layers_, overrides, start, end = scenario
    own = [layer_shifts(layer, start, end) for layer in layers_]
    result = final_schedule(*scenario)
    boundaries = {start}
    boundaries.update(t for pieces in own for i in pieces for t in (i.start, i.end))
    boundaries.update(t for o in overrides for t in (o.start, o.end) if start <= t < end)
    for t in sorted(b for b in boundaries if b < end):
        expected = None
        for override in reversed(overrides):
            if override.start <= t < override.end:
                expected = (override.user, ("override", override.id))
                break
        else:
            for pieces in reversed(own):
                piece = covering(pieces, t)
                if piece is not None:
                    expected = (piece.user, piece.source)
                    break
        actual = covering(result, t)
        assert (None if actual is None else (actual.user, actual.source)) == expected, t


@SETTINGS
@given(scenarios(min_overrides=1))
def test_the_top_override_always_wins_its_range(scenario: Scenario):
    top = scenario.overrides[-1]
    lo, hi = max(top.start, scenario.start), min(top.end, scenario.end)
    result = final_schedule(*scenario)
    inside = clip(result, lo, hi)
    assert all(i.user == top.user and i.source == ("override", top.id) for i in inside)
    assert sum((i.end - i.start for i in inside), timedelta()) == max(hi - lo, timedelta())


@SETTINGS
@given(scenarios(), st.floats(0, 1), st.floats(0, 1))
def test_a_smaller_window_is_a_cut_of_a_bigger_one(scenario: Scenario, a: float, b: float):
    span = scenario.end - scenario.start
    sub_start = scenario.start + span * min(a, b)
    sub_end = scenario.start + span * max(a, b)
    bigger = final_schedule(*scenario)
    smaller = final_schedule(scenario.layers, scenario.overrides, sub_start, sub_end)
    assert smaller == clip(bigger, sub_start, sub_end)
    for layer in scenario.layers:
        whole = layer_shifts(layer, scenario.start, scenario.end)
        assert layer_shifts(layer, sub_start, sub_end) == clip(whole, sub_start, sub_end)


@SETTINGS
@given(layers(windowed=False), instants, durations)
def test_layer_shifts_tile_exactly_the_shift_bounds(layer: Layer, start: datetime, span: timedelta):
    end = start + span
    result = layer_shifts(layer, start, end)
    if not layer.participants:
        assert result == []
        return
    lo = max(start, shift_bounds(layer, 0)[0], layer.starts_at or start)
    hi = min(end, layer.ends_at or end)
    if lo >= hi:
        assert result == []
        return
    assert result[0].start == lo and result[-1].end == hi
    for before, after in zip(result, result[1:], strict=False):
        assert before.end == after.start  # no holes without an active window
    for interval in result:
        _, layer_id, k = interval.source
        assert layer_id == layer.id
        shift_start, shift_end = shift_bounds(layer, k)
        assert (interval.start, interval.end) == (max(shift_start, lo), min(shift_end, hi))
        count = len(layer.participants)
        assert interval.user == layer.participants[(k + layer.offset) % count]


@SETTINGS
@given(layers(), instants, durations)
def test_active_pieces_stay_inside_their_shift(layer: Layer, start: datetime, span: timedelta):
    for interval in layer_shifts(layer, start, start + span):
        k = interval.source[2]
        shift_start, shift_end = shift_bounds(layer, k)
        assert shift_start <= interval.start < interval.end <= shift_end
        assert shift_index_at(layer, interval.start) == k
        assert interval.user == layer.participants[(k + layer.offset) % len(layer.participants)]


@SETTINGS
@given(layers(windowed=False, bounded=False), st.integers(0, 400))
def test_shift_bounds_keep_the_wall_clock_or_the_hours(layer: Layer, k: int):
    start, end = shift_bounds(layer, k)
    assert start < end == shift_bounds(layer, k + 1)[0]
    assert shift_index_at(layer, start) == k
    assert shift_index_at(layer, start - timedelta(microseconds=1)) == k - 1
    if layer.shift_unit == HOURS:
        assert end - start == timedelta(hours=layer.shift_length)
        return
    step = layer.shift_length * (7 if layer.shift_unit == WEEKS else 1)
    wanted = datetime.combine(layer.rotation_start + timedelta(days=k * step), layer.handoff_time)
    local = start.astimezone(layer.zone)
    assert local.fold == 0  # an ambiguous handoff takes its first occurrence
    if local.replace(tzinfo=None) != wanted:
        # The handoff time does not exist that day: the shift starts when the gap ends.
        round_trip = wanted.replace(tzinfo=layer.zone).astimezone(UTC).astimezone(layer.zone)
        assert round_trip.replace(tzinfo=None) != wanted
        just_before = (start - timedelta(seconds=1)).astimezone(layer.zone)
        assert just_before.replace(tzinfo=None) < wanted < local.replace(tzinfo=None)


@SETTINGS
@given(layers(windowed=False, bounded=False), instants, durations)
def test_cost_does_not_depend_on_how_long_ago_the_rotation_started(
    template: Layer, start: datetime, span: timedelta
):
    end = start + span
    if not template.participants:
        template = replace(template, participants=("ana",))
    first_day = start.astimezone(template.zone).date()
    counts = []
    for days_ago in (1, 3652):
        layer = replace(template, rotation_start=first_day - timedelta(days=days_ago))
        with mock.patch.object(engine, "_shift_starts", wraps=engine._shift_starts) as spy:
            layer_shifts(layer, start, end)
            assert shifts_examined(spy) <= shift_count_bound(layer, span)
            counts.append(shifts_examined(spy))
            spy.reset_mock()
            on_call_at([layer], [], end)
            assert shifts_examined(spy) <= 12  # one shift, looked up a couple of times
    assert abs(counts[0] - counts[1]) <= 3


@SETTINGS
@given(scenarios())
def test_final_schedule_cost_is_bounded_by_the_window(scenario: Scenario):
    span = scenario.end - scenario.start
    bound = sum(shift_count_bound(layer, span) for layer in scenario.layers)
    with mock.patch.object(engine, "_shift_starts", wraps=engine._shift_starts) as spy:
        final_schedule(*scenario)
    assert shifts_examined(spy) <= bound


@SETTINGS
@given(scenarios(), st.floats(0, 1))
def test_on_call_at_agrees_with_the_final_schedule(scenario: Scenario, where: float):
    t = scenario.start + (scenario.end - scenario.start) * where
    if t >= scenario.end:
        t = scenario.start
    current = on_call_at(scenario.layers, scenario.overrides, t)
    expected = covering(final_schedule(*scenario), t)
    if expected is None:
        assert current is None
        return
    assert current is not None and current.start <= t < current.end
    # on_call_at reports the whole interval; the window's copy is the same interval, cut.
    assert clip([current], scenario.start, scenario.end) == [expected]


@SETTINGS
@given(scenarios())
def test_gaps_and_intervals_tile_the_window(scenario: Scenario):
    result = final_schedule(*scenario)
    holes = gaps(result, scenario.start, scenario.end)
    pieces = sorted([(i.start, i.end) for i in result] + holes)
    assert all(s < e for s, e in holes)
    assert pieces[0][0] == scenario.start and pieces[-1][1] == scenario.end
    for (_, before_end), (after_start, _) in zip(pieces, pieces[1:], strict=False):
        assert before_end == after_start
