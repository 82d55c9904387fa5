"""Catalog writes against the database: create, edit, cycles, transfer, archive."""

import pytest
from django.core.exceptions import ValidationError

from portal.catalog import services
from portal.catalog.models import Service, ServiceTransfer, Tag
from tests import factories

pytestmark = pytest.mark.django_db


def test_service_create_with_tags_and_dependencies(team):
    db = factories.ServiceFactory(name="Postgres", slug="postgres")
    service = services.service_create(
        name="Payments API",
        slug="payments-api",
        team=team,
        tier=1,
        description="Takes card payments.",
        runbook_url="https://runbooks.example.com/payments-api",
        repository_url="https://git.example.com/payments-api",
        tags=[" API", "payments", "", "api"],
        dependencies=[db],
    )
    service.refresh_from_db()
    assert (service.team, service.tier, service.is_archived) == (team, 1, False)
    assert sorted(service.tags.values_list("name", flat=True)) == ["api", "payments"]
    assert list(service.dependencies.all()) == [db]
    assert list(db.dependents.all()) == [service]
    assert Tag.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "taken"}, "slug"),
        ({"slug": "not a slug!"}, "slug"),
        ({"tier": 4}, "tier"),
        ({"runbook_url": "not-a-url"}, "runbook_url"),
        ({"name": ""}, "name"),
    ],
)
def test_service_create_rejects_bad_input_and_writes_nothing(team, fields, field):
    factories.ServiceFactory(slug="taken")
    data = {"name": "New", "slug": "new", "team": team, "tags": ["fresh-tag"]} | fields
    with pytest.raises(ValidationError) as exc:
        services.service_create(**data)
    assert field in exc.value.message_dict
    assert Service.objects.count() == 1
    assert not Tag.objects.filter(name="fresh-tag").exists()


def test_service_update_changes_fields_tags_and_dependencies(team, other_team_service):
    service = factories.ServiceFactory(team=team, tags=[factories.TagFactory(name="old")])
    services.service_update(
        service=service,
        name="Renamed",
        tier=3,
        tags=["new"],
        dependencies=[other_team_service],
    )
    service.refresh_from_db()
    assert (service.name, service.tier) == ("Renamed", 3)
    assert list(service.tags.values_list("name", flat=True)) == ["new"]
    assert list(service.dependencies.all()) == [other_team_service]


def test_service_update_never_changes_the_owner(team):
    service = factories.ServiceFactory(team=team)
    services.service_update(service=service, team=factories.TeamFactory(), name="Still ours")
    service.refresh_from_db()
    assert service.team == team
    assert not ServiceTransfer.objects.exists()


def test_service_update_rejects_a_taken_slug(team):
    factories.ServiceFactory(slug="taken")
    service = factories.ServiceFactory(team=team, slug="mine")
    with pytest.raises(ValidationError) as exc:
        services.service_update(service=service, slug="taken")
    assert "slug" in exc.value.message_dict
    assert Service.objects.get(pk=service.pk).slug == "mine"


def _chain(*slugs):
    """a -> b -> c ...: each service depends on the next."""
    items = [factories.ServiceFactory(slug=s, name=s.upper()) for s in slugs]
    for a, b in zip(items, items[1:], strict=False):
        a.dependencies.add(b)
    return items


def test_depending_on_itself_is_a_cycle():
    (a,) = _chain("a")
    with pytest.raises(ValidationError) as exc:
        services.service_update(service=a, dependencies=[a])
    assert "cycle" in exc.value.message_dict["dependencies"][0]
    assert not a.dependencies.exists()


def test_a_long_cycle_is_refused_with_its_path_and_nothing_written():
    a, b, c, d = _chain("a", "b", "c", "d")
    keep = factories.ServiceFactory(slug="keep")
    d.dependencies.add(keep)
    with pytest.raises(ValidationError) as exc:
        # d -> a closes a -> b -> c -> d -> a
        services.service_update(service=d, name="D renamed", dependencies=[keep, a])
    message = exc.value.message_dict["dependencies"][0]
    assert "D renamed → A → B → C → D renamed" in message
    d.refresh_from_db()
    assert d.name == "D"
    assert list(d.dependencies.all()) == [keep]


def test_shared_dependencies_are_not_a_cycle():
    """A diamond (a -> b -> d, a -> c -> d) has no cycle."""
    a, b, d = _chain("a", "b", "d")
    c = factories.ServiceFactory(slug="c")
    c.dependencies.add(d)
    services.service_update(service=a, dependencies=[b, c])
    assert set(a.dependencies.all()) == {b, c}
    assert services.dependency_cycle(service=d, dependencies=[]) == []
    assert services.dependency_cycle(service=None, dependencies=[a]) == []


def test_service_transfer_is_recorded(team, manager):
    service = factories.ServiceFactory(team=team)
    new_owner = factories.TeamFactory()
    transfer = services.service_transfer(
        service=service, to_team=new_owner, by=manager, note="Reorg"
    )
    service.refresh_from_db()
    assert service.team == new_owner
    record = ServiceTransfer.objects.get()
    assert record == transfer
    assert (record.service, record.from_team, record.to_team, record.by, record.note) == (
        service,
        team,
        new_owner,
        manager,
        "Reorg",
    )
    assert record.at is not None


def test_transfer_to_the_owner_is_refused(team, manager):
    service = factories.ServiceFactory(team=team)
    with pytest.raises(ValidationError) as exc:
        services.service_transfer(service=service, to_team=team, by=manager)
    assert "to_team" in exc.value.message_dict
    assert not ServiceTransfer.objects.exists()


def test_transfer_uses_the_owner_in_the_database(team, manager):
    """A stale in-memory copy must not record the wrong previous owner."""
    service = factories.ServiceFactory(team=team)
    stale = Service.objects.get(pk=service.pk)
    second, third = factories.TeamFactory(), factories.TeamFactory()
    services.service_transfer(service=service, to_team=second, by=manager)
    services.service_transfer(service=stale, to_team=third, by=manager)
    history = list(ServiceTransfer.objects.order_by("pk").values_list("from_team_id", "to_team_id"))
    assert history == [(team.pk, second.pk), (second.pk, third.pk)]


def test_archive_and_unarchive(service):
    services.service_archive(service=service)
    assert Service.objects.get(pk=service.pk).is_archived
    services.service_unarchive(service=service)
    assert not Service.objects.get(pk=service.pk).is_archived


@pytest.fixture
def other_team_service(db):
    return factories.ServiceFactory(team=factories.TeamFactory())
