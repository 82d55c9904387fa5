"""The pure load measures: hand-checked examples (DST both ways, another zone, weekends,
holidays) and a property test against a minute-by-minute count."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.reports import measures
from portal.reports.measures import WorkPattern

H = timedelta(hours=1)
LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def split(start, end, pattern):
    s = measures.split_hours([(start, end)], pattern)
    return s.working / H, s.off / H, s.sleep / H


# ------------------------------------------------------------------------------ split_hours
def test_a_plain_weekday_in_utc():
    # Wed 00–24: sleep 00–08 and 22–24, working 09–18, off 08–09 and 18–22.
    assert split(utc(2024, 3, 6), utc(2024, 3, 7), WorkPattern(zone=UTC)) == (9, 5, 10)


def test_a_weekend_day_has_no_working_hours():
    assert split(utc(2024, 3, 9), utc(2024, 3, 10), WorkPattern(zone=UTC)) == (0, 14, 10)
    s = measures.split_hours([(utc(2024, 3, 9), utc(2024, 3, 11))], WorkPattern(zone=UTC))
    assert (s.weekend, s.weekday, s.holiday) == (48 * H, 0 * H, 0 * H)


def test_spring_forward_day_is_23_hours_with_a_short_night():
    # London's local Sunday 31 Mar 2024 runs 00:00 GMT → 24:00 BST: 23 real hours; the night
    # 00:00–08:00 loses its 01:00–02:00.
    start = datetime(2024, 3, 31, tzinfo=LONDON)
    end = datetime(2024, 4, 1, tzinfo=LONDON)
    assert end.astimezone(UTC) - start.astimezone(UTC) == 23 * H
    assert split(start, end, WorkPattern(zone=LONDON)) == (0, 14, 9)


def test_fall_back_day_is_25_hours_with_a_long_night():
    start = utc(2024, 10, 26, 23)  # Sun 27 Oct 00:00 BST
    end = utc(2024, 10, 28)  # Mon 28 Oct 00:00 GMT
    assert split(start, end, WorkPattern(zone=LONDON)) == (0, 14, 11)


def test_a_threshold_inside_the_repeated_hour_counts_at_both_occurrences():
    # Sleep 00:30–01:30: on the fall-back night 01:00–02:00 BST happens, then 01:00–02:00 GMT.
    # Asleep 00:30 → 01:30 BST (1 h) and again 01:00 → 01:30 GMT (0.5 h).
    pattern = WorkPattern(zone=LONDON, sleep_start=time(0, 30), sleep_end=time(1, 30))
    assert split(utc(2024, 10, 26, 12), utc(2024, 10, 27, 12), pattern) == (0, 22.5, 1.5)


def test_a_threshold_inside_the_skipped_hour():
    # New York skips 02:00–03:00 on Sun 10 Mar 2024; sleep ends at 02:30, which never
    # happens that night: the night ends when the clocks jump (07:00 UTC).
    pattern = WorkPattern(zone=NEW_YORK, sleep_start=time(23), sleep_end=time(2, 30))
    # Sat 9 Mar 23:00 EST (04:00 UTC Sun) → Sun 10 Mar 12:00 EDT (16:00 UTC).
    assert split(utc(2024, 3, 10, 4), utc(2024, 3, 10, 16), pattern) == (0, 9, 3)


def test_another_zone_with_a_half_hour_offset():
    # Mon 00:00–12:00 UTC is Mon 05:30–17:30 IST: sleep to 08:00, off to 09:00, then working.
    assert split(utc(2024, 4, 1), utc(2024, 4, 1, 12), WorkPattern(zone=KOLKATA)) == (8.5, 1, 2.5)


def test_a_public_holiday_is_off_hours_and_holiday_hours():
    pattern = WorkPattern(zone=UTC, holidays={date(2024, 12, 25)})
    s = measures.split_hours([(utc(2024, 12, 24, 12), utc(2024, 12, 26, 12))], pattern)
    # Tue 24: working 12–18 (6), off 18–22 (4), sleep 22–24 (2); Wed 25 (holiday): sleep 10,
    # off 14; Thu 26: sleep 00–08 (8), off 08–09 (1), working 09–12 (3).
    assert (s.working, s.off, s.sleep) == (9 * H, 19 * H, 20 * H)
    assert (s.weekday, s.weekend, s.holiday) == (24 * H, 0 * H, 24 * H)


def test_custom_working_days_and_a_sleep_window_not_crossing_midnight():
    # Works Sun–Thu 07:00–15:00, sleeps 01:00–07:00. Fri is a weekend day for them.
    pattern = WorkPattern(
        zone=UTC,
        work_start=time(7),
        work_end=time(15),
        work_days={6, 0, 1, 2, 3},
        sleep_start=time(1),
        sleep_end=time(7),
    )
    assert split(utc(2024, 3, 8), utc(2024, 3, 9), pattern) == (0, 18, 6)  # a Friday
    assert split(utc(2024, 3, 10), utc(2024, 3, 11), pattern) == (8, 10, 6)  # a Sunday


def test_working_wins_where_working_and_sleep_hours_overlap():
    pattern = WorkPattern(zone=UTC, sleep_start=time(17), sleep_end=time(8))
    # Sleep 17–08 overlaps working 09–18: 17–18 is working; 08–09 stays off-hours.
    assert split(utc(2024, 3, 6), utc(2024, 3, 7), pattern) == (9, 1, 14)


def test_overlapping_spans_count_once():
    spans = [(utc(2024, 3, 6, 9), utc(2024, 3, 6, 12)), (utc(2024, 3, 6, 10), utc(2024, 3, 6, 14))]
    assert measures.split_hours(spans, WorkPattern(zone=UTC)).working == 5 * H


def _brute_force(start, end, pattern):
    """Minute by minute, classifying each minute's midpoint."""
    result = measures.HourSplit()
    moment = start
    while moment < end:
        local = (moment + timedelta(seconds=30)).astimezone(pattern.zone)
        result.add(pattern.category(local), pattern.day_kind(local.date()), timedelta(minutes=1))
        moment += timedelta(minutes=1)
    return result


ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
TRANSITIONS = [utc(2024, 3, 31, 1), utc(2024, 10, 27, 1), utc(2024, 3, 10, 7), utc(2024, 4, 6, 15)]


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    near=st.sampled_from(TRANSITIONS),
    offset_minutes=st.integers(-36 * 60, 12 * 60),
    length_minutes=st.integers(1, 48 * 60),
    more=st.lists(st.tuples(st.integers(-600, 3000), st.integers(1, 600)), max_size=2),
    work=st.tuples(st.integers(0, 11), st.integers(12, 23), st.integers(0, 59)),
    sleep=st.tuples(st.integers(0, 23), st.integers(0, 23), st.sampled_from([0, 30])),
    holiday=st.booleans(),
)
def test_split_matches_a_minute_by_minute_count(
    zone, near, offset_minutes, length_minutes, more, work, sleep, holiday
):
    sleep_start, sleep_end = time(sleep[0], sleep[2]), time(sleep[1])
    if sleep_start == sleep_end:
        sleep_end = time((sleep[1] + 1) % 24)
    pattern = WorkPattern(
        zone=ZoneInfo(zone),
        work_start=time(work[0], work[2]),
        work_end=time(work[1]),
        sleep_start=sleep_start,
        sleep_end=sleep_end,
        holidays={near.date()} if holiday else set(),
    )
    start = near + timedelta(minutes=offset_minutes)
    spans = [(start, start + timedelta(minutes=length_minutes))] + [
        (start + timedelta(minutes=a), start + timedelta(minutes=a + n)) for a, n in more
    ]
    got = measures.split_hours(spans, pattern)
    expected = measures.HourSplit()
    for s, e in measures.merge(spans):
        expected = expected + _brute_force(s, e, pattern)
    assert got == expected
    assert got.total == measures.total(measures.merge(spans))
    assert got.total == got.weekday + got.weekend + got.holiday


