"""Pages and one-click answers: access for requester, target, other member, manager and
outsider; htmx answers without reload; bad input is a 400 with nothing written."""

from datetime import timedelta

import pytest
from django.urls import reverse

from oncall.swaps import services
from oncall.swaps.forms import iso
from oncall.swaps.models import SwapRequest, TimeOff
from tests import factories
from tests.oncall.swaps.conftest import holder, next_shift

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def ask(schedule, who, shift=None, **kwargs):
    shift = shift or next_shift(schedule, who)
    kwargs.setdefault("by", who)
    return services.swap_request_create(
        schedule=schedule, requester=who, shift_start=shift.start, shift_end=shift.end, **kwargs
    )


def new_url(schedule, shift, user=None):
    url = (
        f"{reverse('swaps:new')}?schedule={schedule.pk}"
        f"&shift_start={iso(shift.start)}&shift_end={iso(shift.end)}"
    )
    return url + (f"&user={user.pk}" if user else "")


@pytest.fixture
def named(schedule, alice, bob):
    return ask(schedule, alice, target=bob)


class TestAccess:
    @pytest.mark.parametrize(
        "who, status",
        [("alice", 200), ("bob", 200), ("carol", 200), ("manager", 200), ("outsider", 403)],
    )
    def test_request_page(self, client, named, who, status, request):
        client.force_login(request.getfixturevalue(who))
        response = client.get(named.get_absolute_url())
        assert response.status_code == status
        if status == 200:
            assert b"History" in response.content

    def test_anonymous_is_sent_to_log_in(self, client, named):
        response = client.get(named.get_absolute_url())
        assert response.status_code == 302 and "/login/" in response["Location"]
        response = client.post(reverse("swaps:accept", args=[named.pk]))
        assert response.status_code == 302 and "/login/" in response["Location"]
        named.refresh_from_db()
        assert named.status == SwapRequest.Status.PENDING

    def test_unknown_request_is_404(self, client, alice):
        client.force_login(alice)
        assert client.get(reverse("swaps:detail", args=[999999])).status_code == 404

    @pytest.mark.parametrize(
        "who, status", [("alice", 400), ("carol", 403), ("manager", 403), ("outsider", 403)]
    )
    def test_only_the_named_colleague_accepts(self, client, named, who, status, request):
        client.force_login(request.getfixturevalue(who))
        response = client.post(reverse("swaps:accept", args=[named.pk]), **HTMX)
        assert response.status_code == status
        if who == "alice":
            assert b"You cannot accept your own request" in response.content
        named.refresh_from_db()
        assert named.status == SwapRequest.Status.PENDING

    def test_target_accepts_in_one_click_without_reload(self, client, schedule, named, bob):
        client.force_login(bob)
        response = client.post(reverse("swaps:accept", args=[named.pk]), **HTMX)
        assert response.status_code == 200
        assert "swapChanged" in response["HX-Trigger"]
        body = response.content.decode()
        assert "In effect" in body and ">Accept<" not in body and "<html" not in body
        assert holder(schedule, named.start + timedelta(hours=1)) == "bob"

    def test_accept_is_post_only(self, client, named, bob):
        client.force_login(bob)
        assert client.get(reverse("swaps:accept", args=[named.pk])).status_code == 405

    def test_without_htmx_the_answer_redirects(self, client, named, bob):
        client.force_login(bob)
        response = client.post(reverse("swaps:decline", args=[named.pk]))
        assert response.status_code == 302 and response["Location"] == named.get_absolute_url()

    def test_open_request_any_member_takes_outsider_cannot(
        self, client, schedule, alice, carol, outsider
    ):
        request = ask(schedule, alice)
        client.force_login(outsider)
        assert client.post(reverse("swaps:accept", args=[request.pk])).status_code == 403
        client.force_login(carol)
        assert client.post(reverse("swaps:accept", args=[request.pk]), **HTMX).status_code == 200
        request.refresh_from_db()
        assert request.taker == carol

    @pytest.mark.parametrize(
        "who, status",
        [("alice", 200), ("bob", 403), ("carol", 403), ("manager", 200), ("outsider", 403)],
    )
    def test_withdraw(self, client, named, who, status, request):
        client.force_login(request.getfixturevalue(who))
        response = client.post(reverse("swaps:withdraw", args=[named.pk]), **HTMX)
        assert response.status_code == status
        named.refresh_from_db()
        if status == 200:
            assert b"Withdrawn" in response.content
            assert named.status == SwapRequest.Status.WITHDRAWN
        else:
            assert named.status == SwapRequest.Status.PENDING

    def test_approval_by_a_manager_only(self, client, team, schedule, alice, bob, manager):
        team.swap_approval_required = True
        team.save()
        request = ask(schedule, alice, target=bob)
        services.swap_request_accept(request=request, by=bob)
        for who in (alice, bob):
            client.force_login(who)
            assert client.post(reverse("swaps:approve", args=[request.pk])).status_code == 403
        client.force_login(manager)
        response = client.post(reverse("swaps:approve", args=[request.pk]), **HTMX)
        assert response.status_code == 200 and b"Approved" in response.content
        request.refresh_from_db()
        assert request.status == SwapRequest.Status.ACCEPTED

    @pytest.fixture
    def awaiting(self, team, named, bob):
        team.swap_approval_required = True
        team.save()
        services.swap_request_accept(request=named, by=bob)
        named.refresh_from_db()
        assert named.status == SwapRequest.Status.AWAITING_APPROVAL
        return named

    @pytest.mark.parametrize(
        "who, status",
        [("alice", 403), ("bob", 403), ("carol", 403), ("manager", 200), ("outsider", 403)],
    )
    def test_approve(self, client, schedule, awaiting, who, status, request):
        client.force_login(request.getfixturevalue(who))
        response = client.post(reverse("swaps:approve", args=[awaiting.pk]), **HTMX)
        assert response.status_code == status
        awaiting.refresh_from_db()
        if status == 200:
            assert awaiting.status == SwapRequest.Status.ACCEPTED
            assert holder(schedule, awaiting.start + timedelta(hours=1)) == "bob"
        else:
            assert awaiting.status == SwapRequest.Status.AWAITING_APPROVAL
            assert not awaiting.links.exists()

    @pytest.mark.parametrize(
        "who, status",
        [("alice", 403), ("bob", 403), ("carol", 403), ("manager", 200), ("outsider", 403)],
    )
    def test_reject(self, client, schedule, awaiting, who, status, request):
        client.force_login(request.getfixturevalue(who))
        response = client.post(
            reverse("swaps:reject", args=[awaiting.pk]), {"note": "Bob needs a rest"}, **HTMX
        )
        assert response.status_code == status
        awaiting.refresh_from_db()
        if status == 200:
            assert b"Rejected" in response.content and "swapChanged" in response["HX-Trigger"]
            assert awaiting.status == SwapRequest.Status.REJECTED
            assert awaiting.events.last().note == "Bob needs a rest"
        else:
            assert awaiting.status == SwapRequest.Status.AWAITING_APPROVAL
        assert holder(schedule, awaiting.start + timedelta(hours=1)) == "alice"

    def test_manager_sees_reject_on_the_request_page(self, client, awaiting, manager, bob):
        client.force_login(manager)
        body = client.get(awaiting.get_absolute_url()).content.decode()
        assert reverse("swaps:reject", args=[awaiting.pk]) in body
        client.force_login(bob)
        body = client.get(awaiting.get_absolute_url()).content.decode()
        assert reverse("swaps:reject", args=[awaiting.pk]) not in body

    def test_reject_without_htmx_redirects_to_the_request(self, client, awaiting, manager):
        client.force_login(manager)
        response = client.post(reverse("swaps:reject", args=[awaiting.pk]))
        assert response.status_code == 302 and response["Location"] == awaiting.get_absolute_url()
        awaiting.refresh_from_db()
        assert awaiting.status == SwapRequest.Status.REJECTED

    @pytest.mark.parametrize(
        "who, status",
        [("alice", 200), ("bob", 403), ("carol", 403), ("manager", 200), ("outsider", 403)],
    )
    def test_withdraw_while_awaiting_approval(
        self, client, schedule, awaiting, who, status, request
    ):
        client.force_login(request.getfixturevalue(who))
        response = client.post(reverse("swaps:withdraw", args=[awaiting.pk]), **HTMX)
        assert response.status_code == status
        awaiting.refresh_from_db()
        expected = "withdrawn" if status == 200 else "awaiting_approval"
        assert awaiting.status == expected
        assert not awaiting.links.exists()
        assert holder(schedule, awaiting.start + timedelta(hours=1)) == "alice"

    @pytest.mark.parametrize(
        "who, status",
        [("alice", 200), ("bob", 200), ("carol", 403), ("manager", 200), ("outsider", 403)],
    )
    def test_revert(self, client, schedule, named, bob, who, status, request):
        services.swap_request_accept(request=named, by=bob)
        client.force_login(request.getfixturevalue(who))
        response = client.post(reverse("swaps:revert", args=[named.pk]), **HTMX)
        assert response.status_code == status
        named.refresh_from_db()
        reverted = who == "manager"  # the two people concerned only ask (the other confirms)
        assert named.status == ("reverted" if reverted else "accepted")
        assert holder(schedule, named.start + timedelta(hours=1)) == (
            "alice" if reverted else "bob"
        )

    def test_revert_asked_then_confirmed(self, client, schedule, named, alice, bob):
        services.swap_request_accept(request=named, by=bob)
        client.force_login(alice)
        response = client.post(reverse("swaps:revert", args=[named.pk]), **HTMX)
        assert b"Asked" in response.content and b"Waiting for bob" in response.content
        client.force_login(bob)
        response = client.get(named.get_absolute_url())
        assert b"Confirm revert" in response.content
        response = client.post(reverse("swaps:revert", args=[named.pk]), **HTMX)
        assert b"Reverted" in response.content
        assert holder(schedule, named.start + timedelta(hours=1)) == "alice"

    def test_acting_on_a_withdrawn_request_is_a_400_with_the_reason(self, client, named, bob):
        services.swap_request_withdraw(request=named, by=named.requester)
        client.force_login(bob)
        response = client.post(reverse("swaps:accept", args=[named.pk]))
        assert response.status_code == 400
        assert b"This request was withdrawn" in response.content


