"""Who is on call, final schedules and shifts, and their query bounds."""

from datetime import date, time, timedelta

import pytest

from oncall import coverage, engine, selectors
from tests import factories
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db

AT = utc(2024, 6, 5, 12)  # a Wednesday


@pytest.fixture
def rota(schedule, alice, bob, carol):
    """Bottom: daily alice → bob → carol (midnight UTC handoffs from 2024-06-01). Top: weekday
    business hours 09:00-17:00, carol only, from 2024-06-03."""
    bottom = factories.LayerFactory(
        schedule=schedule,
        position=0,
        shift_unit="days",
        rotation_start=date(2024, 6, 1),
        handoff_time=time(0),
        participants=[alice, bob, carol],
    )
    top = factories.LayerFactory(
        schedule=schedule,
        position=1,
        shift_unit="weeks",
        rotation_start=date(2024, 6, 3),
        active_days=[0, 1, 2, 3, 4],
        active_start=time(9),
        active_end=time(17),
        participants=[carol],
    )
    return bottom, top


def test_final_schedule_stacks_layers_and_overrides(schedule, rota, alice, bob):
    factories.OverrideFactory(
        schedule=schedule, user=alice, start=utc(2024, 6, 5, 10), end=utc(2024, 6, 5, 11)
    )
    shifts = selectors.schedule_final(schedule=schedule, start=utc(2024, 6, 5), end=utc(2024, 6, 6))
    assert [(s.start.hour, s.end.hour, s.user.username, s.source[0]) for s in shifts] == [
        (0, 9, "bob", "layer"),
        (9, 10, "carol", "layer"),
        (10, 11, "alice", "override"),
        (11, 17, "carol", "layer"),
        (17, 0, "bob", "layer"),
    ]
    assert all(s.schedule_id == schedule.pk for s in shifts)


def test_gaps_are_absent_from_the_final_schedule(schedule, alice):
    factories.LayerFactory(
        schedule=schedule,
        rotation_start=date(2024, 6, 3),
        active_start=time(9),
        active_end=time(17),
        participants=[alice],
    )
    start, end = utc(2024, 6, 5), utc(2024, 6, 6)
    shifts = selectors.schedule_final(schedule=schedule, start=start, end=end)
    assert [(s.start.hour, s.end.hour) for s in shifts] == [(9, 17)]
    assert coverage.schedule_gaps(schedule=schedule, start=start, days=1) == [
        (start, utc(2024, 6, 5, 9)),
        (utc(2024, 6, 5, 17), end),
    ]
    assert selectors.oncall_at(schedule=schedule, at=utc(2024, 6, 5, 20)) is None
    assert selectors.oncall_users_at(schedule=schedule, at=utc(2024, 6, 5, 20)) == []
    assert selectors.oncall_users_at(schedule=schedule, at=AT) == [alice]


def test_oncall_at_returns_the_whole_piece(schedule, rota):
    shift = selectors.oncall_at(schedule=schedule, at=utc(2024, 6, 5, 20))
    assert (shift.start, shift.end, shift.user.username) == (
        utc(2024, 6, 5, 17),
        utc(2024, 6, 6),
        "bob",
    )


def test_team_oncall_gives_now_and_next_for_every_schedule(team, schedule, rota):
    empty = factories.ScheduleFactory(team=team, name="Empty")
    rows = {s.name: (now, nxt) for s, now, nxt in selectors.team_oncall(team=team, at=AT)}
    now, nxt = rows["Primary"]
    assert now.user.username == "carol" and now.end == utc(2024, 6, 5, 17)
    assert nxt.user.username == "bob" and nxt.start == utc(2024, 6, 5, 17)
    assert rows["Empty"] == (None, None)
    assert empty.pk != schedule.pk


def test_next_skips_pieces_of_the_same_person(schedule, alice, bob):
    # alice on the bottom layer all day; an override of alice on top must not count as "next".
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=date(2024, 6, 5),
        handoff_time=time(0),
        participants=[alice, bob],
    )
    factories.OverrideFactory(
        schedule=schedule, user=alice, start=utc(2024, 6, 5, 14), end=utc(2024, 6, 5, 15)
    )
    now, nxt = selectors.schedule_now_next(schedule=schedule, at=AT)
    assert now.user == alice and nxt.user == bob and nxt.start == utc(2024, 6, 6)


def test_user_shifts_across_schedules(team, schedule, rota, alice):
    other = factories.ScheduleFactory(team=team, name="Secondary")
    factories.OverrideFactory(
        schedule=other, user=alice, start=utc(2024, 6, 5, 1), end=utc(2024, 6, 5, 2)
    )
    shifts = selectors.user_shifts(user=alice, start=utc(2024, 6, 4), end=utc(2024, 6, 6))
    assert [(s.schedule.name, s.start, s.end) for s in shifts] == [
        ("Primary", utc(2024, 6, 4), utc(2024, 6, 4, 9)),
        ("Primary", utc(2024, 6, 4, 17), utc(2024, 6, 5)),
        ("Secondary", utc(2024, 6, 5, 1), utc(2024, 6, 5, 2)),
    ]
    assert all(s.user == alice for s in shifts)


def test_versions_split_history(schedule, alice, bob):
    old = factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=date(2024, 6, 1),
        handoff_time=time(0),
        participants=[alice],
        valid_until=AT,
    )
    factories.LayerFactory(
        schedule=schedule,
        lineage=old.lineage,
        position=old.position,
        shift_unit="days",
        rotation_start=date(2024, 6, 1),
        handoff_time=time(0),
        participants=[bob],
        valid_from=AT,
    )
    users = [
        (s.start, s.user.username)
        for s in selectors.schedule_final(
            schedule=schedule, start=utc(2024, 6, 5), end=utc(2024, 6, 6)
        )
    ]
    assert users == [(utc(2024, 6, 5), "alice"), (AT, "bob")]
    rows, final, gaps = selectors.schedule_calendar(
        schedule=schedule, start=utc(2024, 6, 5), end=utc(2024, 6, 6)
    )
    assert len(rows) == 1 and [s.user.username for s in rows[0].shifts] == ["alice", "bob"]