# ----------------------------------------------------------------------------- interruptions
def test_pages_within_60_seconds_of_the_last_counted_one_count_once():
    t0 = utc(2024, 3, 6, 12)
    times = [t0 + timedelta(seconds=s) for s in (70, 0, 30, 59, 130, 200)]
    assert measures.count_once(times) == [t0 + timedelta(seconds=s) for s in (0, 70, 130, 200)]
    assert measures.count_once([t0, t0 + timedelta(seconds=60)]) == [t0, t0 + timedelta(seconds=60)]
    assert measures.count_once([]) == []


def test_interruptions_classified_in_the_persons_own_time():
    pattern = WorkPattern(zone=KOLKATA)
    times = [
        utc(2024, 4, 1, 4),  # Mon 09:30 IST: working
        utc(2024, 4, 1, 4, 20),  # Mon 09:50 IST: working, same local hour
        utc(2024, 4, 1, 14),  # Mon 19:30 IST: off-hours
        utc(2024, 4, 1, 20),  # Tue 01:30 IST: sleep, Monday's night
        utc(2024, 4, 3, 17),  # Wed 22:30 IST: sleep, Wednesday's night
    ]
    counts = measures.classify_interruptions(times, pattern)
    assert (counts.total, counts.off_hours, counts.sleep, counts.hours) == (5, 3, 2, 4)
    assert counts.nights == [date(2024, 4, 1), date(2024, 4, 3)]


