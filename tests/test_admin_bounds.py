"""Issue 15: the admin's forms take dates in 1970-2199, like every other form and the API."""

import pytest
from django.urls import reverse

from oncall.models import Override
from portal.reports.models import Holiday
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_override_in_year_9999_is_refused_in_the_admin(admin_client, team, member):
    schedule = factories.ScheduleFactory(team=team)
    data = {
        "schedule": schedule.pk,
        "user": member.pk,
        "start_0": "9999-12-31",
        "start_1": "20:00",
        "end_0": "9999-12-31",
        "end_1": "23:00",
        "reason": "",
    }
    response = admin_client.post(reverse("admin:oncall_override_add"), data)
    assert response.status_code == 200
    assert "Give a time between 1970 and 2200." in response.content.decode()
    assert not Override.objects.exists()
    data.update(start_0="2027-01-01", end_0="2027-01-01")
    assert admin_client.post(reverse("admin:oncall_override_add"), data).status_code == 302
    assert Override.objects.count() == 1


def test_a_holiday_in_year_1_is_refused_in_the_admin(admin_client, team):
    data = {"team": team.pk, "date": "0001-01-01", "name": "Year one"}
    response = admin_client.post(reverse("admin:reports_holiday_add"), data)
    assert response.status_code == 200
    assert "Give a date between 1970 and 2200." in response.content.decode()
    assert not Holiday.objects.exists()