class TestLabels:
    """Whom a request is for, and which buttons a viewer has only because they manage the team."""

    def buttons(self, client, user, swap):
        client.force_login(user)
        body = client.get(swap.get_absolute_url()).content.decode()
        return body.split('class="swap-actions"')[1].split("</div>\n</div>")[0]

    def test_withdraw_says_when_it_is_a_managers(self, client, named, alice, bob, manager):
        assert "Withdraw (as manager)" in self.buttons(client, manager, named)
        mine = self.buttons(client, alice, named)
        assert ">Withdraw</button>" in mine and "as manager" not in mine
        theirs = self.buttons(client, bob, named)
        assert "Accept" in theirs and "Decline" in theirs and "Withdraw" not in theirs
        assert "Waiting for your answer" in theirs

    def test_a_member_who_also_manages_sees_which_buttons_come_from_that(
        self, client, team, schedule, named, bob
    ):
        team.memberships.filter(user=bob).update(role="manager")
        buttons = self.buttons(client, bob, named)
        assert ">Accept</button>" in buttons and ">Decline</button>" in buttons
        assert "Withdraw (as manager)" in buttons

    def test_revert_says_when_it_is_a_managers(self, client, named, alice, bob, manager):
        services.swap_request_accept(request=named, by=bob)
        assert "Revert (as manager)" in self.buttons(client, manager, named)
        mine = self.buttons(client, alice, named)
        assert "Ask to revert" in mine and "as manager" not in mine

    def test_htmx_answer_keeps_the_labels(self, client, named, manager):
        client.force_login(manager)
        response = client.post(
            reverse("swaps:approve", args=[named.pk]), **HTMX
        )  # not awaiting approval: a 400 with the buttons re-drawn
        assert response.status_code == 400
        assert "Withdraw (as manager)" in response.content.decode()

    def test_dashboard_says_whom_a_request_is_for(self, client, schedule, named, alice, bob):
        client.force_login(bob)
        body = client.get("/").content.decode()
        assert '<span class="swap-to">→ <strong>you</strong></span>' in body

    def test_team_panel_names_the_colleague_asked(self, client, team, named, manager, bob):
        client.force_login(manager)
        body = client.get(reverse("people:team_detail", args=[team.slug])).content.decode()
        assert f'<span class="swap-to">→ {bob.profile.name}</span>' in body
        assert "Withdraw (as manager)" in body