def test_nights_within_a_week():
    d = date(2024, 4, 1)
    assert measures.nights_within([d, d + timedelta(days=6)]) == [d, d + timedelta(days=6)]
    assert measures.nights_within([d, d + timedelta(days=7)]) is None
    assert measures.nights_within([d]) is None
    assert measures.nights_within([d, d + timedelta(days=9), d + timedelta(days=10)]) == [
        d + timedelta(days=9),
        d + timedelta(days=10),
    ]


# ------------------------------------------------------------------ runs, balance, shares …
def test_runs_of_days_on_call():
    week = (utc(2024, 3, 4, 9), utc(2024, 3, 11, 9))
    assert measures.longest_run([week]) == (week, 7)
    business = [(utc(2024, 3, d, 9), utc(2024, 3, d, 17)) for d in range(4, 9)]  # Mon–Fri
    assert measures.longest_run(business) == ((utc(2024, 3, 4, 9), utc(2024, 3, 8, 17)), 5)
    # A break of exactly a day ends a run.
    apart = [(utc(2024, 3, 4), utc(2024, 3, 5)), (utc(2024, 3, 6), utc(2024, 3, 7, 1))]
    assert [days for _, days in measures.runs(apart)] == [1, 2]
    assert measures.longest_run([]) == (None, 0)


def test_balance():
    assert measures.balance([10, 10]) == 1.0
    assert measures.balance([10, 5, 0]) == pytest.approx((0.5 + 0 + 0) / 3)
    assert measures.balance([0, 0]) == 1.0
    assert measures.balance([7]) is None


def test_share_ratios():
    assert measures.share_ratios({"a": 30, "b": 10}) == {"a": 1.5, "b": 0.5}
    assert measures.share_ratios({"a": 0, "b": 0}) == {"a": 0.0, "b": 0.0}


def test_percentiles():
    assert measures.median([4, 1, 3, 2]) == 2.5
    assert measures.percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert measures.percentile([5], 0.9) == 5
    assert measures.median([]) is None


def test_merge_and_clip():
    spans = [(utc(2024, 1, 1, 10), utc(2024, 1, 1, 12)), (utc(2024, 1, 1, 11), utc(2024, 1, 1, 13))]
    assert measures.merge(spans) == [(utc(2024, 1, 1, 10), utc(2024, 1, 1, 13))]
    assert measures.clip(spans, utc(2024, 1, 1, 11, 30), utc(2024, 1, 1, 12, 30)) == [
        (utc(2024, 1, 1, 11, 30), utc(2024, 1, 1, 12)),
        (utc(2024, 1, 1, 11, 30), utc(2024, 1, 1, 12, 30)),
    ]
