"""Hand-checked examples for the pure schedule engine (no Django, no database).

Expected instants are written in UTC with the local time they stand for in a comment, so each
example can be checked against a time zone table by hand.
"""

import dataclasses
import pickle
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

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

UTC_ZONE = ZoneInfo("UTC")
CHICAGO = ZoneInfo("America/Chicago")
LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
WEEKDAYS = frozenset(range(5))
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def make_layer(**fields) -> Layer:
    """A daily UTC rotation of alice, bob and carol from Monday 2024-01-01 09:00 by default."""
    defaults = {
        "id": "primary",
        "participants": ("alice", "bob", "carol"),
        "zone": UTC_ZONE,
        "rotation_start": date(2024, 1, 1),
        "handoff_time": time(9),
        "shift_length": 1,
        "shift_unit": DAYS,
    }
    return Layer(**(defaults | fields))


def spans(intervals: list[Interval]) -> list[tuple[datetime, datetime, object]]:
    return [(i.start, i.end, i.user) for i in intervals]


def local_starts(layer: Layer, ks: range) -> list[datetime]:
    """Shift starts as naive local wall-clock times."""
    return [shift_bounds(layer, k)[0].astimezone(layer.zone).replace(tzinfo=None) for k in ks]


def shifts_examined(spy: mock.MagicMock) -> int:
    """How many shift starts the engine computed while ``spy`` wrapped ``_shift_starts``: each
    ``_shift_starts(rotation, k, count)`` computes ``count`` of them."""
    return sum(call.args[2] for call in spy.call_args_list)


# --- rotations ------------------------------------------------------------------------------


def test_daily_rotation_hands_off_at_the_handoff_time():
    layer = make_layer()
    result = layer_shifts(layer, utc(2024, 1, 1), utc(2024, 1, 4))
    assert spans(result) == [
        (utc(2024, 1, 1, 9), utc(2024, 1, 2, 9), "alice"),
        (utc(2024, 1, 2, 9), utc(2024, 1, 3, 9), "bob"),
        (utc(2024, 1, 3, 9), utc(2024, 1, 4), "carol"),  # clipped to the window
    ]
    assert [i.source for i in result] == [("layer", "primary", k) for k in (0, 1, 2)]
    assert all(i.start.tzinfo is UTC and i.end.tzinfo is UTC for i in result)


def test_multi_day_shifts_wrap_around_the_participants():
    layer = make_layer(participants=("alice", "bob"), shift_length=2)
    result = layer_shifts(layer, utc(2024, 1, 1, 9), utc(2024, 1, 9, 9))
    assert spans(result) == [
        (utc(2024, 1, 1, 9), utc(2024, 1, 3, 9), "alice"),
        (utc(2024, 1, 3, 9), utc(2024, 1, 5, 9), "bob"),
        (utc(2024, 1, 5, 9), utc(2024, 1, 7, 9), "alice"),
        (utc(2024, 1, 7, 9), utc(2024, 1, 9, 9), "bob"),
    ]


def test_weekly_rotation():
    layer = make_layer(participants=("alice", "bob"), shift_unit=WEEKS)
    assert shift_bounds(layer, 1) == (utc(2024, 1, 8, 9), utc(2024, 1, 15, 9))
    assert on_call_at([layer], [], utc(2024, 1, 10, 12)).user == "bob"
    assert on_call_at([layer], [], utc(2024, 1, 15, 8, 59)).user == "bob"
    assert on_call_at([layer], [], utc(2024, 1, 15, 9)).user == "alice"
    assert shift_index_at(layer, utc(2024, 1, 15, 9)) == 2


def test_hourly_shifts_are_absolute_across_spring_forward():
    # 8-hour shifts from Saturday 2024-03-09 22:00 CST (04:00 UTC on the 10th); clocks in
    # Chicago jump from 02:00 CST to 03:00 CDT that night, and shifts stay exactly 8 hours.
    layer = make_layer(
        zone=CHICAGO,
        rotation_start=date(2024, 3, 9),
        handoff_time=time(22),
        shift_length=8,
        shift_unit=HOURS,
    )
    result = layer_shifts(layer, utc(2024, 3, 10, 4), utc(2024, 3, 11, 4))
    assert spans(result) == [
        (utc(2024, 3, 10, 4), utc(2024, 3, 10, 12), "alice"),  # 22:00 CST - 07:00 CDT
        (utc(2024, 3, 10, 12), utc(2024, 3, 10, 20), "bob"),  # 07:00 CDT - 15:00 CDT
        (utc(2024, 3, 10, 20), utc(2024, 3, 11, 4), "carol"),  # 15:00 CDT - 23:00 CDT
    ]
    assert shift_index_at(layer, utc(2024, 3, 10, 3, 59)) == -1  # before the first handoff