def test_engine_values_follow_dates_and_zone(schedule, alice):
    schedule.time_zone = "Europe/London"
    layer = factories.LayerFactory(
        schedule=schedule,
        time_zone="Europe/London",
        start_date=date(2024, 6, 3),
        end_date=date(2024, 6, 4),
        participants=[alice],
    )
    value = selectors.layers_for_engine(schedule=schedule)[0]
    assert value.starts_at == utc(2024, 6, 2, 23)  # midnight BST
    assert value.ends_at == utc(2024, 6, 4, 23)  # the end date is the last whole day
    assert value.participants == (alice.pk,) and value.id == layer.pk
    assert isinstance(value, engine.Layer)


# --------------------------------------------------------------------------------------------
# Query bounds: the same number of queries for one and for many layers, overrides and people
# --------------------------------------------------------------------------------------------


def _populate(team, schedule, size: int):
    people = [factories.MembershipFactory(team=team).user for _ in range(size)]
    for i in range(size):
        factories.LayerFactory(
            schedule=schedule,
            position=i,
            shift_unit="hours",
            shift_length=8,
            rotation_start=date(2024, 6, 1),
            participants=people[i:] + people[:i],
        )
        factories.OverrideFactory(
            schedule=schedule,
            user=people[i],
            start=utc(2024, 6, 5, i % 24),
            end=utc(2024, 6, 5, i % 24) + timedelta(hours=2),
        )
    return people


@pytest.mark.parametrize("size", [1, 12])
def test_who_is_on_call_takes_bounded_queries(team, schedule, size, django_assert_max_num_queries):
    people = _populate(team, schedule, size)
    other = factories.ScheduleFactory(team=team)
    _populate(team, other, size)
    start, end = utc(2024, 6, 1), utc(2024, 7, 1)
    with django_assert_max_num_queries(3):
        selectors.schedule_final(schedule=schedule, start=start, end=end)
    with django_assert_max_num_queries(3):
        assert selectors.oncall_at(schedule=schedule, at=AT) is not None
    with django_assert_max_num_queries(3):
        selectors.schedule_now_next(schedule=schedule, at=AT)
    with django_assert_max_num_queries(4):
        rows = selectors.team_oncall(team=team, at=AT)
    assert len(rows) == 2 and all(now is not None for _, now, _ in rows)
    with django_assert_max_num_queries(4):
        assert selectors.user_shifts(user=people[0], start=start, end=end)
    with django_assert_max_num_queries(3):
        selectors.schedule_calendar(schedule=schedule, start=start, end=end)
    with django_assert_max_num_queries(3):
        coverage.schedules_gaps(schedules=[schedule, other], start=start)


@pytest.fixture
def london_run(team, alice, bob):
    """London, daily 09:00 handoffs alice → bob from Sat 24 Oct 2026 (the clocks go back on
    Sun 25 Oct), and alice takes bob's Sunday by override: alice is on call without a break
    from Sat 24 Oct 09:00 BST (08:00 UTC) until Tue 27 Oct 09:00 GMT (09:00 UTC)."""
    schedule = factories.ScheduleFactory(team=team, name="London", time_zone="Europe/London")
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=date(2026, 10, 24),
        handoff_time=time(9),
        participants=[alice, bob],
    )
    factories.OverrideFactory(
        schedule=schedule, user=alice, start=utc(2026, 10, 25, 9), end=utc(2026, 10, 26, 9)
    )
    return schedule


def test_on_call_until_is_the_end_of_the_continuous_run_across_a_dst_change(
    clock, london_run, alice, bob
):
    clock.freeze("2026-10-24T10:00:00Z")  # Saturday 11:00 BST
    now, nxt = selectors.schedule_now_next(schedule=london_run)
    assert now.user == alice
    assert now.start == utc(2026, 10, 24, 8)  # 09:00 BST
    assert now.end == utc(2026, 10, 27, 9)  # 09:00 GMT, not her own shift's end (Sun 25 Oct)
    assert (nxt.user, nxt.start) == (bob, utc(2026, 10, 27, 9))
    # Inside the override, the run is the same one.
    clock.freeze("2026-10-25T12:00:00Z")
    now, _ = selectors.schedule_now_next(schedule=london_run)
    assert (now.user, now.end) == (alice, utc(2026, 10, 27, 9))
    # The team's rows (dashboard, team and service pages, the API) say the same.
    ((schedule, now, nxt),) = selectors.team_oncall(team=london_run.team)
    assert (now.user, now.end, nxt.user) == (alice, utc(2026, 10, 27, 9), bob)


def test_on_call_until_stops_at_a_gap_or_another_person(clock, schedule, alice, bob):
    """Two shifts of alice with an hour of nobody between are two runs."""
    factories.OverrideFactory(
        schedule=schedule, user=alice, start=utc(2026, 12, 7, 9), end=utc(2026, 12, 8, 9)
    )
    factories.OverrideFactory(
        schedule=schedule, user=alice, start=utc(2026, 12, 8, 10), end=utc(2026, 12, 9, 9)
    )
    clock.freeze("2026-12-07T12:00:00Z")
    now, nxt = selectors.schedule_now_next(schedule=schedule)
    assert (now.user, now.end) == (alice, utc(2026, 12, 8, 9))
    assert nxt is None  # only alice again after the gap