class TestAsking:
    def test_form_suggests_colleagues_by_load(self, client, schedule, alice, dave):
        shift = next_shift(schedule, alice)
        client.force_login(alice)
        response = client.get(new_url(schedule, shift))
        assert response.status_code == 200
        suggestions = [c.user.username for c in response.context["suggestions"]]
        assert suggestions[0] == "dave" and "alice" not in suggestions
        assert b"Ask dave" in response.content

    def test_suggestions_refresh_as_the_range_changes(self, client, schedule, alice):
        shift = next_shift(schedule, alice)
        client.force_login(alice)
        response = client.get(
            new_url(schedule, shift) + "&start=2030-01-01T10:00&end=2030-01-01T12:00",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="suggestions",
        )
        assert response.status_code == 200
        assert b'id="suggestions"' in response.content and b"<html" not in response.content
        assert b"Tue 1 Jan 10:00 \xe2\x80\x93 Tue 1 Jan 12:00" in response.content

    def test_create_a_cover_request(self, client, schedule, alice, bob):
        shift = next_shift(schedule, alice)
        client.force_login(alice)
        fmt = "%Y-%m-%dT%H:%M"
        response = client.post(
            new_url(schedule, shift),
            {
                "kind": "cover",
                "start": shift.start.strftime(fmt),
                "end": shift.end.strftime(fmt),
                "target": bob.pk,
                "reason": "Dentist",
            },
        )
        request = SwapRequest.objects.get()
        assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
        assert (request.target, request.reason, request.start) == (bob, "Dentist", shift.start)

    def test_ask_button_from_the_suggestions(self, client, schedule, alice, carol):
        shift = next_shift(schedule, alice)
        client.force_login(alice)
        fmt = "%Y-%m-%dT%H:%M"
        client.post(
            new_url(schedule, shift),
            {
                "kind": "swap",
                "start": shift.start.strftime(fmt),
                "end": shift.end.strftime(fmt),
                "ask": carol.pk,
            },
        )
        assert SwapRequest.objects.get().target == carol

    def test_bad_range_is_a_400_next_to_the_field_and_nothing_is_written(
        self, client, schedule, alice
    ):
        shift = next_shift(schedule, alice)
        client.force_login(alice)
        fmt = "%Y-%m-%dT%H:%M"
        response = client.post(
            new_url(schedule, shift),
            {
                "kind": "cover",
                "start": shift.start.strftime(fmt),
                "end": (shift.end + timedelta(hours=3)).strftime(fmt),
            },
        )
        assert response.status_code == 400
        assert "must lie within the shift" in " ".join(response.context["form"].errors["start"])
        assert not SwapRequest.objects.exists()

    def test_swap_choice_lists_colleagues_shifts(self, client, schedule, alice, bob):
        mine = next_shift(schedule, alice)
        theirs = next_shift(schedule, bob, after=mine.end)
        client.force_login(alice)
        response = client.get(new_url(schedule, mine))
        form = response.context["form"]
        key = f"{bob.pk}|{iso(theirs.start)}|{iso(theirs.end)}"
        assert key in dict(form.fields["swap_shift"].choices)
        fmt = "%Y-%m-%dT%H:%M"
        client.post(
            new_url(schedule, mine),
            {
                "kind": "swap",
                "start": mine.start.strftime(fmt),
                "end": mine.end.strftime(fmt),
                "swap_shift": key,
            },
        )
        request = SwapRequest.objects.get()
        assert (request.kind, request.target, request.swap_start) == ("swap", bob, theirs.start)

    def test_the_exchanged_shift_is_marked_swap_only_and_the_hint_follows_the_choice(
        self, client, schedule, alice
    ):
        client.force_login(alice)
        body = client.get(new_url(schedule, next_shift(schedule, alice))).content.decode()
        swap_only = body.split('<div class="swap-only">')[1]
        assert swap_only.index('id="id_swap_shift"') < swap_only.index("</select>")
        assert body.index('id="id_kind_1"') < body.index('id="swap-hint"')
        assert body.index('id="swap-hint"') < body.index('id="id_start"')
        assert body.index('id="swap-hint"') < body.index('id="id_reason"')

    def test_only_managers_ask_for_someone_else(self, client, schedule, alice, bob, manager):
        shift = next_shift(schedule, alice)
        client.force_login(bob)
        assert client.get(new_url(schedule, shift, user=alice)).status_code == 403
        client.force_login(manager)
        response = client.get(new_url(schedule, shift, user=alice))
        assert response.status_code == 200 and "assign" in response.context["form"].fields

    def test_outsider_cannot_ask_on_the_schedule(self, client, schedule, alice, outsider):
        client.force_login(outsider)
        shift = next_shift(schedule, alice)
        assert client.get(new_url(schedule, shift)).status_code == 403

    def test_broken_link_is_a_400(self, client, alice):
        client.force_login(alice)
        assert client.get(reverse("swaps:new") + "?schedule=x").status_code == 400

    def test_one_click_cover_for_a_time_off_clash(self, client, schedule, alice, bob, carol):
        shift = next_shift(schedule, alice)
        client.force_login(alice)
        data = {
            "schedule": schedule.pk,
            "user": alice.pk,
            "shift_start": iso(shift.start),
            "shift_end": iso(shift.end),
            "reason": "Time off",
        }
        response = client.post(reverse("swaps:quick"), data, **HTMX)
        assert response.status_code == 200 and b"Cover requested" in response.content
        request = SwapRequest.objects.get()
        assert request.target is None and request.reason == "Time off"
        again = client.post(reverse("swaps:quick"), data, **HTMX)
        assert again.status_code == 400 and b"already an open request" in again.content
        assert SwapRequest.objects.count() == 1


