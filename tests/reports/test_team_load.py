"""The team load review against the hand-computed story of conftest.py (read its table)."""

from datetime import UTC, date, time, timedelta

import pytest

from portal.reports.load import team_load
from tests.reports.conftest import END, START, utc

H = timedelta(hours=1)


@pytest.fixture
def load(story):
    return team_load(team=story.team, start=START, end=END, zone=UTC)


def row(load, user):
    person = load.person(user.pk)
    assert person is not None, f"{user} has no row"
    return person


def test_hours_split_by_each_persons_zone_across_dst_weekend_and_holiday(story, load):
    ann, raj, bea = row(load, story.ann), row(load, story.raj), row(load, story.bea)
    assert (ann.hours.working, ann.hours.off, ann.hours.sleep) == (0 * H, 24 * H, 19 * H)
    assert (raj.hours.working, raj.hours.off, raj.hours.sleep) == (4 * H, 14 * H, 10 * H)
    assert (bea.hours.working, bea.hours.off, bea.hours.sleep) == (0 * H, 4 * H, 0 * H)
    assert (ann.hours.weekday, ann.hours.weekend, ann.hours.holiday) == (9 * H, 19 * H, 15 * H)
    assert (raj.hours.weekday, raj.hours.weekend, raj.hours.holiday) == (
        4 * H,
        10.5 * H,
        13.5 * H,
    )
    assert load.hours.total == 75 * H


def test_swap_hours_are_covered_for_others(story, load):
    assert row(load, story.bea).covered_for_others == 4 * H
    assert row(load, story.ann).covered_by_others == 4 * H
    assert row(load, story.ann).covered_for_others == timedelta(0)
    assert load.covered_for_others == 4 * H


def test_balance_and_shares(story, load):
    assert load.balance == pytest.approx((28 / 43 + 4 / 43 + 4 / 28) / 3)
    assert row(load, story.ann).share == pytest.approx(43 / 25)
    assert row(load, story.raj).share == pytest.approx(28 / 25)
    assert row(load, story.bea).share == pytest.approx(4 / 25)
    boss = row(load, story.boss)
    assert not boss.on_rota and boss.share is None
    assert load.rota_size == 3


def test_interruptions(story, load):
    ann, raj = row(load, story.ann).interruptions, row(load, story.raj).interruptions
    assert (ann.total, ann.off_hours, ann.sleep, ann.hours) == (4, 4, 3, 4)
    assert ann.nights == [date(2024, 3, 30), date(2024, 4, 1)]
    assert (raj.total, raj.off_hours, raj.sleep, raj.hours) == (3, 0, 0, 2)
    assert row(load, story.bea).interruptions.total == 0
    assert (load.interruptions, load.off_hours_interruptions, load.sleep_interruptions) == (7, 4, 3)
    assert load.interrupted_hours == 6


def test_interruption_charts_data(load):
    assert load.daily == [
        (date(2024, 3, 30), 1),
        (date(2024, 3, 31), 1),
        (date(2024, 4, 1), 2),
        (date(2024, 4, 2), 3),
    ]
    # [weekday][hour] in each recipient's own time.
    expected = {(5, 23): 1, (6, 3): 1, (0, 13): 1, (0, 22): 1, (1, 15): 2, (1, 16): 1}
    cells = {(d, h): n for d, hours in enumerate(load.heatmap) for h, n in enumerate(hours) if n}
    assert cells == expected


def test_incidents_and_times(story, load):
    assert (load.incidents, load.acknowledged) == (4, 3)
    assert load.tta_median == 360 and load.tta_p90 == pytest.approx(552)
    assert load.ttr_median == 2160 and load.ttr_p90 == pytest.approx(3240)
    ann, raj = row(load, story.ann), row(load, story.raj)
    assert (ann.acknowledged, ann.tta_median, ann.tta_p90) == (2, 480, pytest.approx(576))
    assert (raj.acknowledged, raj.tta_median, raj.tta_p90) == (1, 120, 120)


def test_longest_runs(story, load):
    # ann: Sat 09:00 → Sun 08:00 (23 h, the 4 h swap gap bridged) then, after a break of
    # exactly a day, Mon 08:00 → Tue 08:00: two runs of 1 day.
    assert row(load, story.ann).longest_run_days == 1
    assert row(load, story.ann).longest_run == (utc(2024, 3, 30, 9), utc(2024, 3, 31, 8))
    assert row(load, story.raj).longest_run_days == 1


