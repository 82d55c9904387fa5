"""Swaps on the rota pages: "covered by X for Y" and time-off flags on the calendar, and the
ask-for-cover buttons on the calendar and "My shifts"."""

from datetime import timedelta

import pytest
from django.urls import reverse

from oncall import calendar
from oncall.swaps import services
from tests import factories
from tests.swaps.conftest import next_shift

pytestmark = pytest.mark.django_db


def final_bars(schedule, viewer, day):
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    cal = calendar.build(
        schedule=schedule,
        view="week",
        start_day=day,
        zone=ZoneInfo("UTC"),
        viewer_id=viewer.pk,
        now=timezone.now(),
    )
    return cal.rows[0].bars


def bar_at(bars, label_start):
    return next(b for b in bars if b.label.startswith(label_start))


def test_calendar_says_covered_by_x_for_y(schedule, alice, bob, carol):
    shift = next_shift(schedule, alice)
    request = services.swap_request_create(
        schedule=schedule,
        requester=alice,
        by=alice,
        shift_start=shift.start,
        shift_end=shift.end,
        target=bob,
    )
    services.swap_request_accept(request=request, by=bob)
    bars = final_bars(schedule, carol, shift.start.date())
    bar = bar_at(bars, "bob for alice")
    assert f"covered by bob for alice (cover #{request.pk})" in bar.title
    assert "swap-covered" in bar.classes and "override" in bar.classes


def test_calendar_flags_time_off_and_links_my_shifts(schedule, alice, bob):
    shift = next_shift(schedule, alice)
    factories.TimeOffFactory(user=alice, start=shift.start, end=shift.end)
    bars = final_bars(schedule, alice, shift.start.date())
    mine = bar_at(bars, "alice")
    assert "timeoff-clash" in mine.classes and "has time off then" in mine.title
    assert mine.url.startswith(reverse("swaps:new"))
    others = bar_at(final_bars(schedule, bob, shift.start.date()), "alice")
    assert others.url == ""  # bob cannot ask for cover of alice's shift


def test_schedule_page_shows_the_swaps_card(client, schedule, alice, bob):
    shift = next_shift(schedule, alice)
    request = services.swap_request_create(
        schedule=schedule,
        requester=alice,
        by=alice,
        shift_start=shift.start,
        shift_end=shift.end,
        target=bob,
    )
    services.swap_request_accept(request=request, by=bob)
    client.force_login(alice)
    response = client.get(
        reverse("oncall:schedule_detail", args=[schedule.pk]),
        {"start": shift.start.date().isoformat()},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'hx-get="{reverse("swaps:schedule_card", args=[schedule.pk])}"' in body
    assert "bob for alice" in body  # the calendar bar
    card = client.get(reverse("swaps:schedule_card", args=[schedule.pk]), HTTP_HX_REQUEST="true")
    assert card.status_code == 200
    assert "Covered by <strong>bob</strong> for alice" in card.content.decode()


def test_schedule_card_for_members_in_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, schedule, alice, bob, carol, outsider
):
    for who in (alice, bob, carol):
        factories.TimeOffFactory(user=who, start=next_shift(schedule, who).start)
    url = reverse("swaps:schedule_card", args=[schedule.pk])
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    body = response.content.decode()
    assert body.count("time off</span>") == 3  # everyone's clashes
    assert body.count("time off clash</span>") == 1  # alice's own next shift
    client.force_login(outsider)
    assert client.get(url).status_code == 403


def test_my_shifts_has_ask_buttons_and_one_click_for_a_clash(
    client, django_assert_max_num_queries, schedule, alice
):
    shift = next_shift(schedule, alice)
    factories.TimeOffFactory(user=alice, start=shift.start, end=shift.start + timedelta(hours=2))
    client.force_login(alice)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("oncall:my_shifts"))
    body = response.content.decode()
    assert body.count("Ask for cover / swap") + body.count("Choose whom") >= 3
    assert body.count("time off clash") == 1
    assert body.count(f'action="{reverse("swaps:quick")}"') == 1
