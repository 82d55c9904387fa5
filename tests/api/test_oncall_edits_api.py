"""Deleting schedules and editing overrides through the API (the roles: test_permissions.py).

A schedule is deleted only while nobody has been on call on it: its history is what reports
and pay rely on. An override is edited by its person, its creator or a manager, by the rules
for adding one, and never in its past: a running override keeps its person and start, a
finished one stays as it was.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from oncall import services
from oncall.models import Layer, Override, Schedule
from oncall.swaps.models import SwapOverride
from tests import factories

pytestmark = pytest.mark.django_db


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _override_url(world, override) -> str:
    return f"/api/v1/schedules/{world.schedule.pk}/overrides/{override.pk}/"


# ------------------------------------------------------------------------- schedule delete
def _fresh_schedule(world, **kwargs) -> Schedule:
    return factories.ScheduleFactory(team=world.team, name="Spare", **kwargs)


def test_a_schedule_nobody_was_on_call_on_is_deleted_with_its_plans(api, world):
    now = timezone.now()
    schedule = _fresh_schedule(world)
    # A layer created now whose rotation starts next month, and an override next week.
    factories.LayerFactory(
        schedule=schedule,
        participants=[world.member],
        valid_from=now - timedelta(minutes=5),
        rotation_start=(now + timedelta(days=30)).date(),
    )
    factories.OverrideFactory(
        schedule=schedule,
        user=world.member,
        start=now + timedelta(days=7),
        end=now + timedelta(days=8),
    )
    response = api(world.manager).delete(f"/api/v1/schedules/{schedule.pk}/")
    assert response.status_code == 204, response.content
    assert not Schedule.objects.filter(pk=schedule.pk).exists()
    assert not Layer.objects.filter(schedule_id=schedule.pk).exists()
    assert not Override.objects.filter(schedule_id=schedule.pk).exists()


def test_a_schedule_with_on_call_history_stays(api, world):
    # The world's schedule has had a weekly rotation since 2024.
    response = api(world.manager).delete(f"/api/v1/schedules/{world.schedule.pk}/")
    assert response.status_code == 400
    assert "history" in response.json()["non_field_errors"][0]
    assert Schedule.objects.filter(pk=world.schedule.pk).exists()
    assert Layer.objects.filter(schedule=world.schedule).count() == 1


def test_a_started_override_is_history_too(api, world):
    schedule = _fresh_schedule(world)
    now = timezone.now()
    factories.OverrideFactory(
        schedule=schedule,
        user=world.member,
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=1),
    )
    response = api(world.manager).delete(f"/api/v1/schedules/{schedule.pk}/")
    assert response.status_code == 400
    assert Schedule.objects.filter(pk=schedule.pk).exists()


def test_a_layer_removed_after_its_rotation_ran_keeps_the_schedule(world):
    """Even with no open layer left, the closed version's shifts are history."""
    schedule = _fresh_schedule(world)
    now = timezone.now()
    factories.LayerFactory(
        schedule=schedule,
        participants=[world.member],
        shift_unit=Layer.Unit.HOURS,
        rotation_start=(now - timedelta(days=3)).date(),
        valid_from=now - timedelta(days=2),
        valid_until=now - timedelta(days=1),
    )
    with pytest.raises(ValidationError):
        services.schedule_delete(schedule=schedule, now=now)


@pytest.mark.parametrize(
    "layer",
    [
        {"participants": []},  # nobody in the rotation
        {"participants": "member", "start_date_in_days": 10},  # starts later
        {"participants": "member", "active_days": [5]},  # never active yet
    ],
    ids=["empty", "later-start-date", "inactive-so-far"],
)
def test_a_layer_that_put_nobody_on_call_is_no_history(world, layer):
    # Monday 2025-03-03 12:00 UTC: a layer created on Monday 09:00, rotating daily from that
    # day, active only on Saturdays, has put nobody on call yet.
    now = datetime(2025, 3, 3, 12, tzinfo=UTC)
    schedule = _fresh_schedule(world)
    kwargs = {
        "schedule": schedule,
        "shift_unit": Layer.Unit.DAYS,
        "rotation_start": date(2025, 3, 3),
        "valid_from": datetime(2025, 3, 3, 9, tzinfo=UTC),
    }
    if layer["participants"]:
        kwargs["participants"] = [world.member]
    if "start_date_in_days" in layer:
        kwargs["start_date"] = date(2025, 3, 3) + timedelta(days=layer["start_date_in_days"])
    if "active_days" in layer:
        kwargs["active_days"] = layer["active_days"]
    factories.LayerFactory(**kwargs)
    services.schedule_delete(schedule=schedule, now=now)
    assert not Schedule.objects.filter(pk=schedule.pk).exists()


