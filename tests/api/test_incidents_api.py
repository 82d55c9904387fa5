"""Incidents, alerts, integrations, escalation policies and maintenance through the API
(permissions: tests/api/test_permissions.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import EscalationPolicy, Incident, IncidentEvent, Integration
from tests import factories

pytestmark = pytest.mark.django_db


def _all_pages(client, url):
    items = []
    while url:
        body = client.get(url).json()
        items += body["results"]
        url = body["next"]
    return items


def test_incident_list_filters_and_cursor_pages(api, world, django_assert_max_num_queries):
    now = timezone.now()
    for i in range(5):
        factories.IncidentFactory(
            team=world.other_team, severity=1, triggered_at=now - timedelta(minutes=i + 1)
        )
    resolved = factories.IncidentFactory(team=world.team, status="resolved")
    client = api(world.member)
    with django_assert_max_num_queries(8):
        first = client.get("/api/v1/incidents/?page_size=2").json()
    assert len(first["results"]) == 2 and "cursor=" in first["next"]
    everything = _all_pages(client, "/api/v1/incidents/?page_size=2")
    assert len(everything) == 6  # open ones by default, newest first, none twice
    assert len({i["id"] for i in everything}) == 6
    times = [i["triggered_at"] for i in everything]
    assert times == sorted(times, reverse=True)
    assert resolved.pk not in {i["id"] for i in everything}

    def ids(query):
        return {i["id"] for i in client.get(f"/api/v1/incidents/?{query}").json()["results"]}

    assert ids("team=payments") == {world.incident.pk}
    assert ids("service=checkout") == {world.incident.pk}
    assert len(ids("severity=1")) == 5
    resolved_ids = set(Incident.objects.filter(status="resolved").values_list("pk", flat=True))
    assert resolved.pk in resolved_ids  # with the world's postmortems' incidents
    assert ids("status=resolved") == resolved_ids
    assert ids("status=all") == set(Incident.objects.values_list("pk", flat=True))
    assert ids("mine=true") == {world.incident.pk}
    assert client.get("/api/v1/incidents/?team=nope").status_code == 400
    assert client.get("/api/v1/incidents/?status=sleeping").status_code == 400
    assert client.get("/api/v1/incidents/?cursor=garbage").status_code == 404


def test_declare_then_work_the_incident(api, world, django_capture_on_commit_callbacks):
    client = api(world.member)
    with django_capture_on_commit_callbacks() as callbacks:
        declared = client.post(
            "/api/v1/incidents/",
            {"title": "Checkout errors", "severity": 2, "services": ["checkout"]},
        )
    assert declared.status_code == 201
    body = declared.json()
    assert body["team"]["slug"] == "payments" and body["status"] == "triggered"
    assert body["created_by"]["username"] == world.member.username
    assert body["escalation"]["state"] in {"paging", "waiting", "finished"}
    assert callbacks, "escalation is kicked when the transaction commits"
    url = f"/api/v1/incidents/{body['id']}"

    acked = client.post(f"{url}/acknowledge/").json()
    assert acked["status"] == "acknowledged" and acked["escalation"]["state"] == "stopped"
    note = client.post(f"{url}/events/", {"text": "Rolling back.", "status_update": True})
    assert note.status_code == 201 and note.json()["kind"] == "status_update"
    assert client.post(f"{url}/severity/", {"severity": 1}).json()["severity"] == 1
    role = client.post(f"{url}/role/", {"role": "commander", "user": world.manager.username})
    assert role.json()["commander"]["username"] == world.manager.username
    cleared = client.post(f"{url}/role/", {"role": "commander", "user": None})
    assert cleared.json()["commander"] is None
    assert client.post(f"{url}/resolve/", {}).status_code == 400  # actionable is required
    resolved = client.post(f"{url}/resolve/", {"actionable": False, "note": "Noise."}).json()
    assert resolved["status"] == "resolved" and resolved["actionable"] is False
    again = client.post(f"{url}/acknowledge/")
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This incident is already resolved."]}

    kinds = [e["kind"] for e in client.get(f"{url}/events/").json()]
    assert kinds[0] == "resolved" and "acknowledged" in kinds and "status_update" in kinds


def test_declare_needs_a_service_or_a_team(api, world):
    response = api(world.outsider).post("/api/v1/incidents/", {"title": "Something"})
    assert response.status_code == 400
    assert response.json() == {"services": ["Name an affected service, or choose a team."]}
    by_team = api(world.outsider).post("/api/v1/incidents/", {"title": "X", "team": "search"})
    assert by_team.status_code == 201 and by_team.json()["team"]["slug"] == "search"


@pytest.mark.clock("2027-03-14T07:30:00Z")
def test_declaring_shares_one_limit_with_the_pages(api, client, world, settings):
    settings.INCIDENT_DECLARE_RATE = (3, 600)
    client.force_login(world.outsider)
    page = {"title": "Down", "severity": "1", "services": [world.service.pk]}
    assert client.post("/incidents/declare/", page).status_code == 302
    caller = api(world.outsider)
    body = {"title": "Down", "severity": 1, "services": ["checkout"]}
    assert [caller.post("/api/v1/incidents/", body).status_code for _ in range(3)] == [
        201,
        201,
        429,
    ]
    refused = caller.post("/api/v1/incidents/", body)
    assert refused["Retry-After"] == "600"
    assert "You have declared 3 incidents within 10 minutes" in refused.json()["detail"]
    assert client.post("/incidents/declare/", page).status_code == 429


def test_reassign_hands_it_to_the_other_team(api, world):
    client = api(world.member)
    response = client.post(f"/api/v1/incidents/{world.incident.pk}/reassign/", {"team": "search"})
    assert response.json()["team"]["slug"] == "search"
    # Now the member is no longer in the owning team: they may look but not act.
    assert response.json()["can_act"] is False
    assert client.post(f"/api/v1/incidents/{world.incident.pk}/acknowledge/").status_code == 403
    same = api(world.other_manager).post(
        f"/api/v1/incidents/{world.incident.pk}/reassign/", {"team": "search"}
    )
    assert same.status_code == 400 and "team" in same.json()


def test_alerts_filter_and_cursor(api, world):
    for _ in range(3):
        factories.AlertFactory(incident=world.incident, integration=world.integration)
    elsewhere = factories.AlertFactory(status="resolved")
    client = api(world.outsider)
    everything = _all_pages(client, "/api/v1/alerts/?page_size=2")
    assert len(everything) == 5
    by_incident = client.get(f"/api/v1/alerts/?incident={world.incident.pk}").json()["results"]
    assert len(by_incident) == 4 and all(a["incident"] == world.incident.pk for a in by_incident)
    assert by_incident[0]["integration"]["kind"] == "alertmanager"
    resolved = client.get("/api/v1/alerts/?status=resolved").json()["results"]
    assert [a["id"] for a in resolved] == [elsewhere.pk]
    assert len(client.get("/api/v1/alerts/?team=payments").json()["results"]) == 4
    assert client.get(f"/api/v1/alerts/?integration={world.integration.pk}").json()["results"]
    assert client.get("/api/v1/alerts/?incident=999999").status_code == 404


def test_integration_token_is_shown_once_and_works(api, world, client):
    manager = api(world.manager)
    created = manager.post(
        "/api/v1/integrations/",
        {
            "team": "payments",
            "service": "checkout",
            "name": "Generic",
            "kind": "generic",
            "severity_map": {"Page": 1},
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert created["Cache-Control"] == "no-store"
    integration = Integration.objects.get(pk=body["integration"]["id"])
    assert integration.service == world.service and integration.severity_map == {"page": 1}
    assert integration.token_matches(body["token"])
    assert body["webhook_url"].endswith(f"/hooks/generic/{body['token']}/")
    shown = manager.get(f"/api/v1/integrations/{integration.pk}/").json()
    assert "token" not in shown and shown["token_prefix"] == body["token"][:8]
    hook = client.post(
        body["webhook_url"].removeprefix("http://testserver"),
        {"summary": "Disk full", "dedup_key": "disk", "status": "firing"},
        content_type="application/json",
    )
    assert hook.status_code == 202

    rotated = manager.post(f"/api/v1/integrations/{integration.pk}/rotate-token/").json()
    assert rotated["token"] != body["token"]
    integration.refresh_from_db()
    assert integration.token_matches(rotated["token"])
    assert not integration.token_matches(body["token"])

    other = manager.post(
        "/api/v1/integrations/",
        {"team": "payments", "service": "index", "name": "X", "kind": "generic"},
    )
    assert other.status_code == 400 and "service" in other.json()
    listed = manager.get("/api/v1/integrations/?team=payments").json()["results"]
    assert {i["id"] for i in listed} == {world.integration.pk, integration.pk}
    assert manager.get("/api/v1/integrations/").status_code == 400  # name the team


def test_integration_settings(api, world):
    client = api(world.manager)
    url = f"/api/v1/integrations/{world.integration.pk}/"
    response = client.patch(url, {"enabled": False, "heartbeat_minutes": 15})
    assert response.status_code == 200
    world.integration.refresh_from_db()
    assert not world.integration.enabled and world.integration.heartbeat_since is not None
    bad = client.patch(url, {"severity_map": {"x": 7}, "rate_limit_per_minute": 0})
    assert bad.status_code == 400 and set(bad.json()) == {"severity_map", "rate_limit_per_minute"}


def test_policies_and_steps(api, world):
    client = api(world.manager)
    created = client.post(
        "/api/v1/escalation-policies/",
        {"team": "payments", "service": "checkout", "name": "Checkout", "repeat_count": 1},
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    dup = client.post(
        "/api/v1/escalation-policies/", {"team": "payments", "name": "Another default"}
    )
    assert dup.status_code == 400 and "default policy" in dup.json()["service"][0]

    steps = f"/api/v1/escalation-policies/{pk}/steps/"
    empty = client.post(steps, {"wait_minutes": 5})
    assert empty.status_code == 400
    assert empty.json() == {"non_field_errors": ["A step needs at least one target."]}
    added = client.post(steps, {"wait_minutes": 5, "schedules": [world.schedule.pk]})
    assert added.status_code == 201
    added = client.post(steps, {"users": [world.member.username], "notify_managers": True})
    step_ids = [s["id"] for s in added.json()["steps"]]
    assert added.json()["steps"][0]["schedules"] == [{"id": world.schedule.pk, "name": "Primary"}]
    moved = client.post(f"{steps}{step_ids[1]}/move/", {"direction": "up"}).json()
    assert [s["id"] for s in moved["steps"]] == step_ids[::-1]
    edited = client.patch(f"{steps}{step_ids[0]}/", {"wait_minutes": 30}).json()
    first = next(s for s in edited["steps"] if s["id"] == step_ids[0])
    assert first["wait_minutes"] == 30 and first["schedules"]  # other targets kept
    foreign = factories.ScheduleFactory(team=world.other_team)
    refused = client.patch(f"{steps}{step_ids[0]}/", {"schedules": [foreign.pk]})
    assert refused.status_code == 400 and "schedules" in refused.json()
    assert client.delete(f"{steps}{step_ids[0]}/").status_code == 204
    assert (
        client.patch(f"/api/v1/escalation-policies/{pk}/", {"repeat_count": 11}).status_code == 400
    )
    assert client.delete(f"/api/v1/escalation-policies/{pk}/").status_code == 204
    assert not EscalationPolicy.objects.filter(pk=pk).exists()


def test_maintenance_window(api, world):
    client = api(world.manager)
    url = "/api/v1/services/checkout/maintenance/"
    assert client.get(url).json() == {"window": None}
    ends = (timezone.now() + timedelta(hours=2)).isoformat()
    started = client.post(url, {"ends_at": ends, "reason": "DB upgrade"})
    assert started.status_code == 201 and started.json()["reason"] == "DB upgrade"
    assert client.get(url).json()["window"]["id"] == started.json()["id"]
    declared = client.post("/api/v1/incidents/", {"title": "x", "services": ["checkout"]}).json()
    assert "maintenance" in declared["paging_suppressed_reason"]
    assert client.delete(url).status_code == 204
    assert client.get(url).json() == {"window": None}
    past = client.post(url, {"ends_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 400 and "ends_at" in past.json()
    assert Incident.objects.filter(title="x").exists()
    assert IncidentEvent.objects.filter(kind="maintenance").exists()
