"""Postmortems (read) and action items (create, update, complete) through the API
(permissions: tests/api/test_permissions.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.postmortems.models import ActionItem
from tests import factories

pytestmark = pytest.mark.django_db


def test_published_postmortems_for_everyone_drafts_for_their_team(api, world):
    factories.PostmortemSectionFactory(postmortem=world.published, body="The disk filled up.")
    outsider = api(world.outsider)
    listed = outsider.get("/api/v1/postmortems/").json()["results"]
    assert [p["id"] for p in listed] == [world.published.pk]
    assert outsider.get("/api/v1/postmortems/?q=disk").json()["count"] == 1
    assert outsider.get("/api/v1/postmortems/?q=kernel").json()["count"] == 0
    assert outsider.get("/api/v1/postmortems/?team=payments").json()["count"] == 0
    assert outsider.get("/api/v1/postmortems/?team=nope").status_code == 400
    assert outsider.get("/api/v1/postmortems/?in_progress=true").json()["count"] == 0

    member = api(world.member)
    in_progress = member.get("/api/v1/postmortems/?in_progress=true").json()["results"]
    assert [p["id"] for p in in_progress] == [world.postmortem.pk]
    draft = member.get(f"/api/v1/postmortems/{world.postmortem.pk}/").json()
    assert draft["status"] == "draft" and draft["can_edit"] is True
    assert [s["title"] for s in draft["sections"]] == ["Summary"]
    assert [i["id"] for i in draft["action_items"]] == [world.action_item.pk]
    assert outsider.get(f"/api/v1/postmortems/{world.postmortem.pk}/").status_code == 403


def test_action_item_lifecycle(api, world):
    manager = api(world.manager)
    created = manager.post(
        "/api/v1/action-items/",
        {
            "postmortem": world.postmortem.pk,
            "title": "Alert before the disk fills",
            "owner": world.member.username,
            "service": "checkout",
            "tracker_url": "https://tracker.example/OPS-1",
        },
    )
    assert created.status_code == 201, created.json()
    item = created.json()
    # Without a due date: the team's default for the severity (SEV3: 30 days).
    assert item["due_date"] == str(timezone.localdate() + timedelta(days=30))
    assert item["owner"]["username"] == world.member.username and item["status"] == "open"

    member = api(world.member)
    mine = member.get("/api/v1/action-items/").json()["results"]
    assert {i["id"] for i in mine} == {world.action_item.pk, item["id"]}
    moved = member.patch(f"/api/v1/action-items/{item['id']}/", {"priority": 1})
    assert moved.json()["priority"] == 1 and moved.json()["title"] == item["title"]
    past = member.patch(f"/api/v1/action-items/{item['id']}/", {"due_date": "2020-01-01"})
    assert past.status_code == 400 and "due_date" in past.json()

    wont = member.post(f"/api/v1/action-items/{item['id']}/status/", {"status": "wont_do"})
    assert wont.status_code == 400 and "reason" in wont.json()
    done = member.post(f"/api/v1/action-items/{item['id']}/complete/").json()
    assert done["status"] == "done" and done["closed_by"]["username"] == world.member.username
    assert [i["id"] for i in member.get("/api/v1/action-items/").json()["results"]] == [
        world.action_item.pk
    ]
    closed_too = member.get("/api/v1/action-items/?include_closed=true").json()["count"]
    assert closed_too == 2
    reopened = member.post(f"/api/v1/action-items/{item['id']}/status/", {"status": "open"})
    assert reopened.json()["status"] == "open" and reopened.json()["closed_by"] is None


def test_team_items_and_overdue(api, world):
    ActionItem.objects.filter(pk=world.action_item.pk).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )
    client = api(world.member)
    team = client.get("/api/v1/action-items/?team=payments").json()["results"]
    assert [i["id"] for i in team] == [world.action_item.pk] and team[0]["overdue"] is True
    overdue = client.get("/api/v1/action-items/?team=payments&overdue=true").json()
    assert overdue["count"] == 1
    assert client.get("/api/v1/action-items/?team=nope").status_code == 404
    # The item's postmortem is a draft, which an outsider may not read: nor its items.
    hidden = api(world.outsider).get("/api/v1/action-items/?team=payments").json()
    assert hidden["count"] == 0


def test_items_need_an_editor_of_the_postmortem(api, world):
    refused = api(world.outsider).post(
        "/api/v1/action-items/",
        {"postmortem": world.published.pk, "title": "x", "owner": world.outsider.username},
    )
    assert refused.status_code == 403
    unknown_owner = api(world.manager).post(
        "/api/v1/action-items/",
        {"postmortem": world.postmortem.pk, "title": "x", "owner": "ghost"},
    )
    assert unknown_owner.status_code == 400
    assert unknown_owner.json() == {"owner": ["No active user called ghost."]}
