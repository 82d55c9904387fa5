"""Rotas through the API: schedules, layers, overrides, the final schedule and who is on call
(permissions: tests/api/test_permissions.py). The world's layer is weekly from Monday
2024-01-01 09:00 UTC: member, manager, member, ... (week 53 = 2025-01-06 is the manager's)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from oncall.models import Layer, Override, Schedule
from tests import factories

pytestmark = pytest.mark.django_db

WEEK_53 = "2025-01-06T09:00:00Z"
WEEK_54 = "2025-01-13T09:00:00Z"


def test_who_is_on_call_by_team_service_and_schedule(api, world):
    client = api(world.outsider)  # anyone signed in may ask
    for query in ("team=payments", "service=checkout", f"schedule={world.schedule.pk}"):
        body = client.get(f"/api/v1/oncall/?{query}&at=2025-01-08T12:00:00Z").json()
        assert body["at"] == "2025-01-08T12:00:00Z"
        assert [u["username"] for u in body["users"]] == [world.manager.username], query
        (row,) = body["schedules"]
        assert row["schedule"]["id"] == world.schedule.pk
        assert row["on_call"]["start"] == WEEK_53 and row["on_call"]["end"] == WEEK_54
        assert row["on_call"]["source"] == "layer"
        assert row["next"]["user"]["username"] == world.member.username
        assert row["next"]["start"] == WEEK_54


def test_who_is_on_call_ends_at_the_end_of_the_continuous_run(api, world):
    """The manager's week 53 is followed by an override of theirs over the member's week 54,
    then their own week 55: "end" is the end of the run (2025-01-27), "next" the member."""
    factories.OverrideFactory(
        schedule=world.schedule,
        user=world.manager,
        start=datetime(2025, 1, 13, 9, tzinfo=UTC),
        end=datetime(2025, 1, 20, 9, tzinfo=UTC),
    )
    body = api(world.member).get("/api/v1/oncall/?team=payments&at=2025-01-08T12:00:00Z").json()
    (row,) = body["schedules"]
    assert row["on_call"]["start"] == WEEK_53
    assert row["on_call"]["end"] == "2025-01-27T09:00:00Z"
    assert row["next"]["user"]["username"] == world.member.username
    assert row["next"]["start"] == "2025-01-27T09:00:00Z"


def test_who_is_on_call_now_defaults_to_now(api, world):
    body = api(world.member).get("/api/v1/oncall/?team=payments").json()
    at = datetime.fromisoformat(body["at"])
    assert abs(at - timezone.now()) < timedelta(minutes=1)
    assert len(body["users"]) == 1


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("team=payments&service=checkout", 400),
        ("team=nope", 404),
        ("service=nope", 404),
        ("schedule=999999", 404),
        ("team=payments&at=yesterday", 400),
        ("team=payments&at=9999-12-31T23:59:59Z", 400),
    ],
)
def test_who_is_on_call_refuses_bad_questions(api, world, query, status):
    response = api(world.member).get(f"/api/v1/oncall/?{query}")
    assert response.status_code == status
    assert response.json()


def test_shifts_are_the_final_schedule_over_the_window(api, world):
    url = f"/api/v1/schedules/{world.schedule.pk}/shifts/"
    body = (
        api(world.member).get(f"{url}?start=2025-01-06T00:00:00Z&end=2025-01-20T00:00:00Z").json()
    )
    assert [(s["start"], s["end"], s["user"]["username"]) for s in body] == [
        ("2025-01-06T00:00:00Z", WEEK_53, world.member.username),
        (WEEK_53, WEEK_54, world.manager.username),
        (WEEK_54, "2025-01-20T00:00:00Z", world.member.username),
    ]
    too_long = api(world.member).get(f"{url}?start=2025-01-01T00:00:00Z&end=2025-12-01T00:00:00Z")
    assert too_long.status_code == 400 and "at most" in too_long.json()["end"][0]
    backwards = api(world.member).get(f"{url}?start=2025-01-02T00:00:00Z&end=2025-01-01T00:00:00Z")
    assert backwards.status_code == 400


def test_an_override_beats_the_layers(api, world):
    client = api(world.member)
    response = client.post(
        f"/api/v1/schedules/{world.schedule.pk}/overrides/",
        {"start": "2030-01-08T10:00:00Z", "end": "2030-01-08T12:00:00Z", "reason": "swap"},
    )
    assert response.status_code == 201
    assert response.json()["user"]["username"] == world.member.username
    assert response.json()["created_by"]["username"] == world.member.username
    body = client.get(
        f"/api/v1/oncall/?schedule={world.schedule.pk}&at=2030-01-08T11:00:00Z"
    ).json()
    assert body["schedules"][0]["on_call"]["source"] == "override"
    assert body["users"][0]["username"] == world.member.username
    listed = client.get(f"/api/v1/schedules/{world.schedule.pk}/overrides/").json()["results"]
    assert len(listed) == 2  # the world's and this one, both still to come


def test_override_rules_come_from_the_rota_service(api, world):
    client = api(world.manager)
    url = f"/api/v1/schedules/{world.schedule.pk}/overrides/"
    past = client.post(
        url,
        {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z", "reason": "late"},
    )
    assert past.status_code == 400 and "already be over" in past.json()["end"][0]
    stranger = client.post(
        url,
        {
            "user": world.outsider.username,
            "start": "2030-01-01T00:00:00Z",
            "end": "2030-01-02T00:00:00Z",
            "reason": "x",
        },
    )
    assert stranger.status_code == 400 and "user" in stranger.json()
    assert Override.objects.count() == 1


def test_removing_someone_elses_override_needs_a_manager(api, world):
    other = factories.MembershipFactory(team=world.team).user
    url = f"/api/v1/schedules/{world.schedule.pk}/overrides/{world.override.pk}/"
    assert api(other).delete(url).status_code == 403
    assert api(world.manager).delete(url).status_code == 204
    assert not Override.objects.filter(pk=world.override.pk).exists()


def test_schedule_create_and_update(api, world):
    client = api(world.manager)
    created = client.post(
        "/api/v1/schedules/",
        {"team": "payments", "name": "Nights", "time_zone": "Europe/Berlin"},
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert created.json()["layers"] == [] and created.json()["feed_url"] is None
    dup = client.post("/api/v1/schedules/", {"team": "payments", "name": "Nights"})
    assert dup.status_code == 400 and "name" in dup.json()
    zone = client.post(
        "/api/v1/schedules/", {"team": "payments", "name": "Z", "time_zone": "Nowhere/Land"}
    )
    assert zone.status_code == 400 and "time_zone" in zone.json()
    renamed = client.patch(f"/api/v1/schedules/{pk}/", {"description": "After hours"})
    assert renamed.json()["name"] == "Nights"
    assert Schedule.objects.get(pk=pk).description == "After hours"
    # The feed address is shown once, in the answer that makes it (it is stored hashed).
    made = client.post(f"/api/v1/schedules/{pk}/regenerate-feed-token/")
    assert made.status_code == 200 and made.json()["feed_url"].endswith(".ics")
    assert client.get(f"/api/v1/schedules/{pk}/").json()["feed_url"] is None
    assert api(world.outsider).get(f"/api/v1/schedules/{pk}/").json()["feed_url"] is None
    listed = api(world.outsider).get("/api/v1/schedules/?team=payments").json()
    assert [s["name"] for s in listed["results"]] == ["Nights", "Primary"]


def test_layer_lifecycle_keeps_the_past(api, world):
    client = api(world.manager)
    base = f"/api/v1/schedules/{world.schedule.pk}/layers/"
    created = client.post(
        base,
        {
            "name": "Business hours",
            "participants": [world.manager.username, world.member.username],
            "shift_length": 1,
            "shift_unit": "days",
            "rotation_start": "2025-01-06",
            "handoff_time": "09:00",
            "active_days": [0, 1, 2, 3, 4],
            "active_start": "09:00",
            "active_end": "18:00",
        },
    )
    assert created.status_code == 201, created.json()
    layer = created.json()
    assert [p["username"] for p in layer["participants"]] == [
        world.manager.username,
        world.member.username,
    ]
    assert layer["position"] == 1 and layer["active_days"] == [0, 1, 2, 3, 4]

    # An edit of a layer in force starts a new version; the old id still leads to it.
    old = world.layer
    edited = client.patch(f"{base}{old.pk}/", {"participants": [world.manager.username]})
    assert edited.status_code == 200
    new_id = edited.json()["id"]
    assert new_id != old.pk and edited.json()["lineage"] == str(old.lineage)
    old.refresh_from_db()
    assert old.valid_until is not None  # history kept
    assert client.get(f"{base}{old.pk}/").json()["id"] == new_id

    moved = client.post(f"{base}{new_id}/move/", {"direction": "up"})
    assert moved.status_code == 200
    assert [x["name"] for x in client.get(base).json()][-1] == old.name

    assert client.delete(f"{base}{new_id}/").status_code == 204
    assert client.get(f"{base}{new_id}/").status_code == 404
    assert Layer.objects.filter(lineage=old.lineage).count() >= 2  # the past stays


def test_layer_refuses_outsiders_and_bad_windows(api, world):
    base = f"/api/v1/schedules/{world.schedule.pk}/layers/"
    response = api(world.manager).post(
        base,
        {
            "name": "X",
            "participants": [world.outsider.username, "ghost"],
            "rotation_start": "2025-01-06",
            "active_start": "09:00",
        },
    )
    assert response.status_code == 400
    assert "participants" in response.json()
    response = api(world.manager).post(
        base,
        {
            "name": "X",
            "participants": [world.outsider.username],
            "rotation_start": "2025-01-06",
            "active_start": "09:00",
        },
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"active_end"}


def test_my_shifts_and_reminder_settings(api, world):
    client = api(world.member)
    start = datetime(2025, 1, 6, tzinfo=UTC)
    body = client.get(
        "/api/v1/my-shifts/?start=2025-01-06T00:00:00Z&end=2025-01-27T00:00:00Z"
    ).json()
    assert {s["schedule"]["id"] for s in body} == {world.schedule.pk}
    assert all(datetime.fromisoformat(s["start"]) >= start for s in body)
    assert [s["start"] for s in body] == ["2025-01-06T00:00:00Z", WEEK_54]

    prefs = client.get("/api/v1/rota-preferences/").json()
    assert prefs["reminder_lead_minutes"] == 60 and prefs["feed_url"] is None  # shown once
    changed = client.patch("/api/v1/rota-preferences/", {"day_before": True})
    assert changed.json()["day_before"] is True and changed.json()["reminder_lead_minutes"] == 60
    refused = client.patch("/api/v1/rota-preferences/", {"reminder_lead_minutes": 1})
    assert refused.status_code == 400 and "reminder_lead_minutes" in refused.json()
