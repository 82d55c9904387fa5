"""Shift reminders and weekly coverage warnings, through the real notifications layer."""

from datetime import date, time, timedelta

import pytest

from oncall import reminders, tasks
from portal.notifications.models import Kind, Message
from tests import factories
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db

NOW = utc(2024, 6, 5, 8, 0)


def reminded(user=None):
    qs = Message.objects.filter(kind=Kind.SHIFT_REMINDER)
    if user is not None:
        qs = qs.filter(user=user)
    return list(qs)


def cover(schedule, user, start, hours=8):
    return factories.OverrideFactory(
        schedule=schedule, user=user, start=start, end=start + timedelta(hours=hours)
    )


def test_the_holder_is_reminded_once_within_the_lead_time(schedule, bob):
    cover(schedule, bob, NOW + timedelta(minutes=45), hours=8)
    assert reminders.shift_reminders_send(now=NOW - timedelta(minutes=30)) == 0
    assert reminded() == []
    assert reminders.shift_reminders_send(now=NOW) == 1
    assert reminders.shift_reminders_send(now=NOW) == 1  # due again, but sent only once
    assert reminders.shift_reminders_send(now=NOW + timedelta(minutes=10)) == 1
    [message] = reminded()
    assert message.user == bob
    assert message.body == (
        f"You are on call for {schedule.name} ({schedule.team.name}) "
        "from Wed 5 Jun 08:45 UTC to Wed 5 Jun 16:45 UTC."
    )
    assert message.url.endswith(schedule.get_absolute_url())
    assert message.dedup_key == f"remind:{schedule.pk}:{bob.pk}:2024-06-05T08:45:00+00:00:lead"


def test_times_are_in_the_persons_zone(schedule, bob):
    bob.profile.time_zone = "Europe/Berlin"
    bob.profile.save()
    cover(schedule, bob, NOW + timedelta(minutes=45))
    reminders.shift_reminders_send(now=NOW)
    assert "from Wed 5 Jun 10:45 CEST to Wed 5 Jun 18:45 CEST" in reminded(bob)[0].body


def test_lead_time_is_each_persons(schedule, alice, bob):
    factories.RotaPreferencesFactory(user=alice, reminder_lead_minutes=180)
    cover(schedule, alice, NOW + timedelta(hours=2))
    cover(schedule, bob, NOW + timedelta(hours=12), hours=2)
    reminders.shift_reminders_send(now=NOW)
    assert [m.user for m in reminded()] == [alice]


def test_day_before_reminder_only_when_asked(schedule, alice, bob):
    factories.RotaPreferencesFactory(user=alice, day_before=True)
    cover(schedule, alice, NOW + timedelta(hours=20))
    cover(schedule, bob, NOW + timedelta(hours=30), hours=4)
    reminders.shift_reminders_send(now=NOW)
    [message] = reminded()
    assert message.user == alice and message.dedup_key.endswith(":day")
    # The lead reminder still comes an hour before.
    reminders.shift_reminders_send(now=NOW + timedelta(hours=19, minutes=30))
    assert sorted(m.dedup_key.rsplit(":", 1)[1] for m in reminded(alice)) == ["day", "lead"]


def test_a_swapped_shift_reminds_the_new_holder_only(schedule, alice, bob):
    # The rotation hands over to alice at 09:00; bob took that shift (a swap is an override).
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=date(2024, 6, 4),
        handoff_time=time(9),
        participants=[bob, alice],
    )
    swap = cover(schedule, bob, utc(2024, 6, 5, 9), hours=24)
    reminders.shift_reminders_send(now=NOW)
    assert reminded(alice) == [] and reminded(bob) == []  # bob is already on call: no new stretch
    swap.delete()  # the swap is undone: the reminder is alice's again
    reminders.shift_reminders_send(now=NOW)
    assert [m.user for m in reminded()] == [alice]