class TestPages:
    def test_swaps_page_lists_and_stays_within_a_query_budget(
        self, client, django_assert_max_num_queries, team, schedule, alice, bob, carol, manager
    ):
        ask(schedule, alice, target=bob)
        ask(schedule, carol)
        bobs = next_shift(schedule, bob)
        ask(schedule, bob, bobs, start=bobs.start + timedelta(hours=2))
        factories.TimeOffFactory(user=bob, start=bobs.start, end=bobs.end)
        client.force_login(bob)
        with django_assert_max_num_queries(40):
            response = client.get(reverse("swaps:page"))
        assert response.status_code == 200
        assert [r.requester.username for r in response.context["to_me"]] == ["alice"]
        assert [r.requester.username for r in response.context["open"]] == ["carol"]
        assert [r.requester.username for r in response.context["mine"]] == ["bob"]
        assert [c.shift.user_id for c in response.context["my_clashes"]] == [bob.pk]
        assert response.context["history"] == []  # all still open
        client.force_login(manager)
        response = client.get(reverse("swaps:page"))
        assert len(response.context["team"]) == 3
        assert [c.shift.user_id for c in response.context["team_clashes"]] == [bob.pk]

    def test_page_query_count_does_not_grow_with_requests(
        self, client, schedule, alice, bob, carol
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(bob)
        counts = []
        for n in range(4):
            factories.SwapRequestFactory(
                schedule=schedule,
                requester=alice,
                target=bob,
                shift_start=factories.swaps._START + timedelta(days=n),
            )
            factories.SwapRequestFactory(
                schedule=schedule,
                requester=carol,
                shift_start=factories.swaps._START + timedelta(days=10 + n),
            )
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("swaps:page"))
            counts.append(len(queries))
        assert len(response.context["to_me"]) == 4 and len(response.context["open"]) == 4
        assert counts[0] == counts[-1] <= 25