# --- daylight saving time ----------------------------------------------------------------


def test_chicago_daily_handoff_stays_at_nine_across_spring_forward():
    layer = make_layer(zone=CHICAGO, rotation_start=date(2024, 3, 8))
    assert shift_bounds(layer, 0) == (utc(2024, 3, 8, 15), utc(2024, 3, 9, 15))  # CST
    assert shift_bounds(layer, 1) == (utc(2024, 3, 9, 15), utc(2024, 3, 10, 14))  # 23 hours
    assert shift_bounds(layer, 2) == (utc(2024, 3, 10, 14), utc(2024, 3, 11, 14))  # CDT
    assert {t.time() for t in local_starts(layer, range(4))} == {time(9)}


def test_chicago_handoff_in_the_spring_forward_gap_moves_to_three():
    # 02:30 does not exist on 2024-03-10 (02:00 CST jumps to 03:00 CDT): the handoff happens
    # at 03:00 CDT, when the gap ends, and the following day is back to 02:30.
    layer = make_layer(zone=CHICAGO, rotation_start=date(2024, 3, 8), handoff_time=time(2, 30))
    assert shift_bounds(layer, 1) == (utc(2024, 3, 9, 8, 30), utc(2024, 3, 10, 8))
    assert shift_bounds(layer, 2) == (utc(2024, 3, 10, 8), utc(2024, 3, 11, 7, 30))
    assert local_starts(layer, range(1, 4)) == [
        datetime(2024, 3, 9, 2, 30),
        datetime(2024, 3, 10, 3, 0),
        datetime(2024, 3, 11, 2, 30),
    ]


def test_chicago_daily_handoff_stays_at_nine_across_fall_back():
    layer = make_layer(zone=CHICAGO, rotation_start=date(2024, 11, 1))
    assert shift_bounds(layer, 1) == (utc(2024, 11, 2, 14), utc(2024, 11, 3, 15))  # 25 hours
    assert {t.time() for t in local_starts(layer, range(4))} == {time(9)}


def test_chicago_ambiguous_fall_back_handoff_takes_the_first_occurrence():
    # 01:30 happens twice on 2024-11-03: first in CDT (06:30 UTC), then in CST (07:30 UTC).
    layer = make_layer(zone=CHICAGO, rotation_start=date(2024, 11, 1), handoff_time=time(1, 30))
    assert shift_bounds(layer, 1) == (utc(2024, 11, 2, 6, 30), utc(2024, 11, 3, 6, 30))
    assert shift_bounds(layer, 2) == (utc(2024, 11, 3, 6, 30), utc(2024, 11, 4, 7, 30))
    assert shift_bounds(layer, 2)[0].astimezone(CHICAGO).fold == 0


def test_london_weekly_handoff_keeps_wall_clock_time():
    # BST starts on 2024-03-31 and ends on 2024-10-27.
    spring = make_layer(
        zone=LONDON, rotation_start=date(2024, 3, 25), handoff_time=time(10), shift_unit=WEEKS
    )
    assert shift_bounds(spring, 0) == (utc(2024, 3, 25, 10), utc(2024, 4, 1, 9))  # 167 hours
    autumn = make_layer(
        zone=LONDON, rotation_start=date(2024, 10, 21), handoff_time=time(10), shift_unit=WEEKS
    )
    assert shift_bounds(autumn, 0) == (utc(2024, 10, 21, 9), utc(2024, 10, 28, 10))  # 169 hours


def test_kolkata_has_no_dst():
    layer = make_layer(zone=KOLKATA, rotation_start=date(2024, 3, 8))
    result = layer_shifts(layer, utc(2024, 3, 8), utc(2024, 3, 12))
    assert [(i.start, i.end - i.start) for i in result] == [
        (utc(2024, 3, 8, 3, 30), timedelta(days=1)),  # 09:00 IST is 03:30 UTC
        (utc(2024, 3, 9, 3, 30), timedelta(days=1)),
        (utc(2024, 3, 10, 3, 30), timedelta(days=1)),
        (utc(2024, 3, 11, 3, 30), timedelta(hours=20, minutes=30)),  # clipped
    ]


