"""The service catalog through the API (permissions: tests/api/test_permissions.py)."""

import pytest

from portal.catalog.models import Service, ServiceTransfer
from tests import factories

pytestmark = pytest.mark.django_db


def test_list_filters_like_the_page(api, world, django_assert_max_num_queries):
    tag = factories.TagFactory(name="payments")
    world.service.tags.set([tag])
    factories.ServiceFactory.create_batch(4, team=world.other_team, tier=3)
    archived = factories.ServiceFactory(team=world.team, slug="old")
    archived.archived_at = archived.created_at
    archived.save()
    client = api(world.member)

    def slugs(query=""):
        return [s["slug"] for s in client.get(f"/api/v1/services/{query}").json()["results"]]

    with django_assert_max_num_queries(8):
        everything = slugs()
    assert len(everything) == 6 and "old" not in everything
    assert slugs("?team=payments") == ["checkout"]
    assert slugs("?tag=payments") == ["checkout"]
    assert slugs("?q=check") == ["checkout"]
    assert len(slugs("?tier=3")) == 4
    assert "old" in slugs("?include_archived=true")
    bad = client.get("/api/v1/services/?tier=9&team=not%20a%20slug")
    assert bad.status_code == 400 and set(bad.json()) == {"tier", "team"}


def test_detail_has_dependencies_and_transfers(api, world):
    world.service.dependencies.set([world.other_service])
    body = api(world.member).get("/api/v1/services/checkout/").json()
    assert body["team"]["slug"] == "payments"
    assert [d["slug"] for d in body["dependencies"]] == ["index"]
    assert body["can_manage"] is False
    assert api(world.manager).get("/api/v1/services/checkout/").json()["can_manage"] is True


def test_manager_creates_a_service_for_their_team_only(api, world):
    client = api(world.manager)
    response = client.post(
        "/api/v1/services/",
        {
            "name": "Ledger",
            "slug": "ledger",
            "team": "payments",
            "tier": 1,
            "tags": ["Money"],
            "dependencies": ["checkout"],
            "runbook_url": "https://runbooks.example/ledger",
        },
    )
    assert response.status_code == 201, response.json()
    ledger = Service.objects.get(slug="ledger")
    assert ledger.team == world.team and ledger.tier == 1
    assert [t.name for t in ledger.tags.all()] == ["money"]
    assert [d.slug for d in ledger.dependencies.all()] == ["checkout"]
    other = client.post("/api/v1/services/", {"name": "X", "slug": "x", "team": "search"})
    assert other.status_code == 400
    assert other.json() == {"team": ["You can add services only to teams you manage."]}


def test_update_refuses_a_dependency_cycle(api, world):
    world.other_service.dependencies.set([world.service])
    client = api(world.manager)
    response = client.patch("/api/v1/services/checkout/", {"dependencies": ["index"]})
    assert response.status_code == 400
    assert "dependency cycle" in response.json()["dependencies"][0]
    assert not world.service.dependencies.exists()
    ok = client.patch("/api/v1/services/checkout/", {"description": "Takes the money."})
    assert ok.status_code == 200 and ok.json()["description"] == "Takes the money."


def test_transfer_and_archive(api, world):
    client = api(world.manager)
    response = client.post(
        "/api/v1/services/checkout/transfer/", {"to_team": "search", "note": "reorg"}
    )
    assert response.status_code == 200
    assert response.json()["team"]["slug"] == "search"
    assert ServiceTransfer.objects.get().note == "reorg"
    # Now Search owns it: Payments' manager may no longer change it.
    assert client.post("/api/v1/services/checkout/archive/").status_code == 403
    other = api(world.other_manager)
    assert other.post("/api/v1/services/checkout/archive/").json()["archived_at"]
    assert other.post("/api/v1/services/checkout/unarchive/").json()["archived_at"] is None
