"""Pages and exports of the reports: access, privacy, CSV, the holiday list, the panels and a
query-count bound that does not grow with the team."""

import csv
import io
from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.reports.models import Holiday
from tests import factories
from tests.reports.conftest import page, utc

# About the story's period, as the form gives it: whole days in the viewer's zone (boss, ann
# and bea are in London), so Sat 30 Mar 00:00 GMT → Tue 2 Apr 00:00 BST (Mon 23:00 UTC).
PERIOD = {"period": "custom", "start": "2024-03-30", "end": "2024-04-01"}


def load_url(team, **params):
    return reverse("reports:load_review", args=[team.slug])


def get(client, user, name, team, params=None, **kwargs):
    client.force_login(user)
    return client.get(reverse(f"reports:{name}", args=[team.slug]), params or {}, **kwargs)


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


# ------------------------------------------------------------------------------------ access
@pytest.mark.parametrize(
    "name", ["load_review", "load_csv", "weekly_latest", "service_ranking", "holidays"]
)
def test_anonymous_is_sent_to_log_in(client, story, name):
    response = client.get(reverse(f"reports:{name}", args=[story.team.slug]))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "name", ["load_review", "load_csv", "weekly_latest", "service_ranking", "holidays"]
)
def test_outsiders_are_refused_and_unknown_teams_are_404(client, story, outsider, name):
    assert get(client, outsider, name, story.team).status_code == 403
    client.force_login(outsider)
    assert client.get(reverse(f"reports:{name}", args=["nope"])).status_code == 404


def test_manager_sees_everybody_and_the_charts(client, story):
    response = get(client, story.boss, "load_review", story.team, PERIOD)
    assert response.status_code == 200
    body = response.content.decode()
    for name in ("Ann Archer", "Raj Rao", "Bea Bell", "Bo Boss"):
        assert name in body
    assert body.count("<svg") == 3
    assert 'class="chart hours-chart"' in body and 'class="chart heatmap"' in body
    assert "× an even share of on-call hours" in body and "Cannot be reached" in body
    assert "On-call hours for compensation" in body


def test_member_sees_own_row_and_team_aggregates_only(client, story):
    response = get(client, story.raj, "load_review", story.team, PERIOD)
    assert response.status_code == 200
    body = response.content.decode()
    assert [p.user for p in response.context["people"]] == [story.raj]
    assert "Raj Rao" in body
    for other in ("Ann Archer", "Bea Bell", "Bo Boss"):
        assert other not in body
    assert "Team average" in body  # the hours chart shows the team, not the others
    # Raj is in Kolkata: his range is Sat 30 Mar 00:00 IST → Mon 1 Apr 24:00 IST. The team's
    # totals count ann's three pages in it, though her row is not his to see.
    assert response.context["load"].interruptions == 3
    assert response.context["people"][0].interruptions.total == 0
    assert response.context["flags"] == []  # ann's and bea's flags are not his business
    assert "compensation" not in body


def test_staff_see_everybody(client, story, staff):
    response = get(client, staff, "load_review", story.team, PERIOD)
    assert {p.user.username for p in response.context["people"]} == {"boss", "ann", "raj", "bea"}


def test_default_period_is_the_last_30_days(client, story):
    response = get(client, story.boss, "load_review", story.team)
    load = response.context["load"]
    assert load.end - load.start == timedelta(days=30)
    assert response.context["form"]["period"].value() == "30"


def test_bad_custom_range_is_400_with_a_message_by_the_field(client, story):
    response = get(
        client,
        story.boss,
        "load_review",
        story.team,
        {"period": "custom", "start": "2024-04-02", "end": "2024-03-30"},
    )
    assert response.status_code == 400
    assert "The last day cannot be before the first." in response.content.decode()
    response = get(client, story.boss, "load_review", story.team, {"period": "custom"})
    assert response.status_code == 400
    assert "Give the first day of the range." in response.content.decode()


