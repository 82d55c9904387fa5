"""Who is paged for a service right now (incidents/paging_now.py): the policy that applies (the
rule of ``policy_for``), its steps, whom the first step pages at ``now``, "nobody" flagged;
shown on the service page (the "Who gets paged" panel) and in the catalog's "On call now"
column, in a number of queries that does not grow with the services."""

import re
from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.escalation import resolve_step
from incidents.paging_now import paging_now, service_paging_now
from incidents.policies import policies_for_services, policy_for
from portal.catalog.models import Service
from tests import factories
from tests.oncall.conftest import utc

pytestmark = pytest.mark.django_db

NOW = "2026-12-08T12:00:00Z"
LIST = reverse("catalog:service_list")


def daily(schedule, people):
    """Daily hand-offs at 09:00 UTC; on 8 Dec 2026 the first of ``people`` is on call."""
    return factories.LayerFactory(
        schedule=schedule,
        shift_unit="days",
        rotation_start=date(2026, 12, 8),
        handoff_time=time(9),
        participants=people,
    )


@pytest.fixture
def setup(team, alice, bob, manager):
    """Payments: a default policy paging the primary rota (alice today, bob tomorrow), then
    the managers; Ledger has its own policy naming bob; Refunds follows the default."""
    primary = factories.ScheduleFactory(team=team, name="Payments primary")
    daily(primary, [alice, bob])
    default = factories.EscalationPolicyFactory(team=team, name="Payments default")
    factories.EscalationStepFactory(policy=default, position=0, schedules=[primary])
    factories.EscalationStepFactory(policy=default, position=1, notify_managers=True)
    ledger = factories.ServiceFactory(team=team, name="Ledger", slug="ledger")
    own = factories.EscalationPolicyFactory(team=team, name="Ledger policy", service=ledger)
    factories.EscalationStepFactory(policy=own, position=0, users=[bob])
    refunds = factories.ServiceFactory(team=team, name="Refunds", slug="refunds")
    return {
        "primary": primary,
        "default": default,
        "own": own,
        "ledger": ledger,
        "refunds": refunds,
    }


def test_the_policy_is_the_one_escalation_follows(setup, team):
    other = factories.TeamFactory()
    stray = factories.ServiceFactory(team=other, slug="stray")
    found = policies_for_services(services=[setup["ledger"], setup["refunds"], stray])
    assert found == {
        setup["ledger"].pk: policy_for(team=team, services=[setup["ledger"]]),
        setup["refunds"].pk: policy_for(team=team, services=[setup["refunds"]]),
        stray.pk: None,
    }
    assert found[setup["ledger"].pk] == setup["own"]
    assert found[setup["refunds"].pk] == setup["default"]


def test_first_step_pages_whom_escalation_would_page_at_now(setup, team, alice, bob):
    at = utc(2026, 12, 8, 12)
    rows = paging_now(services=[setup["ledger"], setup["refunds"]], now=at)
    refunds = rows[setup["refunds"].pk]
    assert refunds.policy == setup["default"] and len(refunds.steps) == 2
    assert refunds.people == [alice]
    first = setup["default"].steps.order_by("position").first()
    assert tuple(u.pk for u in refunds.people) == resolve_step(first, team=team, at=at).user_ids
    assert refunds.paged == [(alice, "on call for Payments primary")]
    assert rows[setup["ledger"].pk].people == [bob]
    # The next day bob holds the rota: computed from now=, not the clock.
    assert service_paging_now(service=setup["refunds"], now=utc(2026, 12, 9, 12)).people == [bob]


def test_nobody_on_call_is_flagged_with_the_reason(team):
    empty = factories.ScheduleFactory(team=team, name="Empty rota")
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, schedules=[empty])
    service = factories.ServiceFactory(team=team)
    row = service_paging_now(service=service, now=utc(2026, 12, 8, 12))
    assert row.nobody and not row.fallback
    assert row.nobody_reasons == ("no one on call for Empty rota",)


def test_without_a_policy_the_teams_managers_are_paged(team, manager, member):
    service = factories.ServiceFactory(team=team)
    row = service_paging_now(service=service, now=utc(2026, 12, 8, 12))
    assert row.policy is None and row.fallback and row.people == [manager]


@pytest.mark.clock(NOW)
def test_service_page_says_which_policy_and_who_is_paged_now(client, setup, outsider):
    client.force_login(outsider)
    html = client.get(setup["refunds"].get_absolute_url()).content.decode()
    assert "Who gets paged" in html
    assert "Payments default" in html and "(default of " in html
    assert re.search(r'data-paged-now="\d+"', html)
    assert "Paged now:" in html and "alice" in html and "on call for Payments primary" in html
    assert "then wait 10 min" in html and "the team's managers" in html
    html = client.get(setup["ledger"].get_absolute_url()).content.decode()
    assert "Ledger policy" in html and "this service's own" in html


@pytest.mark.clock(NOW)
def test_service_page_flags_nobody_on_call(client, team, member):
    empty = factories.ScheduleFactory(team=team, name="Empty rota")
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, schedules=[empty])
    service = factories.ServiceFactory(team=team)
    client.force_login(member)
    html = client.get(service.get_absolute_url()).content.decode()
    assert 'data-paged-now="nobody"' in html and "Nobody on call" in html
    assert "no one on call for Empty rota" in html


# ---------------------------------------------------------------- the catalog's column
def _cells(html: str) -> dict[str, str]:
    rows = re.findall(
        r'<a href="/services/([^/]+)/">.*?data-column="on-call-now">(.*?)</td>', html, re.S
    )
    return {slug: " ".join(cell.split()) for slug, cell in rows}


@pytest.mark.clock(NOW)
def test_catalog_has_an_on_call_now_column(client, setup, team, outsider):
    bare = factories.ServiceFactory(team=factories.TeamFactory(), slug="bare")
    client.force_login(outsider)
    html = client.get(LIST).content.decode()
    assert "On call now" in html and "step 1 of its escalation policy" in html
    cells = _cells(html)
    assert cells["refunds"].startswith("alice")
    assert cells["ledger"].startswith("bob")
    assert "Nobody on call" in cells["bare"]  # no policy and no managers: nobody to page
    assert bare.slug in cells


def _many_services(n: int) -> None:
    """n services over 3 teams; each team with a rota, a default policy, and every other
    service its own policy naming a person; each team has a manager."""
    teams = [factories.TeamFactory() for _ in range(3)]
    for team in teams:
        people = [factories.MembershipFactory(team=team, role="manager").user]
        people.append(factories.MembershipFactory(team=team).user)
        rota = factories.ScheduleFactory(team=team)
        daily(rota, people)
        policy = factories.EscalationPolicyFactory(team=team)
        factories.EscalationStepFactory(policy=policy, schedules=[rota], notify_managers=True)
    for i in range(n):
        service = factories.ServiceFactory(team=teams[i % 3])
        if i % 2:
            own = factories.EscalationPolicyFactory(team=service.team, service=service)
            factories.EscalationStepFactory(
                policy=own, users=[service.team.memberships.first().user], notify_team=True
            )


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.clock(NOW)
def test_catalog_column_query_count_does_not_grow(client, outsider):
    _many_services(3)
    few = _queries(client, outsider)
    _many_services(10)
    assert Service.objects.count() == 13
    assert _queries(client, outsider) == few
