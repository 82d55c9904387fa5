"""Teams, members and the profile through the API (permissions: tests/api/test_permissions.py)."""

import pytest

from portal.people.models import Membership, Team
from tests import factories

pytestmark = pytest.mark.django_db


def test_team_list_counts_and_your_role(api, world, django_assert_max_num_queries):
    factories.TeamFactory.create_batch(5)
    client = api(world.member)
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/teams/").json()
    assert body["count"] == 7
    payments = next(t for t in body["results"] if t["slug"] == "payments")
    assert payments["member_count"] == 2
    assert payments["service_count"] == 1
    assert payments["your_role"] == "member"
    search = next(t for t in body["results"] if t["slug"] == "search")
    assert search["your_role"] is None


def test_team_list_is_paginated(api, user):
    factories.TeamFactory.create_batch(3)
    body = api(user).get("/api/v1/teams/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert api(user).get("/api/v1/teams/?page=9").status_code == 404


def test_staff_create_a_team_with_its_first_manager(api, staff, user):
    response = api(staff).post(
        "/api/v1/teams/", {"name": "Billing", "slug": "billing", "first_manager": user.username}
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "billing"
    team = Team.objects.get(slug="billing")
    assert Membership.objects.get(team=team).user == user
    assert Membership.objects.get(team=team).role == "manager"


def test_team_create_refuses_unknown_manager_and_taken_slug(api, staff, team):
    response = api(staff).post(
        "/api/v1/teams/", {"name": "X", "slug": team.slug, "first_manager": "nobody"}
    )
    assert response.status_code == 400
    assert response.json() == {"first_manager": ["No active user called nobody."]}
    response = api(staff).post(
        "/api/v1/teams/", {"name": "X", "slug": team.slug, "first_manager": staff.username}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["slug"]


def test_manager_edits_the_team(api, world):
    response = api(world.manager).patch(
        "/api/v1/teams/payments/", {"swap_approval_required": True, "max_consecutive_days": 3}
    )
    assert response.status_code == 200
    world.team.refresh_from_db()
    assert world.team.swap_approval_required and world.team.max_consecutive_days == 3


def test_members_add_role_remove(api, world):
    client = api(world.manager)
    listed = client.get("/api/v1/teams/payments/members/").json()
    assert [m["role"] for m in listed] == ["manager", "member"]  # managers first
    assert listed[1]["user"]["username"] == world.member.username

    added = client.post(
        "/api/v1/teams/payments/members/", {"username": world.outsider.username, "role": "member"}
    )
    assert added.status_code == 201 and added.json()["user"]["id"] == world.outsider.pk
    again = client.post("/api/v1/teams/payments/members/", {"username": world.outsider.username})
    assert again.status_code == 400 and "already in" in again.json()["user"][0]

    url = f"/api/v1/teams/payments/members/{world.outsider.username}/"
    assert client.patch(url, {"role": "manager"}).json()["role"] == "manager"
    assert client.delete(url).status_code == 204
    assert not Membership.objects.filter(team=world.team, user=world.outsider).exists()
    assert client.get(url).status_code == 404


def test_profile_read_and_update(api, user):
    client = api(user)
    assert client.get("/api/v1/profile/").json()["time_zone"] == "UTC"
    response = client.patch(
        "/api/v1/profile/",
        {"time_zone": "Europe/Berlin", "work_days": [4, 0, 0], "work_start": "08:30"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["time_zone"] == "Europe/Berlin"
    assert body["work_days"] == [0, 4]
    assert body["work_start"] == "08:30:00"
    user.profile.refresh_from_db()
    assert user.profile.time_zone == "Europe/Berlin"


def test_profile_refuses_bad_values_and_writes_nothing(api, user):
    client = api(user)
    response = client.patch("/api/v1/profile/", {"time_zone": "Mars/Olympus", "work_days": [9]})
    assert response.status_code == 400
    assert set(response.json()) == {"time_zone", "work_days"}  # both in the serializer
    response = client.patch("/api/v1/profile/", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    assert "Unknown time zone" in response.json()["time_zone"][0]
    response = client.patch("/api/v1/profile/", {"work_start": "19:00", "work_end": "18:00"})
    assert response.status_code == 400
    assert list(response.json()) == ["work_end"]
    user.profile.refresh_from_db()
    assert user.profile.time_zone == "UTC"
