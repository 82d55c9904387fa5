"""The follow-up nags: postmortems due after 2 business days, overdue action items daily.
Both run twice (or any number of times a day) without a second message."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.postmortems import action_items, reminders, services
from incidents.postmortems.models import ActionItem
from incidents.postmortems.tasks import send_action_item_reminders, send_postmortem_reminders
from portal.notifications.models import Kind, Message
from tests import factories

FRI_1500 = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)


# ------------------------------------------------------------------------------ business days
@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (FRI_1500, 2, datetime(2025, 3, 11, 15, 0, tzinfo=UTC)),  # Fri → Tue
        (datetime(2025, 3, 3, 9, 0, tzinfo=UTC), 2, datetime(2025, 3, 5, 9, 0, tzinfo=UTC)),
        (datetime(2025, 3, 8, 10, 0, tzinfo=UTC), 2, datetime(2025, 3, 12, 0, 0, tzinfo=UTC)),
        (datetime(2025, 3, 6, 12, 0, tzinfo=UTC), 1, datetime(2025, 3, 7, 12, 0, tzinfo=UTC)),
        (datetime(2025, 3, 7, 12, 0, tzinfo=UTC), 5, datetime(2025, 3, 14, 12, 0, tzinfo=UTC)),
    ],
)
def test_add_business_days_examples(start, days, expected):
    assert reminders.add_business_days(start, days, ZoneInfo("UTC")) == expected


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=1, max_value=30),
    zone=st.sampled_from(["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"]),
)
def test_add_business_days_properties(start, days, zone):
    zone = ZoneInfo(zone)
    due = reminders.add_business_days(start, days, zone)
    local = due.astimezone(zone)
    assert due > start
    assert local.weekday() < 5  # lands on a weekday
    first = start.astimezone(zone)
    counted, day = 0, first.date()
    while day < local.date():
        day += timedelta(days=1)
        counted += day.weekday() < 5
    if first.weekday() < 5:
        # From a weekday: `days` weekdays later, at the same wall-clock time.
        assert counted == days
        assert local.replace(tzinfo=None).time() == first.replace(tzinfo=None).time() or (
            local.fold or first.fold or local.utcoffset() != first.utcoffset()
        )
    else:
        # From a weekend: the whole of `days` weekdays from Monday, due at midnight after.
        assert counted == days + 1
        assert (local.hour, local.minute) == (0, 0)
    # Never more than days + 2 weekends (+ one weekend start) of calendar time.
    assert due - start <= timedelta(days=days + 2 * (days // 5 + 1) + 3)


# --------------------------------------------------------------------------- postmortems due
@pytest.fixture
def sev1(team, commander):
    return factories.IncidentFactory(
        team=team,
        title="Everything down",
        severity=1,
        status="resolved",
        commander=commander,
        triggered_at=FRI_1500 - timedelta(hours=1),
        resolved_at=FRI_1500,
    )


def _pm_due(user=None):
    qs = Message.objects.filter(dedup_key__startswith="pm-due:")
    return qs.filter(user=user) if user is not None else qs


@pytest.mark.django_db
def test_postmortem_reminder_after_two_business_days_then_daily(sev1, commander):
    assert reminders.postmortem_reminders_send(now=FRI_1500 + timedelta(days=3)) == 0  # Mon
    assert not _pm_due().exists()
    tue = datetime(2025, 3, 11, 15, 30, tzinfo=UTC)
    assert reminders.postmortem_reminders_send(now=tue) == 1
    assert reminders.postmortem_reminders_send(now=tue + timedelta(hours=1)) == 1  # same day
    assert list(_pm_due().values_list("dedup_key", "user", "kind")) == [
        (f"pm-due:{sev1.pk}:2025-03-11:{commander.pk}", commander.pk, Kind.NAG)
    ]
    reminders.postmortem_reminders_send(now=tue + timedelta(days=1))  # Wednesday: again
    assert _pm_due().count() == 2
    # Started: the nagging stops.
    services.postmortem_start(incident=sev1, by=commander)
    assert reminders.postmortem_reminders_send(now=tue + timedelta(days=2)) == 0
    assert _pm_due().count() == 2


@pytest.mark.django_db
def test_postmortem_reminder_goes_to_managers_without_a_commander(team, manager, member):
    other_manager = factories.MembershipFactory(team=team, role="manager").user
    incident = factories.IncidentFactory(
        team=team, severity=2, status="resolved", resolved_at=FRI_1500
    )
    now = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
    for _ in range(2):  # run twice
        reminders.postmortem_reminders_send(now=now)
    assert sorted(_pm_due().values_list("user", flat=True)) == sorted(
        [manager.pk, other_manager.pk]
    )
    assert not _pm_due(member).exists()
    assert all(
        k.startswith(f"pm-due:{incident.pk}:2025-03-12:")
        for k in _pm_due().values_list("dedup_key", flat=True)
    )


@pytest.mark.django_db
def test_postmortem_due_is_a_team_setting_and_only_sev1_sev2_count(sev1, team, commander):
    factories.IncidentFactory(team=team, severity=3, status="resolved", resolved_at=FRI_1500)
    services.settings_update(
        team=team,
        sections=[{"title": "Summary"}],
        due_days={1: 7, 2: 14, 3: 30, 4: 60},
        postmortem_due_business_days=5,
    )
    assert reminders.postmortem_reminders_send(now=datetime(2025, 3, 13, 16, tzinfo=UTC)) == 0
    assert reminders.postmortem_reminders_send(now=datetime(2025, 3, 14, 16, tzinfo=UTC)) == 1
    assert _pm_due().count() == 1  # the SEV3 never nags


@pytest.mark.django_db
def test_open_incidents_do_not_need_a_postmortem_yet(team, commander):
    factories.IncidentFactory(
        team=team,
        severity=1,
        status="acknowledged",
        commander=commander,
        triggered_at=FRI_1500 - timedelta(days=30),
    )
    assert reminders.postmortem_reminders_send(now=FRI_1500) == 0


@pytest.mark.django_db
def test_postmortem_task_runs_through_celery_entry_point(sev1, commander, clock):
    clock.freeze(FRI_1500 + timedelta(days=6))
    assert send_postmortem_reminders.apply().get() == 1
    assert send_postmortem_reminders.apply().get() == 1
    assert _pm_due(commander).count() == 1


# ------------------------------------------------------------------------- overdue action items
@pytest.fixture
def owner(team):
    return factories.MembershipFactory(team=team, user__username="owner").user


@pytest.fixture
def item(started, owner):
    return factories.ActionItemFactory(
        postmortem=started, owner=owner, title="Canary", due_date=date(2025, 3, 10)
    )


def _overdue(user=None):
    qs = Message.objects.filter(dedup_key__startswith="ai-overdue")
    return qs.filter(user=user) if user is not None else qs


@pytest.mark.django_db
def test_overdue_owner_is_reminded_once_a_day(item, owner, manager):
    due_day = datetime(2025, 3, 10, 12, tzinfo=UTC)
    assert reminders.action_item_reminders_send(now=due_day) == 0  # due today: not overdue
    next_day = datetime(2025, 3, 11, 8, tzinfo=UTC)
    for hour in range(3):  # hourly beat, retries: one message that day
        reminders.action_item_reminders_send(now=next_day + timedelta(hours=hour))
    assert list(_overdue().values_list("dedup_key", flat=True)) == [
        f"ai-overdue:{item.pk}:2025-03-11"
    ]
    message = _overdue().get()
    assert message.user == owner and message.kind == Kind.NAG and "1 day overdue" in message.subject
    reminders.action_item_reminders_send(now=next_day + timedelta(days=1))
    assert _overdue(owner).count() == 2
    assert not _overdue(manager).exists()  # not yet a week


@pytest.mark.django_db
def test_managers_are_told_from_the_seventh_day_overdue(item, owner, manager):
    sixth = datetime(2025, 3, 16, 9, tzinfo=UTC)
    reminders.action_item_reminders_send(now=sixth)
    assert not _overdue(manager).exists()
    seventh = datetime(2025, 3, 17, 9, tzinfo=UTC)
    reminders.action_item_reminders_send(now=seventh)
    reminders.action_item_reminders_send(now=seventh + timedelta(hours=5))
    assert list(_overdue(manager).values_list("dedup_key", flat=True)) == [
        f"ai-overdue-mgr:{item.pk}:{manager.pk}:2025-03-17"
    ]
    assert _overdue(owner).count() == 2  # the 6th and the 7th day
    assert not _overdue(owner).filter(dedup_key__startswith="ai-overdue-mgr").exists()


@pytest.mark.django_db
def test_reminders_continue_whatever_the_incident_and_stop_when_done(item, owner, incident):
    incident.status = "triggered"  # re-opened
    incident.save(update_fields=["status"])
    reminders.action_item_reminders_send(now=datetime(2025, 3, 12, 9, tzinfo=UTC))
    assert _overdue(owner).count() == 1
    action_items.action_item_set_status(item=item, status=ActionItem.Status.DONE, by=owner)
    reminders.action_item_reminders_send(now=datetime(2025, 3, 13, 9, tzinfo=UTC))
    assert _overdue(owner).count() == 1
    action_items.action_item_set_status(item=item, status=ActionItem.Status.OPEN, by=owner)
    action_items.action_item_set_status(item=item, status="wont_do", reason="Retired", by=owner)
    reminders.action_item_reminders_send(now=datetime(2025, 3, 14, 9, tzinfo=UTC))
    assert _overdue(owner).count() == 1


@pytest.mark.django_db
def test_one_day_is_the_owners_own_day(started):
    sydney = factories.UserFactory(time_zone="Australia/Sydney")
    factories.ActionItemFactory(postmortem=started, owner=sydney, due_date=date(2025, 3, 10))
    # 20:00 UTC on the 10th is already the 11th in Sydney: overdue there.
    reminders.action_item_reminders_send(now=datetime(2025, 3, 10, 20, tzinfo=UTC))
    assert _overdue(sydney).get().dedup_key.endswith(":2025-03-11")


@pytest.mark.django_db
def test_action_item_task_runs_twice_without_double_messages(item, owner, manager, clock):
    clock.freeze(datetime(2025, 3, 20, 9, tzinfo=UTC))
    first = send_action_item_reminders.apply().get()
    second = send_action_item_reminders.apply().get()
    assert first == second == 2  # the owner and their manager, counted as due both times
    assert _overdue().count() == 2