def test_lord_howe_half_hour_spring_forward():
    # On 2024-10-06 clocks go from 02:00 (+10:30) to 02:30 (+11:00).
    nine = make_layer(zone=LORD_HOWE, rotation_start=date(2024, 10, 4))
    assert shift_bounds(nine, 1) == (utc(2024, 10, 4, 22, 30), utc(2024, 10, 5, 22))
    in_gap = make_layer(zone=LORD_HOWE, rotation_start=date(2024, 10, 4), handoff_time=time(2, 15))
    assert shift_bounds(in_gap, 1) == (
        utc(2024, 10, 4, 15, 45),  # 02:15 +10:30
        utc(2024, 10, 5, 15, 30),  # 02:15 does not exist: 02:30 +11:00, when the gap ends
    )
    assert shift_bounds(in_gap, 2) == (utc(2024, 10, 5, 15, 30), utc(2024, 10, 6, 15, 15))


def test_lord_howe_half_hour_fall_back_takes_the_first_occurrence():
    # On 2024-04-07 clocks go from 02:00 (+11:00) back to 01:30 (+10:30): 01:45 happens twice.
    layer = make_layer(zone=LORD_HOWE, rotation_start=date(2024, 4, 5), handoff_time=time(1, 45))
    assert shift_bounds(layer, 2) == (
        utc(2024, 4, 6, 14, 45),  # 01:45 +11:00
        utc(2024, 4, 7, 15, 15),  # 01:45 +10:30 the next day: a 24.5-hour shift
    )


# --- active windows ------------------------------------------------------------------------


def test_weekday_business_hours_window():
    layer = make_layer(
        zone=CHICAGO,
        participants=("alice", "bob"),
        shift_unit=WEEKS,
        active_days=WEEKDAYS,
        active_start=time(9),
        active_end=time(18),
    )
    result = layer_shifts(layer, utc(2024, 1, 1), utc(2024, 1, 9))
    # 09:00-18:00 CST is 15:00-24:00 UTC; the weekend has nobody; Monday the 8th is bob's.
    assert spans(result) == [
        *[(utc(2024, 1, d, 15), utc(2024, 1, d + 1), "alice") for d in range(1, 6)],
        (utc(2024, 1, 8, 15), utc(2024, 1, 9), "bob"),
    ]
    assert [i.source[2] for i in result] == [0, 0, 0, 0, 0, 1]
    # In summer the same window is 14:00-23:00 UTC (CDT).
    summer = layer_shifts(layer, utc(2024, 7, 1), utc(2024, 7, 2))
    assert [(i.start, i.end) for i in summer] == [(utc(2024, 7, 1, 14), utc(2024, 7, 1, 23))]


def test_overnight_window_belongs_to_the_day_it_starts():
    # Weeknights 18:00-09:00 in London (GMT in January): Friday night runs into Saturday
    # morning, Sunday night is not covered.
    layer = make_layer(
        zone=LONDON,
        handoff_time=time(0),
        shift_unit=WEEKS,
        active_days=WEEKDAYS,
        active_start=time(18),
        active_end=time(9),
    )
    result = layer_shifts(layer, utc(2024, 1, 1), utc(2024, 1, 8, 12))
    assert [(i.start, i.end) for i in result] == [
        (utc(2024, 1, d, 18), utc(2024, 1, d + 1, 9)) for d in range(1, 6)
    ]
    assert {i.user for i in result} == {"alice"}


def test_overnight_window_is_split_at_a_handoff():
    layer = make_layer(handoff_time=time(0), active_start=time(18), active_end=time(9))
    result = layer_shifts(layer, utc(2024, 1, 1, 12), utc(2024, 1, 2, 12))
    assert spans(result) == [
        (utc(2024, 1, 1, 18), utc(2024, 1, 2), "alice"),
        (utc(2024, 1, 2), utc(2024, 1, 2, 9), "bob"),
    ]


def test_active_days_without_times_cover_whole_days_as_one_piece():
    layer = make_layer(zone=CHICAGO, shift_unit=WEEKS, active_days=frozenset({5, 6}))
    result = layer_shifts(layer, utc(2024, 1, 1), utc(2024, 1, 9))
    # Saturday 00:00 CST to Monday 00:00 CST, in one piece.
    assert spans(result) == [(utc(2024, 1, 6, 6), utc(2024, 1, 8, 6), "alice")]


# --- stacking ------------------------------------------------------------------------------