def test_htmx_request_gets_the_report_partial(client, story):
    response = get(client, story.boss, "load_review", story.team, PERIOD, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="report">') and "<html" not in body


# ------------------------------------------------------------------------------------ exports
def test_csv_of_the_table(client, story):
    response = get(client, story.boss, "load_csv", story.team, PERIOD)
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    header, body = rows[0], {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert "sleep hours" in header and set(body) == {"boss", "ann", "raj", "bea"}
    # The range ends Mon 23:00 UTC, so ann's last stretch is Mon 08:00 → 23:00 UTC: 9 + 10 + 15.
    ann = body["ann"]
    assert ann["on-call hours"] == "34.00"
    assert ann["interruptions"] == "4" and ann["sleep-hour interruptions"] == "3"
    assert body["bea"]["hours covered for others"] == "4.00"
    assert body["bea"]["unreachable"] == "yes"


def test_csv_for_a_member_has_their_row_only(client, story):
    rows = csv_rows(get(client, story.ann, "load_csv", story.team, PERIOD))
    assert [r[1] for r in rows[1:]] == ["ann"]


def test_compensation_export(client, story):
    response = get(
        client,
        story.boss,
        "compensation_csv",
        story.team,
        {"period": "custom", "start": "2024-03-30", "end": "2024-04-02"},
    )
    rows = csv_rows(response)
    assert rows[0] == [
        "person",
        "username",
        "time zone",
        "weekday hours",
        "weekend hours",
        "public holiday hours",
        "total hours",
    ]
    # Up to Wed 3 Apr 00:00 BST (Tue 23:00 UTC): raj also holds Tue 08:00 → 23:00 UTC, that
    # is Tue 13:30 → Wed 04:30 IST (15 h, all weekday).
    by_user = {r[1]: r for r in rows[1:]}
    assert by_user["ann"][2:] == ["Europe/London", "9.00", "19.00", "15.00", "43.00"]
    assert by_user["raj"][2:] == ["Asia/Kolkata", "15.00", "10.50", "13.50", "39.00"]
    assert by_user["bea"][2:] == ["Europe/London", "0.00", "4.00", "0.00", "4.00"]
    assert "boss" not in by_user  # not on the rota


def test_compensation_export_is_for_managers(client, story):
    assert get(client, story.ann, "compensation_csv", story.team, PERIOD).status_code == 403


# ------------------------------------------------------------------------------- query count
def _grow(story, n):
    """More people, another schedule, more incidents and pages: the query count must not move."""
    people = []
    for i in range(n):
        user = factories.MembershipFactory(team=story.team, user__username=f"extra{i}").user
        user.method = factories.ContactMethodFactory(user=user)
        people.append(user)
    schedule = factories.ScheduleFactory(team=story.team, name="Secondary")
    factories.LayerFactory(
        schedule=schedule,
        shift_unit="hours",
        shift_length=6,
        rotation_start=date(2024, 3, 1),
        handoff_time=time(0),
        participants=people,
    )
    factories.OverrideFactory(
        schedule=schedule, user=people[0], start=utc(2024, 3, 31), end=utc(2024, 3, 31, 6)
    )
    for i, user in enumerate(people):
        incident = factories.IncidentFactory(
            team=story.team,
            triggered_at=utc(2024, 3, 31, i),
            acknowledged_at=utc(2024, 3, 31, i, 5),
            acknowledged_by=user,
        )
        page(user, utc(2024, 3, 31, i, 1), incident)
        page(user, utc(2024, 4, 1, i, 1), incident)


def _count(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["load_review", "load_csv", "service_ranking"])
def test_query_count_is_bounded_and_does_not_grow(client, story, name):
    client.force_login(story.boss)
    url = reverse(f"reports:{name}", args=[story.team.slug])
    small = _count(client, url, PERIOD)
    assert small <= 20
    _grow(story, 6)
    assert _count(client, url, PERIOD) == small


def test_weekly_review_query_count_does_not_grow(client, story):
    client.force_login(story.boss)
    url = reverse("reports:weekly_review", args=[story.team.slug, 2024, 13])
    small = _count(client, url, {})
    assert small <= 30
    _grow(story, 6)
    assert _count(client, url, {}) == small


# ------------------------------------------------------------------------------ weekly pages
def test_weekly_review_page(client, story):
    client.force_login(story.boss)
    response = client.get(reverse("reports:weekly_review", args=[story.team.slug, 2024, 13]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bea Bell</strong>: Cannot be reached" in body
    assert "HighLatency" in body and "Tune HighLatency" in body
    assert "Bea Bell" in body  # handovers
    assert client.get(reverse("reports:weekly_review", args=["ops", 2024, 54])).status_code == 404


def test_weekly_latest_redirects_to_last_week(client, story):
    response = get(client, story.ann, "weekly_latest", story.team)
    assert response.status_code == 302 and "/reports/teams/ops/weekly/" in response["Location"]


# --------------------------------------------------------------------------------- holidays
def test_manager_adds_and_removes_holidays(client, story):
    client.force_login(story.boss)
    url = reverse("reports:holidays", args=[story.team.slug])
    response = client.post(url, {"date": "2024-12-25", "name": "Christmas Day"})
    assert response.status_code == 302
    holiday = Holiday.objects.get(team=story.team, date=date(2024, 12, 25))
    response = client.post(url, {"date": "2024-12-25", "name": "Again"})
    assert response.status_code == 400
    assert "already a holiday" in response.content.decode()
    assert Holiday.objects.filter(team=story.team).count() == 2
    response = client.post(url, {"date": "", "name": "No date"})
    assert response.status_code == 400
    delete = reverse("reports:holiday_delete", args=[story.team.slug, holiday.pk])
    assert client.post(delete).status_code == 302
    assert not Holiday.objects.filter(pk=holiday.pk).exists()


def test_members_see_but_cannot_change_holidays(client, story):
    client.force_login(story.ann)
    url = reverse("reports:holidays", args=[story.team.slug])
    assert "Easter Monday" in client.get(url).content.decode()
    assert client.post(url, {"date": "2024-12-25", "name": "X"}).status_code == 403
    holiday = Holiday.objects.get(team=story.team)
    delete = reverse("reports:holiday_delete", args=[story.team.slug, holiday.pk])
    assert client.post(delete).status_code == 403
    assert Holiday.objects.filter(pk=holiday.pk).exists()


# ----------------------------------------------------------------------------------- panels
def test_service_page_shows_feedback_to_the_owning_team_only(client, story, outsider):
    url = story.api.get_absolute_url()
    client.force_login(story.ann)
    body = client.get(url).content.decode()
    assert "Operational feedback" in body and "Tune HighLatency" in body
    client.force_login(outsider)
    assert "Operational feedback" not in client.get(url).content.decode()


def test_team_page_links_to_the_reports(client, story, outsider):
    client.force_login(story.boss)
    body = client.get(story.team.get_absolute_url()).content.decode()
    assert reverse("reports:load_review", args=[story.team.slug]) in body
    client.force_login(outsider)
    body = client.get(story.team.get_absolute_url()).content.decode()
    assert reverse("reports:load_review", args=[story.team.slug]) not in body
