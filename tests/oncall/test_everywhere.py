"""Who is on call right now, everywhere (oncall/everywhere.py): the current stretch of duty
until its real end (touching shifts of one person are one stretch), the next hand-off to
somebody else, gaps; and the page (oncall/everywhere_views.py): content, filters, times in the
viewer's zone, what a non-member sees, and a query count that does not grow with schedules."""

from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oncall.everywhere import oncall_everywhere, schedules_of
from oncall.models import Schedule
from tests import factories
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db

NOW = "2026-12-08T12:00:00Z"
PAGE = reverse("oncall:now")
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "oncall-results"}


def daily(schedule, people, **kwargs):
    """Daily hand-offs at 09:00 UTC; on 8 Dec 2026 the first of ``people`` holds the shift."""
    return factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=date(2026, 12, 8),
        handoff_time=time(9),
        participants=people,
        **kwargs,
    )


def alice_twice(schedule, alice, bob, carol):
    """alice on Tue 8 Dec by the lower layer and on Wed 9 Dec by a higher layer version in
    force that day only: two adjacent shifts, one run until Thu 10 Dec 09:00; then carol."""
    daily(schedule, [alice, bob, carol], position=0)
    daily(
        schedule,
        [alice],
        position=1,
        valid_from=utc(2026, 12, 9, 9),
        valid_until=utc(2026, 12, 10, 9),
    )


def rows_at(at, **kwargs):
    return {
        r.schedule.pk: r
        for r in oncall_everywhere(
            schedules=schedules_of(schedules=Schedule.objects.all(), **kwargs), at=at
        )
    }


@pytest.mark.clock(NOW)
def test_now_until_the_end_of_the_continuous_run_and_the_next_handoff(schedule, alice, bob, carol):
    alice_twice(schedule, alice, bob, carol)
    row = rows_at(utc(2026, 12, 8, 12))[schedule.pk]
    assert row.now.user == alice
    assert row.now.end == utc(2026, 12, 10, 9)
    assert row.nxt.user == carol and row.nxt.start == utc(2026, 12, 10, 9)
    assert not row.gap_after


@pytest.mark.clock(NOW)
def test_an_override_handing_back_to_the_same_person_is_not_a_handoff(schedule, alice, bob, carol):
    daily(schedule, [alice, bob, carol])
    # alice also covers the next day by override: one run until Thu 10 Dec 09:00.
    factories.OverrideFactory(
        schedule=schedule, user=alice, start=utc(2026, 12, 9, 9), end=utc(2026, 12, 10, 9)
    )
    row = rows_at(utc(2026, 12, 8, 12))[schedule.pk]
    assert row.now.user == alice and row.now.end == utc(2026, 12, 10, 9)
    assert row.nxt.user == carol


@pytest.mark.clock(NOW)
def test_gaps_nobody_now_and_nobody_after(schedule, alice, bob, team):
    # Business hours only: on Tue 8 Dec at 20:00 nobody is on call; alice from Wed 09:00.
    daily(schedule, [alice], active_start=time(9), active_end=time(17))
    row = rows_at(utc(2026, 12, 8, 20))[schedule.pk]
    assert row.now is None
    assert row.nxt.user == alice and row.nxt.start == utc(2026, 12, 9, 9)
    # At noon alice runs until 17:00, then nobody, then alice again the next morning.
    row = rows_at(utc(2026, 12, 8, 12))[schedule.pk]
    assert row.now.end == utc(2026, 12, 8, 17) and row.gap_after
    empty = factories.ScheduleFactory(team=team, name="Empty")
    row = rows_at(utc(2026, 12, 8, 12))[empty.pk]
    assert row.now is None and row.nxt is None


# ------------------------------------------------------------------------------------ page
@pytest.fixture
def everywhere(team, schedule, alice, bob, carol):
    alice_twice(schedule, alice, bob, carol)
    other_team = factories.TeamFactory(name="Platform", slug="platform")
    dave = factories.MembershipFactory(team=other_team, user__username="dave").user
    platform = factories.ScheduleFactory(team=other_team, name="Platform primary")
    daily(platform, [dave])
    return {"payments": schedule, "platform": platform, "dave": dave}