class TestTimeOffPages:
    def test_add_and_remove(self, client, alice):
        client.force_login(alice)
        response = client.post(
            reverse("swaps:time_off"),
            {"first_day": "2031-03-02", "last_day": "2031-03-06", "note": "Skiing"},
        )
        assert response.status_code == 302
        row = TimeOff.objects.get()
        assert (row.end - row.start) == timedelta(days=5)
        response = client.get(reverse("people:profile"))
        assert b"Skiing" in response.content
        client.post(reverse("swaps:time_off_delete", args=[row.pk]), **HTMX)
        assert not TimeOff.objects.exists()

    def test_bad_days_are_a_400_and_nothing_is_written(self, client, alice):
        client.force_login(alice)
        response = client.post(
            reverse("swaps:time_off"),
            {"first_day": "2031-03-06", "last_day": "2031-03-02"},
            **HTMX,
        )
        assert response.status_code == 400
        assert b"The last day cannot be before the first" in response.content
        assert not TimeOff.objects.exists()

    def test_cannot_remove_someone_elses(self, client, alice, bob):
        row = factories.TimeOffFactory(user=bob)
        client.force_login(alice)
        assert client.post(reverse("swaps:time_off_delete", args=[row.pk])).status_code == 403
        assert TimeOff.objects.exists()