BASE = make_layer(id="base", participants=("alice", "bob"), handoff_time=time(0))
BUSINESS_HOURS = make_layer(
    id="day",
    participants=("carol",),
    handoff_time=time(0),
    active_days=WEEKDAYS,
    active_start=time(9),
    active_end=time(18),
)
MONDAY = (utc(2024, 1, 1), utc(2024, 1, 2))


def test_higher_layer_wins_only_where_it_has_someone():
    result = final_schedule([BASE, BUSINESS_HOURS], [], *MONDAY)
    assert spans(result) == [
        (utc(2024, 1, 1), utc(2024, 1, 1, 9), "alice"),
        (utc(2024, 1, 1, 9), utc(2024, 1, 1, 18), "carol"),
        (utc(2024, 1, 1, 18), utc(2024, 1, 2), "alice"),
    ]
    assert [i.source for i in result] == [
        ("layer", "base", 0),
        ("layer", "day", 0),
        ("layer", "base", 0),
    ]
    # Order matters: with the 24/7 layer on top, nobody below ever shows.
    assert spans(final_schedule([BUSINESS_HOURS, BASE], [], *MONDAY)) == [
        (utc(2024, 1, 1), utc(2024, 1, 2), "alice")
    ]


def test_empty_top_layer_hides_nothing():
    empty = make_layer(id="nobody", participants=())
    assert layer_shifts(empty, *MONDAY) == []
    assert final_schedule([BASE, empty], [], *MONDAY) == final_schedule([BASE], [], *MONDAY)


def test_overrides_beat_layers_and_later_overrides_beat_earlier_ones():
    overrides = [
        Override("o1", "dave", utc(2024, 1, 1, 12), utc(2024, 1, 1, 14)),
        Override("o2", "erin", utc(2024, 1, 1, 13), utc(2024, 1, 1, 15)),
    ]
    result = final_schedule([BASE, BUSINESS_HOURS], overrides, utc(2024, 1, 1, 9), MONDAY[1])
    assert spans(result) == [
        (utc(2024, 1, 1, 9), utc(2024, 1, 1, 12), "carol"),
        (utc(2024, 1, 1, 12), utc(2024, 1, 1, 13), "dave"),
        (utc(2024, 1, 1, 13), utc(2024, 1, 1, 15), "erin"),
        (utc(2024, 1, 1, 15), utc(2024, 1, 1, 18), "carol"),
        (utc(2024, 1, 1, 18), utc(2024, 1, 2), "alice"),
    ]
    assert result[1].source == ("override", "o1")
    reversed_order = final_schedule(
        [BASE], overrides[::-1], utc(2024, 1, 1, 12), utc(2024, 1, 1, 15)
    )
    assert spans(reversed_order) == [
        (utc(2024, 1, 1, 12), utc(2024, 1, 1, 14), "dave"),
        (utc(2024, 1, 1, 14), utc(2024, 1, 1, 15), "erin"),
    ]


def test_override_fills_a_gap_and_is_clipped_to_the_window():
    override = Override("o1", "dave", utc(2023, 12, 31), utc(2024, 1, 1, 10))
    result = final_schedule([BUSINESS_HOURS], [override], *MONDAY)
    assert spans(result) == [
        (utc(2024, 1, 1), utc(2024, 1, 1, 10), "dave"),
        (utc(2024, 1, 1, 10), utc(2024, 1, 1, 18), "carol"),
    ]


def test_adjacent_pieces_of_one_source_are_merged():
    overrides = [
        Override("o1", "dave", utc(2024, 1, 1, 10), utc(2024, 1, 1, 12)),
        Override("o1", "dave", utc(2024, 1, 1, 12), utc(2024, 1, 1, 14)),
        Override("o2", "dave", utc(2024, 1, 1, 14), utc(2024, 1, 1, 16)),
    ]
    result = final_schedule([], overrides, *MONDAY)
    assert [(i.start, i.end, i.source) for i in result] == [
        (utc(2024, 1, 1, 10), utc(2024, 1, 1, 14), ("override", "o1")),
        (utc(2024, 1, 1, 14), utc(2024, 1, 1, 16), ("override", "o2")),  # another source
    ]


