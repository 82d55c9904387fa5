"""Swaps on the rota pages: "covered by X for Y" and time-off flags on the calendar, and the
ask-for-cover buttons on the calendar and "My shifts"."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from oncall import calendar
from oncall.swaps import services
from oncall.swaps.forms import iso
from tests import factories
from tests.oncall.swaps.conftest import next_shift

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


def bar_at(bars, label_start, *, start=None):
    """The bar whose label starts with ``label_start``; with ``start``, the one of the shift
    that starts then (a week view also holds the person's earlier shifts of that week)."""
    return next(
        b
        for b in bars
        if b.label.startswith(label_start) and (start is None or b.list_start == start)
    )


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
    bar = bar_at(bars, "bob for alice", start=shift.start)
    assert f"covered by bob for alice (cover #{request.pk})" in bar.title
    assert "swap-covered" in bar.classes and "override" in bar.classes


def test_calendar_flags_time_off_and_links_my_shifts(schedule, alice, bob):
    shift = next_shift(schedule, alice)
    factories.TimeOffFactory(user=alice, start=shift.start, end=shift.end)
    bars = final_bars(schedule, alice, shift.start.date())
    mine = bar_at(bars, "alice", start=shift.start)
    assert "timeoff-clash" in mine.classes and "has time off then" in mine.title
    assert mine.url.startswith(reverse("swaps:new"))
    others = bar_at(final_bars(schedule, bob, shift.start.date()), "alice", start=shift.start)
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
    # Three of them follow a shift running into now or day 30 to its real start or end.
    with django_assert_max_num_queries(15):
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


# --------------------------------------------------------------------------------------------
# "Ask for cover" from the calendar sends the whole stretch, not the piece the window shows
# --------------------------------------------------------------------------------------------


def boundary(view: str) -> datetime:
    """A future midnight (UTC) where a calendar window of ``view`` starts: next Monday, or
    the first of next month."""
    soon = timezone.now() + timedelta(days=2)
    if view == "month":
        first = (soon.replace(day=1) + timedelta(days=32)).replace(day=1)
        return datetime.combine(first.date(), time(0), UTC)
    monday = soon.date() + timedelta(days=7 - soon.weekday())
    return datetime.combine(monday, time(0), UTC)


def rota_across(team, alice, bob, edge: datetime):
    """A rota of week-long shifts (09:00 UTC handoffs) whose first shift, alice's, runs from
    three days before ``edge`` to four days after it; nobody is on call before."""
    schedule = factories.ScheduleFactory(team=team, name="Weekly")
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        shift_length=7,
        rotation_start=(edge - timedelta(days=3)).date(),
        handoff_time=time(9),
        participants=[alice, bob],
    )
    start = edge - timedelta(days=3) + timedelta(hours=9)
    return schedule, (start, start + timedelta(days=7))


def asked_span(url):
    assert url.startswith(reverse("swaps:new") + "?")
    query = parse_qs(urlsplit(url).query)
    return query["shift_start"][0], query["shift_end"][0]


def alice_bars(schedule, alice, view, day):
    cal = calendar.build(
        schedule=schedule,
        view=view,
        start_day=day,
        zone=ZoneInfo("UTC"),
        viewer_id=alice.pk,
        now=timezone.now(),
    )
    return [b for b in cal.rows[0].bars if b.label.startswith("alice")]


@pytest.mark.parametrize("view", ["week", "2weeks", "month"])
@pytest.mark.parametrize("cut", ["start", "end"])
def test_calendar_asks_for_the_whole_shift_across_the_window_edge(team, alice, bob, view, cut):
    edge = boundary(view)
    schedule, (start, end) = rota_across(team, alice, bob, edge)
    if cut == "start":  # the window starts at the edge: the shift began before it
        day = edge.date()
    else:  # the window ends at the edge: the shift goes on after it
        day = (edge - timedelta(days=14 if view == "2weeks" else 1)).date()
    bars = alice_bars(schedule, alice, view, day)
    bar = bars[0] if cut == "start" else bars[-1]
    edge_text = f"{edge:%a} {edge.day} {edge:%b} 00:00"
    assert edge_text in bar.title  # it shows the part up to or from the edge
    assert asked_span(bar.url) == (iso(start), iso(end))


def test_calendar_asks_for_the_whole_stretch_where_an_override_splits_it(team, alice, bob):
    edge = boundary("week")
    schedule, (start, end) = rota_across(team, alice, bob, edge)
    # alice's own override in the middle of her shift (another source) splits the bar.
    factories.OverrideFactory(
        schedule=schedule,
        user=alice,
        start=edge + timedelta(hours=12),
        end=edge + timedelta(hours=36),
    )
    bars = alice_bars(schedule, alice, "week", edge.date())
    assert len(bars) == 3
    assert {asked_span(b.url) for b in bars} == {(iso(start), iso(end))}


def test_calendar_for_a_cut_shift_takes_the_same_queries_for_one_or_many(team, alice, bob, carol):
    edge = boundary("week")
    schedule, (start, end) = rota_across(team, alice, bob, edge)
    factories.OverrideFactory(  # in view from the start, so its swap link is looked up too
        schedule=schedule, user=carol, start=end, end=end + timedelta(hours=1)
    )

    def count():
        with CaptureQueriesContext(connection) as queries:
            bars = alice_bars(schedule, alice, "week", edge.date())
        assert bars and all(b.url for b in bars)
        return len(queries)

    one = count()
    for i in range(6):
        factories.LayerFactory(
            schedule=schedule,
            shift_unit="hours",
            shift_length=6,
            rotation_start=edge.date() - timedelta(days=i),
            participants=[alice, factories.MembershipFactory(team=team).user],
        )
        factories.OverrideFactory(
            schedule=schedule,
            user=carol,
            start=start - timedelta(days=i + 1),
            end=start - timedelta(days=i, hours=20),
        )
    assert count() == one


def test_the_calendar_link_opens_the_form_for_the_whole_shift(client, team, alice, bob):
    edge = boundary("week")
    schedule, (start, end) = rota_across(team, alice, bob, edge)
    client.force_login(alice)
    page = client.get(schedule.get_absolute_url(), {"view": "week", "start": edge.date()})
    url = next(
        b.url for b in page.context["cal"].rows[0].bars if b.label.startswith("alice") and b.url
    )
    assert url.replace("&", "&amp;") in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert (response.context["ref"]["shift_start"], response.context["ref"]["shift_end"]) == (
        start,
        end,
    )
    assert response.context["form"].initial["end"] == end