class TestInbox:
    def test_accept_in_one_click_from_the_inbox_and_others_see_it_is_gone(
        self, client, django_assert_max_num_queries, schedule, alice, bob, carol
    ):
        request = ask(schedule, alice)  # open: bob and carol are told
        ask(schedule, carol, target=bob)
        client.force_login(bob)
        with django_assert_max_num_queries(15):
            inbox = client.get(reverse("notifications:inbox"))
        body = inbox.content.decode()
        assert body.count(">Accept<") == 2
        assert f'hx-post="{reverse("swaps:accept", args=[request.pk])}"' in body
        response = client.post(reverse("swaps:accept", args=[request.pk]), **HTMX)
        assert response.status_code == 200 and b"In effect" in response.content
        client.force_login(carol)
        body = client.get(reverse("notifications:inbox")).content.decode()
        assert f'hx-post="{reverse("swaps:accept", args=[request.pk])}"' not in body
        assert "bob takes it" in body

    def test_messages_without_a_request_render_plainly(self, client, alice):
        from portal.notifications.services import notify

        notify(
            user=alice, kind="swap", dedup_key="timeoff-clash:1:2:x:3", subject="Clash", body="b"
        )
        client.force_login(alice)
        response = client.get(reverse("notifications:inbox"))
        assert response.status_code == 200 and b"Clash" in response.content


