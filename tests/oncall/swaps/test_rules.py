"""Pure time arithmetic behind the rules: overlaps, cutting, runs of days, holding a span."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from oncall.swaps import rules

T0 = datetime(2030, 1, 7, tzinfo=UTC)  # a Monday


def at(days=0, hours=0):
    return T0 + timedelta(days=days, hours=hours)


def test_overlaps_is_half_open():
    assert rules.overlaps(at(0), at(1), at(0, 23), at(2))
    assert not rules.overlaps(at(0), at(1), at(1), at(2))


def test_subtract_splits_a_span():
    assert rules.subtract([(at(0), at(3))], (at(1), at(2))) == [(at(0), at(1)), (at(2), at(3))]
    assert rules.subtract([(at(0), at(1))], (at(1), at(2))) == [(at(0), at(1))]
    assert rules.subtract([(at(0), at(1))], (at(-1), at(2))) == []
    assert rules.subtract([(at(0), at(1))], None) == [(at(0), at(1))]


def test_a_weekly_shift_is_seven_days_and_one_more_day_makes_eight():
    week = (at(0, 9), at(7, 9))
    assert rules.days_in_a_row([], week) == 7
    assert rules.days_in_a_row([week], (at(7, 9), at(8, 9))) == 8


def test_business_hours_run_monday_to_friday_and_the_weekend_ends_it():
    weekdays = [(at(d, 9), at(d, 18)) for d in range(5)]
    assert rules.days_in_a_row(weekdays[:4], weekdays[4]) == 5
    next_monday = (at(7, 9), at(7, 18))
    assert rules.days_in_a_row(weekdays, next_monday) == 1


def test_held_throughout_needs_the_same_person_without_gaps():
    pieces = [(at(0), at(1), 1), (at(1), at(2), 1), (at(2), at(3), 2)]
    assert rules.held_throughout(pieces, 1, (at(0, 5), at(2)))
    assert not rules.held_throughout(pieces, 1, (at(0, 5), at(2, 1)))
    assert not rules.held_throughout([(at(0), at(1), 1), (at(1, 1), at(2), 1)], 1, (at(0), at(2)))
    assert not rules.held_throughout([], 1, (at(0), at(1)))


spans = st.tuples(st.integers(0, 24 * 40), st.integers(1, 24 * 10)).map(
    lambda t: (at(hours=t[0]), at(hours=t[0] + t[1]))
)


@given(st.lists(spans, max_size=8), spans)
def test_a_run_is_at_least_as_long_as_what_is_taken_and_grows_with_more_duty(duty, taken):
    alone = rules.days_in_a_row([], taken)
    assert alone * rules.ONE_DAY >= taken[1] - taken[0]
    assert rules.days_in_a_row(duty, taken) >= alone


@given(st.lists(spans, max_size=8), spans)
def test_subtract_leaves_nothing_of_the_cut_and_keeps_the_rest(duty, cut):
    left = rules.subtract(duty, cut)
    assert not any(rules.overlaps(s, e, *cut) for s, e in left)
    total = sum(((e - s) for s, e in rules.merge(left)), timedelta(0))
    whole = sum(((e - s) for s, e in rules.merge(duty)), timedelta(0))
    inside = sum(
        (
            (min(e, cut[1]) - max(s, cut[0]))
            for s, e in rules.merge(duty)
            if rules.overlaps(s, e, *cut)
        ),
        timedelta(0),
    )
    assert total == whole - inside