def test_a_reminder_computed_before_a_swap_is_not_sent_after_it(schedule, alice, bob):
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=date(2024, 6, 4),
        handoff_time=time(9),
        participants=[bob, alice],
    )
    # Two hours ahead alice's shift is not due yet; then bob takes it over.
    reminders.shift_reminders_send(now=NOW - timedelta(hours=2))
    cover(schedule, factories.MembershipFactory(team=schedule.team).user, utc(2024, 6, 5, 9), 24)
    reminders.shift_reminders_send(now=NOW)
    assert reminded(alice) == []
    assert len(reminded()) == 1


def test_an_ongoing_or_continuing_stretch_is_not_reminded(schedule, alice):
    cover(schedule, alice, NOW - timedelta(hours=1), hours=2)
    cover(schedule, alice, NOW + timedelta(hours=1), hours=2)  # follows on without a break
    reminders.shift_reminders_send(now=NOW)
    assert reminded() == []


def test_inactive_people_are_not_reminded(schedule, alice):
    alice.is_active = False
    alice.save()
    cover(schedule, alice, NOW + timedelta(minutes=30))
    reminders.shift_reminders_send(now=NOW)
    assert reminded() == []


def test_the_reminder_task_runs(schedule, alice, now, django_capture_on_commit_callbacks):
    cover(schedule, alice, now + timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=False):
        assert tasks.send_shift_reminders() == 1
        assert tasks.send_shift_reminders() == 1
    assert len(reminded(alice)) == 1


@pytest.mark.parametrize("size", [1, 6])
def test_reminder_queries_are_bounded(team, size, django_assert_max_num_queries):
    people = [factories.MembershipFactory(team=team).user for _ in range(size)]
    for _ in range(size):
        schedule = factories.ScheduleFactory(team=team)
        factories.LayerFactory(
            schedule=schedule,
            shift_unit="hours",
            shift_length=4,
            rotation_start=date(2024, 6, 1),
            handoff_time=time(0),
            participants=people,
        )
        cover(schedule, people[0], utc(2024, 6, 5, 10))
    factories.RotaPreferencesFactory(user=people[0], reminder_lead_minutes=30)
    # The next handovers (08:00, 10:00) are beyond everybody's lead time: a tick costs a fixed
    # number of queries however many schedules, layers, people and overrides there are.
    with django_assert_max_num_queries(5):
        assert reminders.shift_reminders_send(now=utc(2024, 6, 5, 5)) == 0


# --------------------------------------------------------------------------------------------
# Coverage warnings
# --------------------------------------------------------------------------------------------


def test_managers_get_a_weekly_list_of_gaps(team, manager, member, schedule):
    covered = factories.ScheduleFactory(team=team, name="Covered")
    factories.LayerFactory(schedule=covered, participants=[member])
    factories.LayerFactory(
        schedule=schedule,
        rotation_start=date(2024, 6, 3),
        active_days=[0, 1, 2, 3, 4],
        active_start=time(9),
        active_end=time(17),
        participants=[member],
    )
    assert reminders.coverage_warnings_send(now=NOW) == 1
    assert reminders.coverage_warnings_send(now=NOW + timedelta(days=1)) == 1
    [message] = Message.objects.filter(kind=Kind.REPORT)
    assert message.user == manager
    assert "Primary" in message.body and "Covered" not in message.body
    assert "Wed 5 Jun 17:00 UTC to Thu 6 Jun 09:00 UTC" in message.body
    reminders.coverage_warnings_send(now=NOW + timedelta(days=7))  # next week: a new message
    assert Message.objects.filter(kind=Kind.REPORT).count() == 2


def test_no_warning_when_everything_is_covered(team, manager, member, schedule):
    factories.LayerFactory(schedule=schedule, participants=[member])
    assert reminders.coverage_warnings_send(now=NOW) == 0
    assert not Message.objects.exists()
    assert tasks.send_coverage_warnings() == 0


def test_the_message_gives_the_end_of_a_long_stretch(schedule, alice):
    # Two touching overrides of alice: one stretch of 10 days, reported whole.
    cover(schedule, alice, NOW + timedelta(minutes=30), hours=24 * 4)
    cover(schedule, alice, NOW + timedelta(minutes=30, days=4), hours=24 * 6)
    reminders.shift_reminders_send(now=NOW)
    [message] = reminded(alice)
    assert "to Sat 15 Jun 08:30 UTC." in message.body
