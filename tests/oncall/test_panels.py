"""On call now / next on the dashboard, the team page and every service page."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def rota(team, schedule, manager, member, now):
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=(now - timedelta(days=1)).date(),
        handoff_time=time(0),
        participants=[member],
    )
    return schedule


def test_dashboard_shows_who_is_on_call_for_my_teams(client, rota, member):
    client.force_login(member)
    body = client.get(reverse("dashboard")).content.decode()
    assert "On call now" in body and rota.name in body
    assert member.username in body  # the person on call (no display name: the username)
    assert "You are on call now" in body


def test_dashboard_gives_my_next_shift(client, team, schedule, manager, now):
    start = now + timedelta(days=2)
    factories.OverrideFactory(
        schedule=schedule, user=manager, start=start, end=start + timedelta(hours=3)
    )
    client.force_login(manager)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Your next shift" in body and schedule.name in body


def test_team_and_service_pages_show_the_team_rota(client, rota, member, service, outsider):
    client.force_login(outsider)  # anyone may see who to call
    for url in (rota.team.get_absolute_url(), service.get_absolute_url()):
        body = client.get(url).content.decode()
        assert "On call now" in body and rota.name in body and member.username in body


def test_service_of_a_team_without_rota(client, service, manager):
    client.force_login(manager)
    body = client.get(service.get_absolute_url()).content.decode()
    assert "No rota yet" in body
    assert reverse("oncall:schedule_create", args=[service.team.slug]) in body


def test_dashboard_without_teams_has_no_rota_panel(client, outsider):
    client.force_login(outsider)
    assert "On call now" not in client.get(reverse("dashboard")).content.decode()


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_panels_take_the_same_queries_for_one_or_many(client, team, member, service):
    client.force_login(member)
    urls = [reverse("dashboard"), team.get_absolute_url(), service.get_absolute_url()]

    def add_schedule(size):
        people = [factories.MembershipFactory(team=team).user for _ in range(size)]
        schedule = factories.ScheduleFactory(team=team)
        for i in range(size):
            factories.LayerFactory(
                schedule=schedule,
                position=i,
                shift_unit="hours",
                shift_length=8,
                rotation_start=date(2024, 1, 1),
                participants=[*people, member],
            )
            factories.OverrideFactory(schedule=schedule, user=people[i])

    add_schedule(1)
    one = [_queries(client, url) for url in urls]
    for _ in range(4):
        add_schedule(5)
    other_team = factories.MembershipFactory(user=member).team
    factories.LayerFactory(
        schedule=factories.ScheduleFactory(team=other_team), participants=[member]
    )
    many = [_queries(client, url) for url in urls]
    assert one == many


def test_dashboard_says_until_when_my_continuous_run_ends(client, clock, team, schedule, member):
    """Two adjacent shifts of mine (Mon 09:00 – Tue 09:00, Tue 09:00 – Wed 09:00): "until"
    is Wednesday, on the dashboard and on the schedule page."""
    clock.freeze("2026-12-07T12:00:00Z")
    for day in (7, 8):
        factories.OverrideFactory(
            schedule=schedule,
            user=member,
            start=datetime(2026, 12, day, 9, tzinfo=UTC),
            end=datetime(2026, 12, day + 1, 9, tzinfo=UTC),
        )
    client.force_login(member)
    body = client.get(reverse("dashboard")).content.decode()
    assert "until Wed 9 Dec 09:00" in body
    assert "Tue 8 Dec 09:00" not in body
    body = client.get(schedule.get_absolute_url()).content.decode()
    assert "until Wed 9 Dec 09:00" in body