def test_gaps_are_the_uncovered_parts_of_the_window():
    schedule = final_schedule([BUSINESS_HOURS], [], utc(2024, 1, 5), utc(2024, 1, 9))
    assert gaps(schedule, utc(2024, 1, 5), utc(2024, 1, 9)) == [
        (utc(2024, 1, 5), utc(2024, 1, 5, 9)),
        (utc(2024, 1, 5, 18), utc(2024, 1, 8, 9)),  # Friday evening to Monday morning
        (utc(2024, 1, 8, 18), utc(2024, 1, 9)),
    ]
    assert gaps([], *MONDAY) == [MONDAY]
    # Unsorted, overlapping input and bounds given in another zone.
    unsorted = [
        Interval(utc(2024, 1, 1, 5), utc(2024, 1, 1, 8), "b", ("override", 2)),
        Interval(utc(2024, 1, 1, 2), utc(2024, 1, 1, 6), "a", ("override", 1)),
    ]
    window_start = datetime(2023, 12, 31, 18, tzinfo=CHICAGO)  # 00:00 UTC
    assert gaps(unsorted, window_start, utc(2024, 1, 1, 10)) == [
        (utc(2024, 1, 1), utc(2024, 1, 1, 2)),
        (utc(2024, 1, 1, 8), utc(2024, 1, 1, 10)),
    ]
    assert gaps(unsorted, window_start, utc(2024, 1, 1, 10))[0][0].tzinfo is UTC


# --- layer versions, offsets, history --------------------------------------------------------


def test_starts_at_and_ends_at_hand_over_between_layer_versions():
    edited_at = utc(2024, 1, 3, 12)
    old = make_layer(id="v1", participants=("alice", "bob"), ends_at=edited_at)
    new = make_layer(id="v2", participants=("carol", "dave"), starts_at=edited_at)
    result = final_schedule([old, new], [], utc(2024, 1, 3), utc(2024, 1, 4, 12))
    assert [(i.start, i.end, i.user, i.source) for i in result] == [
        (utc(2024, 1, 3), utc(2024, 1, 3, 9), "bob", ("layer", "v1", 1)),
        (utc(2024, 1, 3, 9), edited_at, "alice", ("layer", "v1", 2)),
        (edited_at, utc(2024, 1, 4, 9), "carol", ("layer", "v2", 2)),
        (utc(2024, 1, 4, 9), utc(2024, 1, 4, 12), "dave", ("layer", "v2", 3)),
    ]
    assert layer_shifts(new, utc(2024, 1, 1), edited_at) == []
    assert layer_shifts(old, edited_at, utc(2024, 2, 1)) == []


def test_offset_shifts_who_starts():
    assert on_call_at([make_layer(offset=1)], [], utc(2024, 1, 1, 10)).user == "bob"
    assert on_call_at([make_layer(offset=-1)], [], utc(2024, 1, 1, 10)).user == "carol"
    assert on_call_at([make_layer(offset=4)], [], utc(2024, 1, 2, 10)).user == "carol"  # (1+4)%3


def test_rotation_started_ten_years_ago_gives_the_right_person_cheaply():
    people = ("p0", "p1", "p2", "p3", "p4")
    layer = make_layer(
        zone=CHICAGO,
        participants=people,
        rotation_start=date(2014, 1, 6),  # a Monday
        shift_unit=WEEKS,
    )
    # 2014-01-06 -> 2024-01-06 is 3652 days (two leap days), -> 2024-06-03 another 149:
    # 3801 days = 543 weeks, and 543 % 5 == 3.
    wednesday = datetime(2024, 6, 5, 12, tzinfo=CHICAGO)
    assert shift_index_at(layer, wednesday) == 543
    assert shift_bounds(layer, 543) == (utc(2024, 6, 3, 14), utc(2024, 6, 10, 14))  # 09:00 CDT
    with mock.patch.object(engine, "_shift_starts", wraps=engine._shift_starts) as spy:
        current = on_call_at([layer], [], wednesday)
        assert current == Interval(
            utc(2024, 6, 3, 14), utc(2024, 6, 10, 14), "p3", ("layer", "primary", 543)
        )
        assert shifts_examined(spy) <= 10
        spy.reset_mock()
        layer_shifts(layer, utc(2024, 1, 1), utc(2025, 1, 1))
        assert shifts_examined(spy) <= 53 + 4  # the weeks of the year and a few lookups

    # Daily in Chicago for ten years of DST changes: still 09:00 local on any date.
    daily = make_layer(zone=CHICAGO, participants=people, rotation_start=date(2014, 3, 1))
    k = (date(2024, 11, 3) - date(2014, 3, 1)).days
    assert shift_index_at(daily, datetime(2024, 11, 3, 9, tzinfo=CHICAGO)) == k
    assert shift_index_at(daily, datetime(2024, 11, 3, 8, 59, tzinfo=CHICAGO)) == k - 1
    assert shift_bounds(daily, k)[0] == utc(2024, 11, 3, 15)  # 09:00 CST