def test_a_schedule_an_escalation_policy_pages_is_not_deleted(api, world):
    schedule = _fresh_schedule(world)
    world.step.schedules.add(schedule)
    response = api(world.manager).delete(f"/api/v1/schedules/{schedule.pk}/")
    assert response.status_code == 400
    assert world.policy.name in response.json()["non_field_errors"][0]
    assert schedule.escalation_steps.count() == 1


def test_only_managers_delete_and_unknown_schedules_are_404(api, world):
    schedule = _fresh_schedule(world)
    assert api(world.member).delete(f"/api/v1/schedules/{schedule.pk}/").status_code == 403
    assert api(world.other_manager).delete(f"/api/v1/schedules/{schedule.pk}/").status_code == 403
    assert api(world.manager).delete("/api/v1/schedules/999999/").status_code == 404
    assert Schedule.objects.filter(pk=schedule.pk).exists()


# -------------------------------------------------------------------------- override edits
def test_member_moves_their_own_override(api, world):
    now = timezone.now()
    start, end = now + timedelta(days=3), now + timedelta(days=4)
    response = api(world.member).patch(
        _override_url(world, world.override),
        {"start": _iso(start), "end": _iso(end), "reason": "Moved"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == world.override.pk
    assert body["user"]["username"] == world.member.username
    assert body["reason"] == "Moved"
    world.override.refresh_from_db()
    assert (world.override.start, world.override.end) == (start, end)
    assert world.override.created_by == world.member  # the creator stays


def test_put_replaces_times_and_reason_and_keeps_the_person(api, world):
    now = timezone.now()
    body = {
        "start": _iso(now + timedelta(hours=5)),
        "end": _iso(now + timedelta(hours=9)),
        "reason": "x",
    }
    response = api(world.manager).put(_override_url(world, world.override), body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["username"] == world.member.username
    missing = api(world.manager).put(
        _override_url(world, world.override), {"reason": "y"}, format="json"
    )
    assert missing.status_code == 400
    assert set(missing.json()) == {"start", "end"}


def test_manager_hands_an_override_to_another_member(api, world):
    response = api(world.manager).patch(
        _override_url(world, world.override), {"user": world.manager.username}, format="json"
    )
    assert response.status_code == 200, response.content
    world.override.refresh_from_db()
    assert world.override.user == world.manager


def test_member_may_not_hand_their_override_to_someone_else(api, world):
    before = Override.objects.values().get(pk=world.override.pk)
    response = api(world.member).patch(
        _override_url(world, world.override), {"user": world.manager.username}, format="json"
    )
    assert response.status_code == 400
    assert "user" in response.json()
    assert Override.objects.values().get(pk=world.override.pk) == before


def test_member_may_not_edit_someone_elses_override(api, world):
    now = timezone.now()
    theirs = factories.OverrideFactory(
        schedule=world.schedule,
        user=world.manager,
        created_by=world.manager,
        start=now + timedelta(days=5),
        end=now + timedelta(days=6),
    )
    response = api(world.member).patch(
        _override_url(world, theirs), {"reason": "mine now"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"]
    theirs.refresh_from_db()
    assert theirs.reason == "Cover"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda now: {"end": _iso(now + timedelta(hours=1))}, "end"),  # before its start
        (lambda now: {"start": _iso(now - timedelta(hours=1))}, "start"),  # into the past
        (lambda now: {"start": "tomorrow"}, "start"),
        (lambda now: {"end": "9999-01-01T00:00:00Z"}, "end"),
        (lambda now: {"reason": ""}, "reason"),
        (lambda now: {"user": "nobody-at-all"}, "user"),
    ],
    ids=[
        "end-before-start",
        "start-in-past",
        "not-a-time",
        "far-future",
        "blank-reason",
        "no-user",
    ],
)
def test_bad_edits_are_400_per_field_and_change_nothing(api, world, change, field):
    before = Override.objects.values().get(pk=world.override.pk)
    response = api(world.manager).patch(
        _override_url(world, world.override), change(timezone.now()), format="json"
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert Override.objects.values().get(pk=world.override.pk) == before


def test_the_new_person_must_be_in_the_team(api, world):
    response = api(world.manager).patch(
        _override_url(world, world.override), {"user": world.outsider.username}, format="json"
    )
    assert response.status_code == 400
    assert "not a member" in response.json()["user"][0]
    world.override.refresh_from_db()
    assert world.override.user == world.member


def test_a_running_override_keeps_its_past(api, world):
    now = timezone.now()
    running = factories.OverrideFactory(
        schedule=world.schedule,
        user=world.member,
        created_by=world.member,
        start=now - timedelta(hours=2),
        end=now + timedelta(hours=2),
    )
    client = api(world.manager)
    url = _override_url(world, running)
    for change, field in (
        ({"start": _iso(now - timedelta(hours=1))}, "start"),
        ({"user": world.manager.username}, "user"),
        ({"end": _iso(now - timedelta(minutes=30))}, "end"),
    ):
        response = client.patch(url, change, format="json")
        assert response.status_code == 400, change
        assert field in response.json(), response.json()
    running.refresh_from_db()
    assert running.start == now - timedelta(hours=2) and running.end == now + timedelta(hours=2)
    # Its end and reason may change: longer, or shorter as long as it ends after now.
    later = now + timedelta(hours=6)
    response = client.patch(url, {"end": _iso(later), "reason": "Longer"}, format="json")
    assert response.status_code == 200, response.content
    running.refresh_from_db()
    assert (running.start, running.end, running.reason) == (
        now - timedelta(hours=2),
        later,
        "Longer",
    )


def test_a_finished_override_cannot_change(api, world):
    now = timezone.now()
    finished = factories.OverrideFactory(
        schedule=world.schedule,
        user=world.member,
        created_by=world.member,
        start=now - timedelta(hours=5),
        end=now - timedelta(hours=1),
    )
    response = api(world.manager).patch(
        _override_url(world, finished), {"end": _iso(now + timedelta(hours=1))}, format="json"
    )
    assert response.status_code == 400
    assert "history" in response.json()["non_field_errors"][0]
    finished.refresh_from_db()
    assert finished.end == now - timedelta(hours=1)


def test_an_override_of_a_swap_changes_with_the_request(api, world):
    link = SwapOverride.objects.create(
        request=world.swap, override=world.override, covers_for=world.member
    )
    response = api(world.manager).patch(
        _override_url(world, link.override), {"reason": "edited"}, format="json"
    )
    assert response.status_code == 400
    assert "swap" in response.json()["non_field_errors"][0]


def test_editing_an_override_of_another_schedule_is_404(api, world):
    other = factories.ScheduleFactory(team=world.team, name="Other")
    response = api(world.manager).patch(
        f"/api/v1/schedules/{other.pk}/overrides/{world.override.pk}/",
        {"reason": "x"},
        format="json",
    )
    assert response.status_code == 404


# ------------------------------------------------------------------ personal feed address
def test_regenerating_your_feed_address_stops_the_old_one(api, world, client):
    api_client = api(world.member)
    old = api_client.post("/api/v1/rota-preferences/regenerate-feed-token/").json()["feed_url"]
    response = api_client.post("/api/v1/rota-preferences/regenerate-feed-token/")
    assert response.status_code == 200, response.content
    new = response.json()["feed_url"]
    assert new != old and new.endswith(".ics")
    # Shown once: reading the preferences does not give it again (it is stored hashed).
    assert api_client.get("/api/v1/rota-preferences/").json()["feed_url"] is None
    assert client.get(old.removeprefix("http://testserver")).status_code == 404
    assert client.get(new.removeprefix("http://testserver")).status_code == 200
    assert api_client.get("/api/v1/rota-preferences/regenerate-feed-token/").status_code == 405