@pytest.mark.clock(NOW)
def test_page_lists_every_team_with_now_until_and_next(client, everywhere, alice):
    client.force_login(alice)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Platform primary" in html and everywhere["payments"].name in html
    row = html.split(f'data-schedule="{everywhere["payments"].pk}"')[1].split("</tr>")[0]
    assert "alice" in row and "until Thu 10 Dec 09:00" in row
    assert "carol" in row and "at Thu 10 Dec 09:00" in row
    row = html.split(f'data-schedule="{everywhere["platform"].pk}"')[1].split("</tr>")[0]
    assert "dave" in row and "Nobody on call" not in row


@pytest.mark.clock(NOW)
def test_page_shows_times_in_the_viewers_zone(client, everywhere, alice):
    alice.profile.time_zone = "Asia/Tokyo"  # UTC+9: 09:00 UTC is 18:00 there
    alice.profile.save()
    client.force_login(alice)
    html = client.get(PAGE).content.decode()
    assert "until Thu 10 Dec 18:00" in html and "Asia/Tokyo" in html


@pytest.mark.clock(NOW)
def test_page_flags_nobody_on_call(client, team, alice):
    factories.ScheduleFactory(team=team, name="Unstaffed")
    client.force_login(alice)
    html = client.get(PAGE).content.decode()
    assert "Unstaffed" in html and "Nobody on call" in html


@pytest.mark.clock(NOW)
@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"team": "platform"}, ["Platform primary"], ["Primary<"]),
        ({"q": "platform"}, ["Platform primary"], ["Primary<"]),
        ({"q": "CAROL"}, ["Primary<"], ["Platform primary"]),  # by the person next
        ({"q": "dave"}, ["Platform primary"], ["Primary<"]),  # by the person on call
        ({"q": "nothing-like-it"}, ["No schedule matches."], ["Primary<", "Platform primary"]),
    ],
)
def test_page_filters_by_team_and_text(client, everywhere, alice, params, shown, hidden):
    client.force_login(alice)
    html = client.get(PAGE, params, **HX).content.decode()
    assert "<html" not in html  # the htmx swap gets the results only
    for text in shown:
        assert text in html
    for text in hidden:
        assert text not in html


@pytest.mark.clock(NOW)
def test_unknown_team_is_400_with_a_message(client, everywhere, alice):
    client.force_login(alice)
    response = client.get(PAGE, {"team": "no-such-team"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


@pytest.mark.clock(NOW)
def test_a_non_member_sees_every_schedule_as_the_access_rules_say(client, everywhere, outsider):
    # oncall/access.py: everyone signed in reads schedules and who is on call.
    client.force_login(outsider)
    html = client.get(PAGE).content.decode()
    assert "Platform primary" in html and everywhere["payments"].name in html


def test_signed_out_visitors_are_sent_to_log_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_navigation_links_the_page_and_marks_it_current(client, alice):
    client.force_login(alice)
    html = client.get(PAGE).content.decode()
    assert f'<a href="{PAGE}" aria-current="page">On call</a>' in html
    html = client.get(reverse("dashboard")).content.decode()
    assert f'<a href="{PAGE}">On call</a>' in html


def _many_schedules(n: int) -> None:
    teams = [factories.TeamFactory() for _ in range(3)]
    for i in range(n):
        team = teams[i % 3]
        people = [factories.MembershipFactory(team=team).user for _ in range(2)]
        schedule = factories.ScheduleFactory(team=team)
        daily(schedule, people)
        daily(schedule, people[::-1], active_start=time(9), active_end=time(17))
        factories.OverrideFactory(
            schedule=schedule, user=people[0], start=utc(2026, 12, 8), end=utc(2026, 12, 9)
        )


def _queries(client, user, **headers) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE, **headers)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.clock(NOW)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx-partial"])
def test_query_count_does_not_grow_with_schedules(client, outsider, htmx):
    headers = HX if htmx else {}
    _many_schedules(3)
    few = _queries(client, outsider, **headers)
    _many_schedules(9)
    assert Schedule.objects.count() == 12
    assert _queries(client, outsider, **headers) == few
    assert few <= 12
