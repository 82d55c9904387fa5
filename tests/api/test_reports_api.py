"""A team's holidays through the API, as on the holiday page: members (and staff) read them,
managers (and staff) add and remove them; outsiders get 403 and unknown teams 404."""

import pytest

from portal.reports.models import Holiday
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/teams/payments/holidays/"


@pytest.fixture
def holiday(world):
    return factories.HolidayFactory(team=world.team, date="2025-12-25", name="Christmas")


def test_members_read_the_list_earliest_first(api, world, holiday):
    factories.HolidayFactory(team=world.team, date="2025-01-01", name="New Year")
    factories.HolidayFactory(team=world.other_team, date="2025-05-01", name="Not ours")
    body = api(world.member).get(URL).json()
    assert body["count"] == 2  # page-number pagination
    assert [(h["date"], h["name"]) for h in body["results"]] == [
        ("2025-01-01", "New Year"),
        ("2025-12-25", "Christmas"),
    ]
    one = api(world.member).get(f"{URL}{holiday.pk}/").json()
    assert one == {"id": holiday.pk, "date": "2025-12-25", "name": "Christmas"}


def test_manager_adds_and_removes(api, world):
    client = api(world.manager)
    response = client.post(URL, {"date": "2025-12-26", "name": " Boxing Day "}, format="json")
    assert response.status_code == 201, response.content
    created = Holiday.objects.get(pk=response.json()["id"])
    assert (created.team, str(created.date), created.name) == (
        world.team,
        "2025-12-26",
        "Boxing Day",
    )
    assert client.delete(f"{URL}{created.pk}/").status_code == 204
    assert not Holiday.objects.filter(pk=created.pk).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date": "2025-12-25", "name": "Again"}, "date"),  # one per day
        ({"date": "25/12/2025", "name": "Christmas"}, "date"),
        ({"date": "9999-12-25", "name": "Far"}, "date"),
        ({"date": "2025-12-24", "name": "   "}, "name"),
        ({"date": "2025-12-24", "name": "x" * 121}, "name"),
        ({"name": "No day"}, "date"),
    ],
    ids=["duplicate", "bad-date", "far-future", "blank-name", "long-name", "no-date"],
)
def test_bad_holiday_is_400_per_field_and_saves_nothing(api, world, holiday, data, field):
    response = api(world.manager).post(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert list(Holiday.objects.values_list("pk", flat=True)) == [holiday.pk]


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("anonymous", 401, 401),
        ("outsider", 403, 403),
        ("other_manager", 403, 403),  # a manager of another team
        ("member", 200, 403),
        ("manager", 200, 201),
        ("staff", 200, 201),
    ],
)
def test_roles(api, world, holiday, role, read, write):
    client = api(None if role == "anonymous" else getattr(world, role))
    assert client.get(URL).status_code == read
    assert client.get(f"{URL}{holiday.pk}/").status_code == read
    response = client.post(URL, {"date": "2025-11-11", "name": "Armistice"}, format="json")
    assert response.status_code == write
    assert response.json()
    delete = client.delete(f"{URL}{holiday.pk}/")
    assert delete.status_code == (204 if write == 201 else write)
    assert Holiday.objects.filter(pk=holiday.pk).exists() == (write != 201)


def test_unknown_team_or_holiday_is_404(api, world, holiday):
    other = factories.HolidayFactory(team=world.other_team, date="2025-05-01")
    client = api(world.manager)
    assert client.get("/api/v1/teams/nope/holidays/").status_code == 404
    assert client.post("/api/v1/teams/nope/holidays/", {}, format="json").status_code == 404
    # Another team's holiday is not reachable through this team.
    assert client.get(f"{URL}{other.pk}/").status_code == 404
    assert client.delete(f"{URL}{other.pk}/").status_code == 404
    assert Holiday.objects.filter(pk=other.pk).exists()
