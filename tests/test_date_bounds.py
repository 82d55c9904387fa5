"""Dates and times typed into the pages or carried in their links are bounded as the API's are
(1970-2199): out of range, the page answers 400 with the form's message in place, stores
nothing, and nobody's page breaks afterwards (a year-9999 override once made the schedule
page answer 500 to every viewer east of UTC)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from incidents.models import MaintenanceWindow
from oncall.models import Override
from oncall.swaps.models import TimeOff
from portal.bounds import BoundedDateField, BoundedDateTimeField
from portal.reports.models import Holiday
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.clock("2027-03-14T07:30:00Z")]

DATE_MESSAGE = "Give a date between 1970 and 2200."
TIME_MESSAGE = "Give a time between 1970 and 2200."


@pytest.fixture
def rota(team, member, manager):
    schedule = factories.ScheduleFactory(team=team)
    factories.LayerFactory(schedule=schedule, position=0, participants=[member, manager])
    return schedule


def _in_zone(user, zone: str):
    user.profile.time_zone = zone
    user.profile.save(update_fields=["time_zone"])


def _says(response, message: str):
    assert response.status_code == 400, response.status_code
    assert message in response.content.decode()


# ------------------------------------------------------------------------------ the fields
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1969-12-31", "2200-01-01"])
def test_a_date_field_refuses_years_out_of_range(value):
    field = BoundedDateField()
    with pytest.raises(Exception, match="between 1970 and 2200"):
        field.clean(value)


@pytest.mark.parametrize("value", ["1970-01-01", "2199-12-31"])
def test_a_date_field_takes_the_edges(value):
    assert BoundedDateField().clean(value) == date.fromisoformat(value)


def test_a_time_field_is_checked_as_written_in_the_viewers_zone(settings):
    from django.utils import timezone

    field = BoundedDateTimeField()
    with timezone.override("America/Los_Angeles"):
        with pytest.raises(Exception, match="between 1970 and 2200"):
            field.clean("9999-12-31T20:00")
        assert field.clean("2199-12-31T23:00").astimezone(UTC).year == 2200


# ------------------------------------------------------------------------------- overrides
def test_override_in_year_9999_is_refused_and_the_page_still_works(client, rota, member):
    _in_zone(member, "America/Los_Angeles")
    client.force_login(member)
    response = client.post(
        reverse("oncall:override_create", args=[rota.pk]),
        {
            "user": member.pk,
            "start": "9999-12-31T20:00",
            "end": "9999-12-31T23:00",
            "reason": "far away",
        },
        headers={"HX-Request": "true", "HX-Target": "overrides"},
    )
    _says(response, TIME_MESSAGE)
    assert not Override.objects.filter(reason="far away").exists()

    viewer = factories.MembershipFactory(team=rota.team).user
    _in_zone(viewer, "Asia/Tokyo")
    client.force_login(viewer)
    assert client.get(rota.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01"])
def test_schedule_calendar_out_of_range_is_400_with_the_message(client, rota, member, start):
    client.force_login(member)
    url = reverse("oncall:schedule_detail", args=[rota.pk])
    _says(client.get(url, {"start": start}), DATE_MESSAGE)
    htmx = client.get(
        url, {"start": start}, headers={"HX-Request": "true", "HX-Target": "calendar"}
    )
    _says(htmx, DATE_MESSAGE)


def test_schedule_calendar_at_the_edges_works(client, rota, member):
    client.force_login(member)
    url = reverse("oncall:schedule_detail", args=[rota.pk])
    for start in ("1970-01-01", "2199-12-31"):
        assert client.get(url, {"start": start, "view": "month"}).status_code == 200


def test_layer_rotation_start_out_of_range_is_refused(client, rota, manager):
    client.force_login(manager)
    response = client.post(
        reverse("oncall:layer_create", args=[rota.pk]),
        {
            "name": "Far",
            "participants": manager.username,
            "shift_length": 1,
            "shift_unit": "days",
            "rotation_start": "9999-12-31",
            "handoff_time": "09:00",
        },
    )
    _says(response, DATE_MESSAGE)
    assert not rota.layers.filter(name="Far").exists()


# ----------------------------------------------------------------------------- maintenance
def test_maintenance_until_year_9999_is_refused(client, service, manager):
    client.force_login(manager)
    response = client.post(
        reverse("incidents:maintenance", args=[service.slug]),
        {"duration": "", "until": "9999-12-31T23:00", "reason": "forever"},
    )
    _says(response, TIME_MESSAGE)
    assert not MaintenanceWindow.objects.filter(service=service).exists()
    assert client.get(service.get_absolute_url()).status_code == 200


# ---------------------------------------------------------------------------------- reports
@pytest.mark.parametrize(("year", "week"), [(9999, 52), (1, 1), (1969, 52), (2200, 1)])
def test_weekly_review_out_of_range_is_400(client, team, member, year, week):
    client.force_login(member)
    response = client.get(reverse("reports:weekly_review", args=[team.slug, year, week]))
    _says(response, "Give a week between 1970 and 2200.")


def test_weekly_review_at_the_edges_works(client, team, member):
    client.force_login(member)
    for year, week in ((1970, 2), (2199, 52)):
        url = reverse("reports:weekly_review", args=[team.slug, year, week])
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["reports:load_review", "reports:load_csv"])
@pytest.mark.parametrize(
    ("start", "end"), [("2027-01-01", "9999-12-31"), ("0001-01-01", "0001-01-02")]
)
def test_report_periods_out_of_range_are_400(client, team, member, name, start, end):
    client.force_login(member)
    response = client.get(
        reverse(name, args=[team.slug]), {"period": "custom", "start": start, "end": end}
    )
    _says(response, DATE_MESSAGE)


def test_oncall_hours_csv_out_of_range_is_400(client, team, manager):
    client.force_login(manager)
    response = client.get(
        reverse("reports:compensation_csv", args=[team.slug]),
        {"period": "custom", "start": "2027-01-01", "end": "9999-12-31"},
    )
    _says(response, DATE_MESSAGE)


def test_holiday_out_of_range_is_refused(client, team, manager):
    client.force_login(manager)
    response = client.post(
        reverse("reports:holidays", args=[team.slug]), {"date": "9999-12-31", "name": "End"}
    )
    _says(response, DATE_MESSAGE)
    assert not Holiday.objects.filter(team=team).exists()


# ------------------------------------------------------------------------- swaps, time off
def test_swap_link_out_of_range_is_400_with_the_message(client, rota, member):
    client.force_login(member)
    response = client.get(
        reverse("swaps:new"),
        {
            "schedule": rota.pk,
            "shift_start": "9999-12-31T00:00:00+00:00",
            "shift_end": "9999-12-31T08:00:00+00:00",
        },
    )
    _says(response, TIME_MESSAGE)


def test_time_off_out_of_range_is_refused(client, member):
    client.force_login(member)
    response = client.post(
        reverse("swaps:time_off"), {"first_day": "2027-04-01", "last_day": "9999-12-31"}
    )
    _says(response, DATE_MESSAGE)
    assert not TimeOff.objects.filter(user=member).exists()


# ------------------------------------------------------------------------------ postmortems
def test_postmortem_search_out_of_range_is_400(client, member):
    client.force_login(member)
    response = client.get(reverse("postmortems:list"), {"date_to": "9999-12-31"})
    _says(response, DATE_MESSAGE)


def test_action_item_due_date_out_of_range_is_refused(client, team, manager):
    postmortem = factories.PostmortemFactory(incident__team=team)
    client.force_login(manager)
    response = client.post(
        reverse("postmortems:item_add", args=[postmortem.pk]),
        {"item-title": "Fix it", "item-owner": manager.username, "item-due_date": "9999-12-31"},
    )
    _says(response, DATE_MESSAGE)
    assert not postmortem.action_items.exists()


def test_a_time_written_in_range_far_east_of_utc_still_works(client, rota, member):
    """2199-12-31 23:00 in Kiritimati (UTC+14) is stored as 2199 UTC; the page shows it."""
    _in_zone(member, "Pacific/Kiritimati")
    client.force_login(member)
    start = datetime(2199, 12, 31, 9, 0)
    response = client.post(
        reverse("oncall:override_create", args=[rota.pk]),
        {
            "user": member.pk,
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "edge",
        },
    )
    assert response.status_code == 302
    viewer = factories.MembershipFactory(team=rota.team).user
    _in_zone(viewer, "Etc/GMT+12")
    client.force_login(viewer)
    page = client.get(rota.get_absolute_url(), {"start": "2199-12-30", "view": "week"})
    assert page.status_code == 200
