"""Catalog reads against the database: search and filters, detail, ownership."""

import pytest
from django.http import Http404
from django.utils import timezone

from portal.catalog import selectors
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    payments = factories.TeamFactory(name="Payments", slug="payments")
    platform = factories.TeamFactory(name="Platform", slug="platform")
    api, worker, db = (factories.TagFactory(name=n) for n in ("api", "worker", "database"))
    return {
        "ledger": factories.ServiceFactory(
            name="Ledger", slug="ledger", team=payments, tier=1, tags=[api, worker]
        ),
        "refunds": factories.ServiceFactory(
            name="Refunds worker",
            slug="refunds",
            team=payments,
            tier=2,
            tags=[worker],
            description="Pays money back.",
        ),
        "postgres": factories.ServiceFactory(
            name="Postgres", slug="postgres", team=platform, tier=1, tags=[db]
        ),
        "old": factories.ServiceFactory(
            name="Old ledger", slug="old-ledger", team=payments, archived_at=timezone.now()
        ),
    }


def _slugs(qs):
    return [s.slug for s in qs]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["ledger", "postgres", "refunds"]),
        ({"q": "LEDG"}, ["ledger"]),  # name, case-insensitive
        ({"q": "money"}, ["refunds"]),  # description
        ({"q": "work"}, ["ledger", "refunds"]),  # tag (and name), each once
        ({"q": "platform"}, ["postgres"]),  # owning team's name
        ({"q": "zzz"}, []),
        ({"team": "payments"}, ["ledger", "refunds"]),
        ({"tier": 1}, ["ledger", "postgres"]),
        ({"tag": "worker"}, ["ledger", "refunds"]),
        ({"tag": "work"}, []),  # the tag filter is exact
        ({"team": "payments", "tier": 1, "tag": "api", "q": "led"}, ["ledger"]),
        ({"include_archived": True, "q": "ledger"}, ["ledger", "old-ledger"]),
    ],
)
def test_service_search(catalog, filters, expected):
    assert _slugs(selectors.service_search(**filters)) == expected


def test_service_search_is_a_fixed_number_of_queries(catalog, django_assert_num_queries):
    with django_assert_num_queries(2):  # services with teams, then their tags
        rows = [(s.team.name, [t.name for t in s.tags.all()]) for s in selectors.service_search()]
    assert rows == [
        ("Payments", ["api", "worker"]),
        ("Platform", ["database"]),
        ("Payments", ["worker"]),
    ]


def test_service_detail_has_dependencies_dependents_and_transfers(catalog, user):
    ledger, postgres, refunds = catalog["ledger"], catalog["postgres"], catalog["refunds"]
    ledger.dependencies.add(postgres)
    refunds.dependencies.add(ledger)
    factories.ServiceTransferFactory(service=ledger, by=user)
    detail = selectors.service_detail(slug="ledger")
    assert list(detail.dependencies.all()) == [postgres]
    assert list(detail.dependents.all()) == [refunds]
    assert [t.by for t in detail.transfers.all()] == [user]
    with pytest.raises(Http404):
        selectors.service_detail(slug="missing")


def test_services_owned_by_and_tags(catalog, user):
    factories.MembershipFactory(user=user, team=catalog["ledger"].team)
    assert _slugs(selectors.services_owned_by(user=user)) == ["ledger", "refunds"]
    old = catalog["old"]
    old.tags.add(factories.TagFactory(name="legacy"))
    # Tags of archived services only are not offered as a filter.
    assert [t.name for t in selectors.all_tags()] == ["api", "database", "worker"]