def test_nobody_before_the_rotation_starts():
    layer = make_layer()
    assert spans(layer_shifts(layer, utc(2023, 12, 1), utc(2024, 1, 1, 10))) == [
        (utc(2024, 1, 1, 9), utc(2024, 1, 1, 10), "alice")
    ]
    assert on_call_at([layer], [], utc(2024, 1, 1, 8)) is None
    assert shift_index_at(layer, utc(2023, 12, 31, 12)) == -1
    with pytest.raises(ValueError):
        shift_bounds(layer, -1)


# --- on_call_at ----------------------------------------------------------------------------


def test_on_call_at_returns_the_whole_interval():
    override = Override("o1", "dave", utc(2024, 1, 1, 12), utc(2024, 1, 1, 14))
    layers = [BASE, BUSINESS_HOURS]
    assert on_call_at(layers, [override], utc(2024, 1, 1, 10)) == Interval(
        utc(2024, 1, 1, 9), utc(2024, 1, 1, 12), "carol", ("layer", "day", 0)
    )
    assert on_call_at(layers, [override], utc(2024, 1, 1, 13)) == Interval(
        utc(2024, 1, 1, 12), utc(2024, 1, 1, 14), "dave", ("override", "o1")
    )
    assert on_call_at(layers, [override], utc(2024, 1, 1, 20)) == Interval(
        utc(2024, 1, 1, 18), utc(2024, 1, 2), "alice", ("layer", "base", 0)
    )
    assert on_call_at([BUSINESS_HOURS], [], utc(2024, 1, 1, 20)) is None
    assert on_call_at([], [], utc(2024, 1, 1, 20)) is None


# --- validation ----------------------------------------------------------------------------


NAIVE = datetime(2024, 1, 1, 12)


@pytest.mark.parametrize(
    "call",
    [
        lambda: layer_shifts(make_layer(), NAIVE, utc(2024, 1, 2)),
        lambda: layer_shifts(make_layer(), utc(2024, 1, 1), NAIVE),
        lambda: final_schedule([make_layer()], [], NAIVE, utc(2024, 1, 2)),
        lambda: gaps([], NAIVE, utc(2024, 1, 2)),
        lambda: on_call_at([make_layer()], [], NAIVE),
        lambda: shift_index_at(make_layer(), NAIVE),
        lambda: Override("o", "dave", NAIVE, utc(2024, 1, 2)),
        lambda: make_layer(starts_at=NAIVE),
        lambda: make_layer(ends_at=NAIVE),
    ],
    ids=[
        "layer_shifts-start",
        "layer_shifts-end",
        "final_schedule",
        "gaps",
        "on_call_at",
        "shift_index_at",
        "override",
        "layer-starts_at",
        "layer-ends_at",
    ],
)
def test_naive_datetimes_are_rejected(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    "fields",
    [
        {"shift_length": 0},
        {"shift_unit": "months"},
        {"active_days": frozenset({7})},
        {"handoff_time": time(9, tzinfo=UTC)},
    ],
)
def test_invalid_layers_are_rejected(fields):
    with pytest.raises(ValueError):
        make_layer(**fields)


def test_invalid_override_is_rejected():
    with pytest.raises(ValueError):
        Override("o", "dave", utc(2024, 1, 2), utc(2024, 1, 1))


def test_returned_intervals_are_ordinary_frozen_intervals():
    """The engine builds its Interval values without the dataclass ``__init__``: they must not
    differ from ones built with it."""
    (first, *_) = layer_shifts(make_layer(), utc(2024, 1, 1), utc(2024, 1, 3))
    twin = Interval(first.start, first.end, first.user, first.source)
    assert type(first) is Interval
    assert (first, hash(first), repr(first)) == (twin, hash(twin), repr(twin))
    assert dataclasses.replace(first, user="dave").user == "dave"
    assert pickle.loads(pickle.dumps(first)) == first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.user = "dave"  # type: ignore[misc]


def test_layer_normalises_its_collections():
    layer = make_layer(participants=["alice", "bob"], active_days={0, 1})
    assert layer.participants == ("alice", "bob")
    assert layer.active_days == frozenset({0, 1})
    assert hash(layer)  # usable as a cache key
