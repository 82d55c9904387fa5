"""Expiry, reminders and time-off clash flags: each runs twice without double messages."""

from datetime import timedelta

import pytest

from oncall.swaps import reminders, services, tasks
from oncall.swaps.models import SwapEvent, SwapRequest
from portal.notifications.models import Message
from tests import factories
from tests.oncall.swaps.conftest import next_shift

pytestmark = pytest.mark.django_db


def ask_at(schedule, who, shift, when, **kwargs):
    return services.swap_request_create(
        schedule=schedule,
        requester=who,
        by=who,
        shift_start=shift.start,
        shift_end=shift.end,
        now=when,
        **kwargs,
    )


def count(prefix: str) -> int:
    return Message.objects.filter(dedup_key__startswith=prefix).count()


class TestExpiry:
    def test_open_requests_expire_when_the_shift_starts_once(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask_at(schedule, alice, shift, shift.start - timedelta(days=2), target=bob)
        assert reminders.swap_requests_expire(now=shift.start - timedelta(minutes=1)) == 0
        after = shift.start + timedelta(minutes=1)
        assert reminders.swap_requests_expire(now=after) == 1
        assert reminders.swap_requests_expire(now=after) == 0  # twice: nothing more
        request.refresh_from_db()
        assert request.status == SwapRequest.Status.EXPIRED
        assert request.events.filter(action=SwapEvent.Action.EXPIRED, actor=None).count() == 1
        assert count(f"swap:{request.pk}:expired:") == 1
        assert (
            Message.objects.get(dedup_key__startswith=f"swap:{request.pk}:expired:").user == alice
        )

    def test_waiting_for_approval_expires_and_both_are_told(self, team, schedule, alice, bob):
        team.swap_approval_required = True
        team.save()
        shift = next_shift(schedule, alice)
        when = shift.start - timedelta(days=2)
        request = ask_at(schedule, alice, shift, when, target=bob)
        services.swap_request_accept(request=request, by=bob, now=when)
        reminders.swap_requests_expire(now=shift.start)
        reminders.swap_requests_expire(now=shift.start)
        assert count(f"swap:{request.pk}:expired:") == 2  # alice and bob, once each

    def test_accepted_requests_do_not_expire(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask_at(schedule, alice, shift, shift.start - timedelta(days=2), target=bob)
        services.swap_request_accept(request=request, by=bob, now=shift.start - timedelta(days=1))
        assert reminders.swap_requests_expire(now=shift.start + timedelta(hours=1)) == 0

    def test_the_task_runs_the_service(self, schedule, alice):
        assert tasks.expire_swap_requests() == 0
        assert tasks.send_swap_reminders() == 0
        assert tasks.flag_time_off_clashes() == 0


class TestReminders:
    def test_reminded_3d_1d_12h_before_each_once(self, schedule, alice, bob):
        shift = next_shift(schedule, alice, after=None)
        start = shift.start
        request = ask_at(schedule, alice, shift, start - timedelta(days=4), target=bob)
        minute = timedelta(minutes=1)
        for when, label in [
            (start - timedelta(days=3) + minute, "3d"),
            (start - timedelta(days=2), "3d"),
            (start - timedelta(days=1) + minute, "1d"),
            (start - timedelta(hours=12) + minute, "12h"),
            (start - timedelta(hours=1), "12h"),
        ]:
            reminders.swap_reminders_send(now=when)
            reminders.swap_reminders_send(now=when)  # twice
            assert Message.objects.filter(
                dedup_key=f"swap-remind:{request.pk}:{label}", user=alice
            ).exists()
        assert count(f"swap-remind:{request.pk}:") == 3

    def test_no_reminder_for_a_point_passed_before_asking(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask_at(schedule, alice, shift, shift.start - timedelta(days=2), target=bob)
        reminders.swap_reminders_send(now=shift.start - timedelta(days=2) + timedelta(hours=1))
        assert count(f"swap-remind:{request.pk}:") == 0
        reminders.swap_reminders_send(now=shift.start - timedelta(hours=23))
        assert count(f"swap-remind:{request.pk}:1d") == 1

    def test_nothing_for_requests_no_longer_open(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask_at(schedule, alice, shift, shift.start - timedelta(days=4), target=bob)
        services.swap_request_withdraw(
            request=request, by=alice, now=shift.start - timedelta(days=4)
        )
        assert reminders.swap_reminders_send(now=shift.start - timedelta(days=2)) == 0

    def test_managers_are_reminded_of_pending_approvals(self, team, schedule, manager, alice, bob):
        team.swap_approval_required = True
        team.save()
        shift = next_shift(schedule, alice)
        when = shift.start - timedelta(days=4)
        request = ask_at(schedule, alice, shift, when, target=bob)
        services.swap_request_accept(request=request, by=bob, now=when)
        reminders.swap_reminders_send(now=shift.start - timedelta(hours=20))
        reminders.swap_reminders_send(now=shift.start - timedelta(hours=20))
        assert (
            Message.objects.filter(
                dedup_key=f"swap-remind:{request.pk}:1d:{manager.pk}", user=manager
            ).count()
            == 1
        )


class TestClashes:
    def test_flagged_to_the_holder_and_managers_once(self, schedule, manager, alice):
        shift = next_shift(schedule, alice)
        factories.TimeOffFactory(
            user=alice, start=shift.start - timedelta(days=1), end=shift.start + timedelta(hours=1)
        )
        assert reminders.time_off_clashes_notify() == 1
        assert reminders.time_off_clashes_notify() == 1
        assert count("timeoff-clash:") == 2
        assert set(
            Message.objects.filter(dedup_key__startswith="timeoff-clash:").values_list(
                "user__username", flat=True
            )
        ) == {"alice", manager.username}

    def test_covered_shift_no_longer_clashes(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        factories.TimeOffFactory(user=alice, start=shift.start, end=shift.end)
        request = services.swap_request_create(
            schedule=schedule,
            requester=alice,
            by=alice,
            shift_start=shift.start,
            shift_end=shift.end,
            target=bob,
        )
        services.swap_request_accept(request=request, by=bob)
        assert reminders.time_off_clashes_notify() == 0
