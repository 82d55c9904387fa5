"""The request state machine, its rules and refusals, against a real rota and database."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from oncall import reminders as rota_reminders
from oncall import selectors as rota
from oncall.models import Override
from oncall.swaps import services
from oncall.swaps.clashes import team_clashes
from oncall.swaps.eligibility import candidates
from oncall.swaps.lists import open_requests_for
from oncall.swaps.models import SwapEvent, SwapOverride, SwapRequest, TimeOff
from oncall.swaps.time_off import time_off_create
from portal.notifications.models import Message
from tests import factories
from tests.oncall.swaps.conftest import holder, next_shift

pytestmark = pytest.mark.django_db

Status = SwapRequest.Status


def ask(schedule, who, shift, **kwargs):
    kwargs.setdefault("by", who)
    return services.swap_request_create(
        schedule=schedule, requester=who, shift_start=shift.start, shift_end=shift.end, **kwargs
    )


def middle(shift):
    return shift.start + (shift.end - shift.start) / 2


def keys(user):
    return set(Message.objects.filter(user=user).values_list("dedup_key", flat=True))


def actions(request):
    return [(e.action, e.actor.username if e.actor else None) for e in request.events.all()]


class TestAsking:
    def test_named_cover_request_waits_for_the_colleague_who_is_told(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, target=bob, reason="Wedding")
        assert request.status == Status.PENDING
        assert (request.start, request.end, request.expires_at) == (
            shift.start,
            shift.end,
            shift.start,
        )
        assert actions(request) == [("created", "alice")]
        message = Message.objects.get(dedup_key=f"swap:{request.pk}:ask:{bob.pk}")
        assert message.kind == "swap" and "Wedding" in message.body
        assert holder(schedule, middle(shift)) == "alice"  # nothing changes until accepted

    def test_open_request_tells_every_eligible_colleague_only(
        self, schedule, alice, bob, carol, dave
    ):
        shift = next_shift(schedule, alice)
        factories.TimeOffFactory(user=dave, start=shift.start - timedelta(days=1), end=shift.end)
        request = ask(schedule, alice, shift)
        told = set(
            Message.objects.filter(dedup_key__startswith=f"swap:{request.pk}:ask:").values_list(
                "user__username", flat=True
            )
        )
        assert told == {"bob", "carol"}  # dave is on time off; alice asked

    def test_part_of_a_shift(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        part = (shift.start + timedelta(hours=6), shift.start + timedelta(hours=12))
        request = ask(schedule, alice, shift, start=part[0], end=part[1], target=bob)
        assert request.is_partial
        services.swap_request_accept(request=request, by=bob)
        assert holder(schedule, part[0] + timedelta(hours=1)) == "bob"
        assert holder(schedule, shift.start + timedelta(hours=1)) == "alice"
        assert holder(schedule, part[1] + timedelta(hours=1)) == "alice"

    def test_manager_asks_for_a_sick_member_and_may_assign_at_once(
        self, schedule, manager, alice, bob
    ):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, by=manager, target=bob, assign=True, reason="Sick")
        assert request.status == Status.ACCEPTED
        assert request.requester == alice and request.created_by == manager
        assert request.taker == bob
        assert holder(schedule, middle(shift)) == "bob"
        assert actions(request) == [("created", manager.username), ("assigned", manager.username)]
        assert f"swap:{request.pk}:effective:{alice.pk}" in keys(alice)
        assert f"swap:{request.pk}:effective:{bob.pk}" in keys(bob)

    def test_a_member_cannot_ask_for_someone_else(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        with pytest.raises(PermissionDenied):
            ask(schedule, alice, shift, by=bob)
        with pytest.raises(PermissionDenied):
            ask(schedule, alice, shift, target=bob, assign=True)
        assert not SwapRequest.objects.exists()


class TestRefusals:
    """Refused with a clear message and nothing changed."""

    def test_a_shift_you_do_not_hold(self, schedule, alice, bob):
        bobs = next_shift(schedule, bob)
        with pytest.raises(ValidationError, match="You do not hold this shift"):
            ask(schedule, alice, bobs)
        assert not SwapRequest.objects.exists() and not Message.objects.exists()

    def test_a_part_outside_the_shift(self, schedule, alice):
        shift = next_shift(schedule, alice)
        with pytest.raises(ValidationError, match="must lie within the shift") as exc:
            ask(schedule, alice, shift, start=shift.start, end=shift.end + timedelta(hours=2))
        assert "start" in exc.value.error_dict
        assert not SwapRequest.objects.exists()

    def test_two_open_requests_for_the_same_time(self, schedule, alice, bob, carol):
        shift = next_shift(schedule, alice)
        first = ask(schedule, alice, shift, target=bob)
        with pytest.raises(
            ValidationError, match=f"already an open request for this time \\(#{first.pk}"
        ):
            ask(schedule, alice, shift, target=carol)
        with pytest.raises(ValidationError, match="already an open request"):
            ask(schedule, alice, shift, start=shift.start + timedelta(hours=2), end=shift.end)
        assert SwapRequest.objects.count() == 1
        # Once the first is withdrawn the time is free again.
        services.swap_request_withdraw(request=first, by=alice)
        assert ask(schedule, alice, shift, target=carol).status == Status.PENDING

    def test_accepting_your_own_request(self, schedule, alice):
        request = ask(schedule, alice, next_shift(schedule, alice))
        with pytest.raises(ValidationError, match="You cannot accept your own request"):
            services.swap_request_accept(request=request, by=alice)
        request.refresh_from_db()
        assert request.status == Status.PENDING and not Override.objects.exists()

    def test_accepting_when_on_call_elsewhere(self, team, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        other = factories.ScheduleFactory(team=team, name="Secondary")
        Override.objects.create(
            schedule=other, user=bob, start=shift.start - timedelta(hours=1), end=shift.end
        )
        request = ask(schedule, alice, shift)
        with pytest.raises(ValidationError, match="You are on call for Secondary then"):
            services.swap_request_accept(request=request, by=bob)
        request.refresh_from_db()
        assert request.status == Status.PENDING
        assert not SwapOverride.objects.exists() and Override.objects.count() == 1

    def test_naming_a_colleague_on_time_off(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        factories.TimeOffFactory(user=bob, start=shift.start, end=shift.end)
        with pytest.raises(ValidationError, match="bob is on time off then") as exc:
            ask(schedule, alice, shift, target=bob)
        assert "target" in exc.value.error_dict
        assert not SwapRequest.objects.exists()

    def test_pushing_a_colleague_past_the_maximum_days_in_a_row(self, team, schedule, alice, bob):
        team.max_consecutive_days = 1
        team.save()
        shift = next_shift(schedule, alice)  # bob's shift follows alice's directly
        with pytest.raises(ValidationError, match="2 days in a row .*maximum is 1"):
            ask(schedule, alice, shift, target=bob)

    @pytest.mark.parametrize("how", ["withdrawn", "taken", "expired", "declined"])
    def test_acting_on_a_request_that_is_over(self, schedule, alice, bob, carol, dave, how):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, target=None if how == "taken" else bob)
        expected = {
            "withdrawn": "This request was withdrawn",
            "taken": "carol already took this request",
            "expired": "expired when the shift started",
            "declined": "This request was declined",
        }[how]
        later = None
        if how == "withdrawn":
            services.swap_request_withdraw(request=request, by=alice)
        elif how == "taken":
            services.swap_request_accept(request=request, by=carol)
        elif how == "declined":
            services.swap_request_decline(request=request, by=bob)
        else:
            later = shift.start + timedelta(minutes=1)
        who = dave if how == "taken" else bob
        before = Override.objects.count()
        with pytest.raises(ValidationError, match=expected):
            services.swap_request_accept(request=request, by=who, now=later)
        with pytest.raises(ValidationError):
            services.swap_request_withdraw(request=request, by=alice, now=later)
        assert Override.objects.count() == before

    def test_accept_re_checks_the_rota(self, schedule, manager, alice, bob, carol):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, target=bob)
        # Meanwhile a manager put carol on call for part of that shift.
        Override.objects.create(
            schedule=schedule, user=carol, start=shift.start, end=shift.start + timedelta(hours=1)
        )
        with pytest.raises(ValidationError, match="alice no longer holds this shift"):
            services.swap_request_accept(request=request, by=bob)
        assert not SwapOverride.objects.exists()


class TestTakingEffect:
    def test_accept_creates_linked_overrides_and_the_rota_changes_at_once(
        self, schedule, alice, bob
    ):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, target=bob)
        services.swap_request_accept(request=request, by=bob)
        request.refresh_from_db()
        assert request.status == Status.ACCEPTED and request.taker == bob
        link = SwapOverride.objects.get(request=request)
        assert (link.override.user, link.covers_for) == (bob, alice)
        assert (link.override.start, link.override.end) == (shift.start, shift.end)
        assert holder(schedule, middle(shift)) == "bob"
        assert [u.username for u in rota.oncall_users_at(schedule=schedule, at=middle(shift))] == [
            "bob"
        ]
        assert actions(request) == [("created", "alice"), ("accepted", "bob")]
        assert f"swap:{request.pk}:effective:{alice.pk}" in keys(alice)
        assert f"swap:{request.pk}:effective:{bob.pk}" in keys(bob)

    def test_the_shift_reminder_goes_to_whoever_holds_the_shift_now(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, target=bob)
        services.swap_request_accept(request=request, by=bob)
        rota_reminders.shift_reminders_send(now=shift.start - timedelta(minutes=30))
        reminded = Message.objects.filter(kind="shift_reminder")
        assert [m.user.username for m in reminded] == ["bob"]

    def test_swap_exchanges_two_shifts(self, schedule, alice, bob):
        mine = next_shift(schedule, alice)
        theirs = next_shift(schedule, bob, after=mine.end + timedelta(days=1))
        request = ask(
            schedule,
            alice,
            mine,
            kind="swap",
            target=bob,
            swap_start=theirs.start,
            swap_end=theirs.end,
        )
        assert request.expires_at == mine.start
        services.swap_request_accept(request=request, by=bob)
        assert holder(schedule, middle(mine)) == "bob"
        assert holder(schedule, middle(theirs)) == "alice"
        links = {
            (link.override.user.username, link.covers_for.username) for link in request.links.all()
        }
        assert links == {("bob", "alice"), ("alice", "bob")}

    def test_swap_needs_a_shift_the_colleague_holds(self, schedule, alice, bob, carol):
        mine = next_shift(schedule, alice)
        carols = next_shift(schedule, carol)
        with pytest.raises(ValidationError, match="bob does not hold that shift"):
            ask(
                schedule,
                alice,
                mine,
                kind="swap",
                target=bob,
                swap_start=carols.start,
                swap_end=carols.end,
            )

    def test_open_request_goes_to_the_first_who_accepts(self, schedule, alice, bob, carol):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift)
        services.swap_request_accept(request=request, by=carol)
        with pytest.raises(ValidationError, match="carol already took this request"):
            services.swap_request_accept(request=request, by=bob)
        assert SwapOverride.objects.filter(request=request).count() == 1
        assert holder(schedule, middle(shift)) == "carol"


class TestApproval:
    @pytest.fixture(autouse=True)
    def _approval(self, team):
        team.swap_approval_required = True
        team.save()

    def test_accepted_request_waits_for_a_manager(self, schedule, manager, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, target=bob)
        services.swap_request_accept(request=request, by=bob)
        request.refresh_from_db()
        assert request.status == Status.AWAITING_APPROVAL and request.taker == bob
        assert not Override.objects.exists()
        assert f"swap:{request.pk}:approve:{manager.pk}" in keys(manager)
        assert f"swap:{request.pk}:taken:{alice.pk}" in keys(alice)
        with pytest.raises(PermissionDenied):
            services.swap_request_approve(request=request, by=bob)
        services.swap_request_approve(request=request, by=manager)
        request.refresh_from_db()
        assert request.status == Status.ACCEPTED
        assert holder(schedule, middle(shift)) == "bob"
        assert actions(request) == [
            ("created", "alice"),
            ("accepted", "bob"),
            ("approved", manager.username),
        ]

    def test_manager_rejects(self, schedule, manager, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, target=bob)
        services.swap_request_accept(request=request, by=bob)
        services.swap_request_reject(request=request, by=manager, note="Bob is too tired")
        request.refresh_from_db()
        assert request.status == Status.REJECTED
        assert request.events.last().note == "Bob is too tired"
        assert not Override.objects.exists()
        assert holder(schedule, middle(shift)) == "alice"
        with pytest.raises(ValidationError, match="A manager rejected this request"):
            services.swap_request_approve(request=request, by=manager)


class TestAnswers:
    def test_named_colleague_declines(self, schedule, alice, bob):
        request = ask(schedule, alice, next_shift(schedule, alice), target=bob)
        services.swap_request_decline(request=request, by=bob)
        request.refresh_from_db()
        assert request.status == Status.DECLINED
        assert f"swap:{request.pk}:declined:{alice.pk}" in keys(alice)

    def test_passing_on_an_open_request_leaves_it_open_for_the_others(
        self, schedule, alice, bob, carol
    ):
        request = ask(schedule, alice, next_shift(schedule, alice))
        services.swap_request_decline(request=request, by=bob)
        services.swap_request_decline(request=request, by=bob)  # twice: recorded once
        request.refresh_from_db()
        assert request.status == Status.PENDING
        assert request.events.filter(action=SwapEvent.Action.PASSED).count() == 1
        assert open_requests_for(user=bob) == []
        assert [r.pk for r in open_requests_for(user=carol)] == [request.pk]

    def test_only_the_named_colleague_answers(self, schedule, alice, bob, carol, outsider):
        request = ask(schedule, alice, next_shift(schedule, alice), target=bob)
        for who in (carol, outsider):
            with pytest.raises(PermissionDenied):
                services.swap_request_accept(request=request, by=who)
            with pytest.raises(PermissionDenied):
                services.swap_request_decline(request=request, by=who)
        open_request = ask(schedule, carol, next_shift(schedule, carol), target=None)
        with pytest.raises(PermissionDenied):
            services.swap_request_accept(request=open_request, by=outsider)

    def test_withdraw_tells_the_colleague(self, schedule, alice, bob, carol, manager):
        request = ask(schedule, alice, next_shift(schedule, alice), target=bob)
        with pytest.raises(PermissionDenied):
            services.swap_request_withdraw(request=request, by=carol)
        services.swap_request_withdraw(request=request, by=alice)
        request.refresh_from_db()
        assert request.status == Status.WITHDRAWN
        assert f"swap:{request.pk}:withdrawn:{bob.pk}" in keys(bob)
        assert actions(request)[-1] == ("withdrawn", "alice")


class TestRevert:
    @pytest.fixture
    def accepted(self, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        request = ask(schedule, alice, shift, target=bob)
        services.swap_request_accept(request=request, by=bob)
        return request, shift

    def test_manager_reverts_at_once_and_exactly_its_overrides_go(
        self, schedule, accepted, manager, carol
    ):
        request, shift = accepted
        unrelated = Override.objects.create(
            schedule=schedule, user=carol, start=shift.end, end=shift.end + timedelta(hours=2)
        )
        services.swap_request_revert(request=request, by=manager)
        request.refresh_from_db()
        assert request.status == Status.REVERTED
        assert list(Override.objects.all()) == [unrelated]
        assert holder(schedule, middle(shift)) == "alice"

    def test_requester_asks_and_taker_confirms(self, schedule, accepted, alice, bob):
        request, shift = accepted
        services.swap_request_revert(request=request, by=alice)
        request.refresh_from_db()
        assert request.status == Status.ACCEPTED and request.revert_asked_by == alice
        assert f"swap:{request.pk}:revert-ask:{bob.pk}" in keys(bob)
        with pytest.raises(ValidationError, match="waiting for bob to confirm"):
            services.swap_request_revert(request=request, by=alice)
        assert holder(schedule, middle(shift)) == "bob"
        services.swap_request_revert(request=request, by=bob)
        request.refresh_from_db()
        assert request.status == Status.REVERTED
        assert holder(schedule, middle(shift)) == "alice"
        assert [a for a, _ in actions(request)][-2:] == ["revert_asked", "reverted"]

    def test_nobody_else_reverts_and_not_after_the_shift_started(self, accepted, carol, manager):
        request, shift = accepted
        with pytest.raises(PermissionDenied):
            services.swap_request_revert(request=request, by=carol)
        with pytest.raises(ValidationError, match="The shift has started"):
            services.swap_request_revert(
                request=request, by=manager, now=shift.start + timedelta(minutes=1)
            )
        request.refresh_from_db()
        assert request.status == Status.ACCEPTED and request.links.count() == 1


class TestSuggestions:
    def test_eligible_first_by_lowest_load_with_reasons_for_the_rest(
        self, team, schedule, alice, bob, carol, dave
    ):
        shift = next_shift(schedule, alice)
        factories.TimeOffFactory(user=carol, start=shift.start, end=shift.end)
        found = candidates(
            schedule=schedule, start=shift.start, end=shift.end, exclude_user_ids=[alice.pk]
        )
        assert [(c.user.username, c.eligible) for c in found] == [
            ("dave", True),  # not on the rota: no load
            ("bob", True),
            ("carol", False),
        ]
        assert found[0].load_hours == 0
        assert 600 < found[1].load_hours < 760  # a day in three over 90 days
        assert found[2].reason == "is on time off then"

    def test_suggestions_take_a_fixed_number_of_queries(
        self, django_assert_max_num_queries, team, schedule, alice
    ):
        for _ in range(6):
            factories.MembershipFactory(team=team)
        shift = next_shift(schedule, alice)
        with django_assert_max_num_queries(8):
            candidates(schedule=schedule, start=shift.start, end=shift.end)


class TestTimeOff:
    def test_recording_time_off_flags_clashing_shifts(self, schedule, manager, alice):
        shift = next_shift(schedule, alice)
        row = time_off_create(
            user=alice, start=shift.start - timedelta(days=1), end=shift.end + timedelta(days=1)
        )
        assert any(k.startswith(f"timeoff-clash:{row.pk}:{schedule.pk}:") for k in keys(alice))
        assert any(k.startswith(f"timeoff-clash:{row.pk}:{schedule.pk}:") for k in keys(manager))
        clash = team_clashes(teams=[schedule.team])
        assert [(c.shift.user_id, c.time_off) for c in clash] == [(alice.pk, row)]

    def test_bad_time_off_is_refused(self, alice):
        from django.utils import timezone

        now = timezone.now()
        with pytest.raises(ValidationError):
            time_off_create(user=alice, start=now - timedelta(days=3), end=now)
        time_off_create(user=alice, start=now, end=now + timedelta(days=2))
        with pytest.raises(ValidationError, match="already have time off"):
            time_off_create(user=alice, start=now + timedelta(days=1), end=now + timedelta(days=4))
        assert TimeOff.objects.count() == 1


class TestAccess:
    """Who may act on a request: its requester, its target (who takes it), another member of
    the team, a manager of the team and an outsider. Refused means ``PermissionDenied`` and
    nothing changed."""

    ROLES = ["requester", "target", "other member", "manager", "outsider"]

    @pytest.fixture
    def people(self, alice, bob, carol, manager, outsider):
        return {
            "requester": alice,
            "target": bob,
            "other member": carol,
            "manager": manager,
            "outsider": outsider,
        }

    @pytest.fixture
    def pending(self, schedule, alice, bob):
        return ask(schedule, alice, next_shift(schedule, alice), target=bob)

    @pytest.fixture
    def awaiting(self, team, pending, bob):
        team.swap_approval_required = True
        team.save()
        services.swap_request_accept(request=pending, by=bob)
        pending.refresh_from_db()
        assert pending.status == Status.AWAITING_APPROVAL
        return pending

    @pytest.fixture
    def accepted(self, pending, bob):
        services.swap_request_accept(request=pending, by=bob)
        pending.refresh_from_db()
        assert pending.status == Status.ACCEPTED
        return pending

    @staticmethod
    def unchanged(request, status):
        before = (SwapEvent.objects.count(), Override.objects.count(), Message.objects.count())
        return lambda: (
            SwapRequest.objects.get(pk=request.pk).status == status
            and (SwapEvent.objects.count(), Override.objects.count(), Message.objects.count())
            == before
        )

    @pytest.mark.parametrize("role", ROLES)
    def test_withdraw_a_pending_request(self, people, pending, role):
        allowed = role in ("requester", "manager")
        same = self.unchanged(pending, Status.PENDING)
        if not allowed:
            with pytest.raises(PermissionDenied):
                services.swap_request_withdraw(request=pending, by=people[role])
            assert same()
            return
        services.swap_request_withdraw(request=pending, by=people[role])
        pending.refresh_from_db()
        assert pending.status == Status.WITHDRAWN
        assert actions(pending)[-1] == ("withdrawn", people[role].username)
        assert f"swap:{pending.pk}:withdrawn:{people['target'].pk}" in keys(people["target"])

    @pytest.mark.parametrize("role", ROLES)
    def test_withdraw_a_request_awaiting_approval(self, schedule, people, awaiting, role):
        """``awaiting_approval → withdrawn``: the requester (or a manager) changes their mind
        after a colleague accepted but before a manager approved; the taker is told and the
        rota never changes."""
        allowed = role in ("requester", "manager")
        same = self.unchanged(awaiting, Status.AWAITING_APPROVAL)
        if not allowed:
            with pytest.raises(PermissionDenied):
                services.swap_request_withdraw(request=awaiting, by=people[role])
            assert same()
            return
        services.swap_request_withdraw(request=awaiting, by=people[role])
        awaiting.refresh_from_db()
        assert awaiting.status == Status.WITHDRAWN
        assert [a for a, _ in actions(awaiting)] == ["created", "accepted", "withdrawn"]
        taker = people["target"]
        assert f"swap:{awaiting.pk}:withdrawn:{taker.pk}" in keys(taker)
        assert not Override.objects.exists()
        assert holder(schedule, middle(awaiting)) == "alice"
        with pytest.raises(ValidationError, match="This request was withdrawn"):
            services.swap_request_approve(request=awaiting, by=people["manager"])
        assert not Override.objects.exists()

    @pytest.mark.parametrize("role", ROLES)
    def test_approve(self, schedule, people, awaiting, role):
        same = self.unchanged(awaiting, Status.AWAITING_APPROVAL)
        if role != "manager":
            with pytest.raises(PermissionDenied):
                services.swap_request_approve(request=awaiting, by=people[role])
            assert same()
            return
        services.swap_request_approve(request=awaiting, by=people[role])
        awaiting.refresh_from_db()
        assert awaiting.status == Status.ACCEPTED
        assert holder(schedule, middle(awaiting)) == "bob"

    @pytest.mark.parametrize("role", ROLES)
    def test_reject(self, schedule, people, awaiting, role):
        same = self.unchanged(awaiting, Status.AWAITING_APPROVAL)
        if role != "manager":
            with pytest.raises(PermissionDenied):
                services.swap_request_reject(request=awaiting, by=people[role], note="No")
            assert same()
            return
        services.swap_request_reject(request=awaiting, by=people[role], note="No")
        awaiting.refresh_from_db()
        assert awaiting.status == Status.REJECTED
        assert actions(awaiting)[-1] == ("rejected", people["manager"].username)
        for who in ("requester", "target"):
            assert f"swap:{awaiting.pk}:rejected:{people[who].pk}" in keys(people[who])
        assert not Override.objects.exists()
        assert holder(schedule, middle(awaiting)) == "alice"

    def test_reject_only_while_awaiting_approval(self, people, pending):
        with pytest.raises(ValidationError, match="Nobody has accepted this request yet"):
            services.swap_request_reject(request=pending, by=people["manager"])
        pending.refresh_from_db()
        assert pending.status == Status.PENDING

    @pytest.mark.parametrize("role", ROLES)
    def test_revert(self, schedule, people, accepted, role):
        same = self.unchanged(accepted, Status.ACCEPTED)
        if role in ("other member", "outsider"):
            with pytest.raises(PermissionDenied):
                services.swap_request_revert(request=accepted, by=people[role])
            assert same()
            return
        services.swap_request_revert(request=accepted, by=people[role])
        accepted.refresh_from_db()
        if role == "manager":  # at once
            assert accepted.status == Status.REVERTED
            assert holder(schedule, middle(accepted)) == "alice"
        else:  # one of the two asks, the other must confirm
            assert accepted.status == Status.ACCEPTED
            assert accepted.revert_asked_by == people[role]
            assert holder(schedule, middle(accepted)) == "bob"