def test_flags(story, load):
    kinds = {(f.user_id, f.kind) for f in load.flags}
    assert kinds == {
        (story.ann.pk, "sleep"),  # woken on the nights of Sat 30 Mar and Mon 1 Apr
        (story.ann.pk, "share"),  # 1.72× an even share
        (story.bea.pk, "unreachable"),  # her only contact method is broken
    }
    sleep = next(f for f in load.flags if f.kind == "sleep")
    assert "2 nights" in sleep.text and "(Sat 30 Mar, Mon 1 Apr)" in sleep.text


def test_handovers(story, load):
    names = [
        (h.at, h.from_user.username if h.from_user else None, h.to_user.username)
        for h in load.handovers
    ]
    assert names == [
        (utc(2024, 3, 30, 9), None, "ann"),
        (utc(2024, 3, 30, 18), "ann", "bea"),
        (utc(2024, 3, 30, 22), "bea", "ann"),
        (utc(2024, 3, 31, 8), "ann", "raj"),
        (utc(2024, 4, 1, 8), "raj", "ann"),
        (utc(2024, 4, 2, 8), "ann", "raj"),
    ]


def test_members_without_hours_are_listed_but_not_on_the_rota(story, load):
    people = {p.user.username: p for p in load.people}
    assert set(people) == {"boss", "ann", "raj", "bea"}
    assert people["boss"].hours.total == timedelta(0)
    assert [p.user.username for p in load.people][:3] == ["ann", "raj", "bea"]


def test_run_flag_when_on_call_longer_than_the_team_allows(story):
    story.team.max_consecutive_days = 1
    story.team.save(update_fields=["max_consecutive_days"])
    # Bea also takes Sun 08:00 → Mon 08:00 and Mon 08:00 → Wed 08:00 on a second rota.
    from tests import factories

    other = factories.ScheduleFactory(team=story.team, name="Secondary")
    factories.OverrideFactory(
        schedule=other, user=story.bea, start=utc(2024, 3, 31, 8), end=utc(2024, 4, 3, 8)
    )
    load = team_load(team=story.team, start=START, end=END, zone=UTC)
    bea = row(load, story.bea)
    # Sat 18:00 → Tue 12:00 (the period's end), gaps under a day bridged: 2.75 days → 3.
    assert bea.longest_run_days == 3
    assert (story.bea.pk, "run") in {(f.user_id, f.kind) for f in load.flags}
    assert (story.ann.pk, "run") not in {(f.user_id, f.kind) for f in load.flags}


def test_unreachable_person_with_no_methods_at_all(story):
    from tests import factories

    newbie = factories.MembershipFactory(team=story.team).user
    load = team_load(team=story.team, start=START, end=END, zone=UTC)
    assert row(load, newbie).unreachable
    assert not row(load, story.ann).unreachable


def test_another_teams_holidays_do_not_count(story):
    # Sat 30 Mar is a holiday of another team only: ann's Saturday stays a weekend.
    load = team_load(team=story.team, start=START, end=utc(2024, 3, 31), zone=UTC)
    assert row(load, story.ann).hours.holiday == timedelta(0)
    assert row(load, story.ann).hours.weekend == 9 * H + 2 * H  # Sat 09–18 and 22–24 GMT


def test_the_rota_is_who_is_in_a_layer_version_in_force_in_the_period(story):
    from tests import factories

    gone = factories.MembershipFactory(team=story.team, user__username="gone").user
    later = factories.MembershipFactory(team=story.team, user__username="later").user
    factories.LayerFactory(
        schedule=story.schedule,
        position=1,
        valid_until=utc(2024, 3, 20),  # edited away before the period
        participants=[gone],
    )
    factories.LayerFactory(
        schedule=story.schedule,
        position=2,
        start_date=date(2024, 4, 3),  # starts after the period
        participants=[later],
    )
    waiting = factories.MembershipFactory(team=story.team, user__username="waiting").user
    factories.LayerFactory(
        schedule=story.schedule,
        position=3,
        shift_unit="days",
        rotation_start=date(2024, 4, 2),
        handoff_time=time(9),
        participants=[waiting],
    )  # in force, but beaten by the higher layer everywhere: on the rota with no hours
    load = team_load(team=story.team, start=START, end=END, zone=UTC)
    assert not row(load, gone).on_rota and not row(load, later).on_rota
    assert row(load, waiting).on_rota and row(load, waiting).hours.total == timedelta(0)
    assert load.rota_size == 4
    assert load.balance == pytest.approx((28 / 43 + 4 / 43 + 4 / 28 + 0 + 0 + 0) / 6)
