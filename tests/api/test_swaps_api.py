"""Swap and cover requests and time off through the API (permissions:
tests/api/test_permissions.py). The world's request: the member asks the whole team to cover
their next week-long shift."""

from datetime import timedelta

import pytest
from django.utils import timezone

from oncall.swaps.models import SwapRequest, TimeOff

pytestmark = pytest.mark.django_db


def _mid(shift):
    return (shift.start + (shift.end - shift.start) / 2).isoformat().replace("+00:00", "Z")


def test_a_colleague_takes_an_open_request_and_the_rota_follows(api, world):
    manager = api(world.manager)
    listed = manager.get("/api/v1/swap-requests/?box=open").json()["results"]
    assert [r["id"] for r in listed] == [world.swap.pk]
    assert listed[0]["my_reason"] == "" and listed[0]["actions"]["accept"] is True

    taken = manager.post(f"/api/v1/swap-requests/{world.swap.pk}/accept/")
    assert taken.status_code == 200
    body = taken.json()
    assert body["status"] == "accepted" and body["taker"]["username"] == world.manager.username
    assert [o["user"]["username"] for o in body["overrides"]] == [world.manager.username]
    assert [e["action"] for e in body["events"]] == ["created", "accepted"]
    oncall = manager.get(
        f"/api/v1/oncall/?schedule={world.schedule.pk}&at={_mid(world.member_shift)}"
    ).json()
    assert oncall["users"][0]["username"] == world.manager.username
    assert oncall["schedules"][0]["on_call"]["source"] == "override"

    # Revert: one of the two asks, the other confirms; the override goes.
    asked = api(world.member).post(f"/api/v1/swap-requests/{world.swap.pk}/revert/").json()
    assert asked["status"] == "accepted" and asked["revert_asked_by"]["id"] == world.member.pk
    done = manager.post(f"/api/v1/swap-requests/{world.swap.pk}/revert/").json()
    assert done["status"] == "reverted"
    oncall = manager.get(
        f"/api/v1/oncall/?schedule={world.schedule.pk}&at={_mid(world.member_shift)}"
    ).json()
    assert oncall["users"][0]["username"] == world.member.username


def test_a_named_swap_waits_for_a_manager_when_the_team_says_so(api, world, staff):
    world.team.swap_approval_required = True
    world.team.save(update_fields=["swap_approval_required"])
    member = api(world.member)
    shift = world.member_next_shift
    manager_week = shift.start - timedelta(days=7)  # the manager holds the week before
    created = member.post(
        "/api/v1/swap-requests/",
        {
            "schedule": world.schedule.pk,
            "shift_start": shift.start.isoformat(),
            "shift_end": shift.end.isoformat(),
            "kind": "swap",
            "target": world.manager.username,
            "swap_start": manager_week.isoformat(),
            "swap_end": shift.start.isoformat(),
        },
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["target"]["username"] == world.manager.username
    to_me = api(world.manager).get("/api/v1/swap-requests/?box=to_me").json()["results"]
    assert [r["id"] for r in to_me] == [pk]
    accepted = api(world.manager).post(f"/api/v1/swap-requests/{pk}/accept/").json()
    assert accepted["status"] == "awaiting_approval" and accepted["overrides"] == []
    other = api(world.other_manager).post(f"/api/v1/swap-requests/{pk}/approve/")
    assert other.status_code == 403  # not a manager of this team (and not even in it)
    approved = api(staff).post(f"/api/v1/swap-requests/{pk}/approve/").json()
    assert approved["status"] == "accepted" and len(approved["overrides"]) == 2


def test_refusals_come_from_the_swap_service(api, world):
    member = api(world.member)
    again = member.post(
        "/api/v1/swap-requests/",
        {
            "schedule": world.schedule.pk,
            "shift_start": world.member_shift.start.isoformat(),
            "shift_end": world.member_shift.end.isoformat(),
        },
    )
    assert again.status_code == 400 and "already an open request" in str(again.json())
    not_mine = member.post(
        "/api/v1/swap-requests/",
        {
            "schedule": world.schedule.pk,
            "shift_start": world.member_next_shift.start.isoformat(),
            "shift_end": world.member_next_shift.end.isoformat(),
            "requester": world.manager.username,
        },
    )
    assert not_mine.status_code == 403  # only managers ask for somebody else
    declined = api(world.manager).post(f"/api/v1/swap-requests/{world.swap.pk}/decline/")
    assert declined.json()["status"] == "pending"  # passing on an open request keeps it open
    withdrawn = member.post(f"/api/v1/swap-requests/{world.swap.pk}/withdraw/").json()
    assert withdrawn["status"] == "withdrawn"
    late = api(world.manager).post(f"/api/v1/swap-requests/{world.swap.pk}/accept/")
    assert late.status_code == 400
    assert late.json() == {"non_field_errors": ["This request was withdrawn."]}
    assert SwapRequest.objects.get(pk=world.swap.pk).taker is None


def test_history_and_my_requests(api, world):
    member = api(world.member)
    assert [r["id"] for r in member.get("/api/v1/swap-requests/?box=mine").json()["results"]] == [
        world.swap.pk
    ]
    history = member.get("/api/v1/swap-requests/").json()["results"]
    assert history[0]["schedule"] == {
        "id": world.schedule.pk,
        "name": "Primary",
        "team": "payments",
    }
    assert member.get("/api/v1/swap-requests/?box=everything").status_code == 400


def test_time_off(api, world):
    member = api(world.member)
    start = timezone.now() + timedelta(days=120)
    created = member.post(
        "/api/v1/time-off/",
        {"start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat()},
    )
    assert created.status_code == 201
    overlapping = member.post(
        "/api/v1/time-off/",
        {"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()},
    )
    assert overlapping.status_code == 400
    listed = member.get("/api/v1/time-off/").json()["results"]
    assert [t["id"] for t in listed] == [world.time_off.pk, created.json()["id"]]
    assert api(world.manager).get("/api/v1/time-off/").json()["results"] == []
    assert member.delete(f"/api/v1/time-off/{created.json()['id']}/").status_code == 204
    assert TimeOff.objects.filter(user=world.member).count() == 1