class TestReviewFixes:
    """The schedule card and the clash buttons ask about whole shifts; no Accept that can only
    fail; one label for the one-click cover; a friendly page for a bare "new request" link; the
    portal's date format in messages."""

    def _running(self, schedule):
        """The person on call now, their running shift (whole) and their shift at day 30 (the
        rota has three people, so the same person holds it)."""
        from django.utils import timezone

        from oncall import selectors as rota

        now = timezone.now()
        current = rota.oncall_at(schedule=schedule, at=now)
        later = rota.oncall_at(schedule=schedule, at=now + timedelta(days=30))
        assert current.user_id == later.user_id
        return current.user, current, later, now

    def test_schedule_card_asks_about_whole_shifts(self, client, schedule):
        who, running, last, now = self._running(schedule)
        assert running.start < now and last.end > now + timedelta(days=30)
        client.force_login(who)
        body = client.get(reverse("swaps:schedule_card", args=[schedule.pk])).content.decode()
        for shift in (running, last):
            assert f"shift_start={iso(shift.start)}&amp;shift_end={iso(shift.end)}" in body
        # The link for the running shift opens the form, the part to cover starting now.
        url = new_url(schedule, running)
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["start"] > now and response.context["end"] == running.end

    def test_clash_button_carries_the_whole_shift_and_covers_from_now(self, client, schedule):
        who, running, _, now = self._running(schedule)
        factories.TimeOffFactory(
            user=who, start=now - timedelta(days=2), end=now + timedelta(days=1)
        )
        client.force_login(who)
        body = client.get(reverse("swaps:page")).content.decode()
        assert f'name="shift_start" value="{iso(running.start)}"' in body
        assert f'name="shift_end" value="{iso(running.end)}"' in body
        data = {
            "schedule": schedule.pk,
            "user": who.pk,
            "shift_start": iso(running.start),
            "shift_end": iso(running.end),
            "reason": "Time off",
        }
        response = client.post(reverse("swaps:quick"), data, **HTMX)
        assert response.status_code == 200
        request = SwapRequest.objects.get()
        assert (request.shift_start, request.shift_end) == (running.start, running.end)
        assert now < request.start <= now + timedelta(minutes=2) and request.end == running.end

    def test_one_label_for_the_one_click_cover(self, client, team, schedule, bob, manager):
        shift = next_shift(schedule, bob)
        factories.TimeOffFactory(user=bob, start=shift.start, end=shift.end)
        client.force_login(manager)
        pages = [reverse("swaps:page"), reverse("people:team_detail", args=[team.slug])]
        for url in pages:
            body = client.get(url).content.decode()
            assert "Ask cover for them" not in body
            assert 'style="white-space: nowrap"' in body and ">Ask for cover</button>" in body

    def test_no_accept_button_when_the_rules_say_no(self, client, team, schedule, bob, carol, dave):
        team.max_consecutive_days = 1
        team.save()
        request = ask(schedule, carol)  # open; bob is on call the day before
        accept = reverse("swaps:accept", args=[request.pk])
        client.force_login(bob)
        for url in (reverse("swaps:page"), request.get_absolute_url()):
            body = client.get(url).content.decode()
            assert f'action="{accept}"' not in body
            assert "disabled" in body and "2 days in a row" in body
        client.force_login(dave)  # not on the rota: may take it
        body = client.get(reverse("swaps:page")).content.decode()
        assert f'action="{accept}"' in body

    def test_bare_new_link_explains_where_to_start(self, client, schedule, alice):
        client.force_login(alice)
        response = client.get(reverse("swaps:new"))
        body = response.content.decode()
        assert response.status_code == 400
        assert "Start from a shift" in body and "field is required" not in body
        assert reverse("oncall:my_shifts") in body and schedule.get_absolute_url() in body
        broken = client.get(reverse("swaps:new") + f"?schedule={schedule.pk}&shift_start=x")
        assert broken.status_code == 400 and b"field is required" not in broken.content


def test_message_times_use_the_portal_format():
    from datetime import UTC, datetime
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from portal.timefmt import in_message

    user = SimpleNamespace(profile=SimpleNamespace(zone=ZoneInfo("Europe/London")))
    assert in_message(datetime(2020, 12, 9, 16, 0, tzinfo=UTC), user) == "Wed 9 Dec 16:00 GMT"
