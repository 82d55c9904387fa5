"""Pages that stay the same size as the company grows: the incident page suggests its team
and the people involved (not everyone), the incident list suggests the user's teams and
services (not all of them), and the look-up views find anyone or anything else as one types."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import IncidentEvent
from incidents.selectors import LOOKUP_RESULTS_MAX
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def incident(team, service):
    incident = factories.IncidentFactory(team=team, title="Checkout is slow", severity=2)
    incident.services.set([service])
    return incident


def grow_the_company(n: int = 30) -> list:
    """``n`` more teams, each with a person (named ``stranger…``) and a service."""
    people = []
    for i in range(n):
        membership = factories.MembershipFactory(
            team__name=f"Other team {i:02d}",
            team__slug=f"other-{i:02d}",
            user__username=f"stranger{i:02d}",
        )
        factories.ServiceFactory(
            team=membership.team, name=f"Faraway service {i:02d}", slug=f"faraway-{i:02d}"
        )
        people.append(membership.user)
    return people


def get_counted(client, url: str, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def options(body: str, datalist: str) -> list[str]:
    found = re.search(rf'<datalist id="{datalist}">(.*?)</datalist>', body, re.S)
    assert found, f"no datalist {datalist}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


# ---------------------------------------------------------------------------- incident page
def test_incident_page_suggests_the_team_and_the_people_involved_only(
    client, incident, member, manager
):
    paged = factories.UserFactory(username="paged-outsider")
    factories.IncidentEventFactory(incident=incident, kind=IncidentEvent.Kind.PAGE, target=paged)
    gone = factories.MembershipFactory(team=incident.team, user__is_active=False).user
    client.force_login(member)
    body, _ = get_counted(client, incident.get_absolute_url())
    suggested = options(body, "incident-people")
    assert suggested == sorted([member.username, manager.username, paged.username])
    assert gone.username not in suggested
    field = re.search(r'<input[^>]*name="user"[^>]*>', body).group(0)
    assert 'list="incident-people"' in field
    assert f'hx-get="/incidents/lookup/people/?team={incident.team.slug}"' in field
    assert "<select" not in field


def test_incident_page_does_not_grow_with_the_company(
    client, incident, member, django_assert_max_num_queries
):
    client.force_login(member)
    url = incident.get_absolute_url()
    client.get(url)
    before, before_queries = get_counted(client, url)
    strangers = grow_the_company()
    with django_assert_max_num_queries(16):
        after, after_queries = get_counted(client, url)
    assert after_queries == before_queries
    assert after.count("<option") == before.count("<option")
    assert not any(s.username in after for s in strangers)
    assert abs(len(after) - len(before)) < 200  # a CSRF token's worth, not a company's


def test_live_poll_does_not_compute_the_suggestions(client, incident, member):
    client.force_login(member)
    body, _ = get_counted(
        client, incident.get_absolute_url(), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="incident-live"
    )
    assert "incident-people" not in body


def test_outsiders_see_no_suggestions(client, incident, outsider):
    client.force_login(outsider)
    body, _ = get_counted(client, incident.get_absolute_url())
    assert "incident-people" not in body


def test_anyone_can_be_given_a_role_by_username(client, incident, member):
    (stranger, *_) = grow_the_company(2)
    client.force_login(member)
    url = f"/incidents/{incident.pk}/role/"
    response = client.post(url, {"role": "commander", "user": f"@{stranger.username.upper()}"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.commander == stranger
    # Empty clears the role.
    assert client.post(url, {"role": "commander", "user": ""}).status_code == 302
    incident.refresh_from_db()
    assert incident.commander is None


@pytest.mark.parametrize("value", ["ghost", "999999"])
def test_an_unknown_person_is_400_next_to_the_field(client, incident, member, value):
    client.force_login(member)
    response = client.post(f"/incidents/{incident.pk}/role/", {"role": "commander", "user": value})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_user-error"' in body and f"There is no active user named “{value}”." in body
    incident.refresh_from_db()
    assert incident.commander is None and not incident.events.exists()


def test_an_inactive_person_cannot_be_given_a_role(client, incident, member):
    gone = factories.UserFactory(username="gone", is_active=False)
    client.force_login(member)
    for value in (gone.username, str(gone.pk)):
        response = client.post(
            f"/incidents/{incident.pk}/role/", {"role": "comms_lead", "user": value}
        )
        assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.comms_lead is None


def test_reassign_suggests_the_owners_of_the_services_and_their_dependencies(
    client, incident, service, member
):
    database = factories.ServiceFactory(team__slug="dba", name="Main database")
    service.dependencies.add(database)
    other = factories.MembershipFactory(user=member, team__slug="my-other-team").team
    grow_the_company(5)
    client.force_login(member)
    body, _ = get_counted(client, incident.get_absolute_url())
    assert set(options(body, "reassign-teams")) == {"dba", other.slug}  # not its own team
    field = re.search(r'<input[^>]*name="team"[^>]*>', body).group(0)
    assert 'list="reassign-teams"' in field and 'hx-get="/incidents/lookup/teams/"' in field


def test_reassign_to_any_team_by_slug_or_name_and_unknown_is_400(client, incident, member):
    grow_the_company(3)
    client.force_login(member)
    url = f"/incidents/{incident.pk}/reassign/"
    response = client.post(url, {"team": "nope"})
    assert response.status_code == 400
    assert "There is no team “nope”: pick one from the suggestions." in response.content.decode()
    assert client.post(url, {"team": "Other team 01"}).status_code == 302
    incident.refresh_from_db()
    assert incident.team.slug == "other-01"


# -------------------------------------------------------------------------- incident list
def test_incident_list_filters_suggest_my_teams_and_services_only(
    client, team, service, member, django_assert_max_num_queries
):
    factories.IncidentFactory(team=team, title="Ours")
    client.force_login(member)
    client.get("/incidents/?status=all")
    before, before_queries = get_counted(client, "/incidents/?status=all")
    assert options(before, "filter-teams") == [team.slug]
    assert options(before, "filter-services") == [service.slug]
    grow_the_company()
    with django_assert_max_num_queries(10):
        after, after_queries = get_counted(client, "/incidents/?status=all")
    assert after_queries == before_queries
    assert after.count("<option") == before.count("<option")
    assert "Other team" not in after and "Faraway service" not in after


def test_incident_list_filters_by_any_team_or_service_typed(client, team, member):
    (stranger, *_) = grow_the_company(3)
    theirs = factories.IncidentFactory(team=stranger.teams.get(), title="Far away")
    theirs.services.set([stranger.teams.get().services.get()])
    factories.IncidentFactory(team=team, title="Close by")
    client.force_login(member)
    for query in ("team=other-00", "service=faraway-00"):
        response = client.get(f"/incidents/?status=all&{query}")
        assert response.status_code == 200
        body = response.content.decode()
        assert "Far away" in body and "Close by" not in body
        assert f'value="{query.split("=")[1]}"' in body  # the filter shows what was typed


@pytest.mark.parametrize(
    ("query", "message"),
    [("team=nope", "There is no team “nope”."), ("service=nope", "There is no service “nope”.")],
)
def test_incident_list_unknown_filter_is_400_with_a_message(client, member, query, message):
    client.force_login(member)
    response = client.get(f"/incidents/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_mine_filter_needs_no_distinct_over_all_incidents(client, team, member):
    factories.IncidentFactory(team=team, title="Our team's")
    led = factories.IncidentFactory(title="I lead it", commander=member)
    factories.IncidentFactory(title="Not mine")
    client.force_login(member)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/incidents/?status=all&mine=on")
    body = response.content.decode()
    assert "Our team" in body and led.title in body and "Not mine" not in body
    incident_queries = [q["sql"] for q in queries if 'FROM "incidents_incident"' in q["sql"]]
    assert incident_queries and not any("DISTINCT" in sql for sql in incident_queries)


# ------------------------------------------------------------------------------ look-ups
LOOKUPS = ["/incidents/lookup/people/", "/incidents/lookup/services/", "/incidents/lookup/teams/"]


@pytest.mark.parametrize("url", LOOKUPS)
def test_lookups_need_a_login(client, url):
    response = client.get(url, {"q": "al"})
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("url", LOOKUPS)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "Type at least two characters to search."),
        ({"q": " a "}, "at least 2 characters"),
        ({"q": "x" * 101}, "at most 100 characters"),
        ({"q": "al", "team": "no-such-team"}, "There is no such team."),
    ],
)
def test_lookups_refuse_bad_input_with_400(client, user, url, params, message):
    client.force_login(user)
    response = client.get(url, params, **HX)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("url", LOOKUPS)
def test_lookups_only_answer_get(client, user, url):
    client.force_login(user)
    assert client.post(url, {"q": "al"}).status_code == 405


def test_people_lookup_finds_by_username_or_name_members_first_and_limited(client, team, member):
    strangers = grow_the_company(LOOKUP_RESULTS_MAX + 5)
    teammate = factories.MembershipFactory(team=team, user__username="zz-stranger-mate").user
    teammate.profile.display_name = "Ada Lovelace"
    teammate.profile.save()
    factories.UserFactory(username="stranger-gone", is_active=False)
    client.force_login(member)

    response = client.get("/incidents/lookup/people/", {"q": "stranger", "team": team.slug}, **HX)
    assert response.status_code == 200
    found = re.findall(r'<option value="([^"]*)">([^<]*)</option>', response.content.decode())
    assert len(found) == LOOKUP_RESULTS_MAX
    assert found[0] == (teammate.username, "Ada Lovelace")  # the team's first
    assert [u for u, _ in found[1:]] == sorted(s.username for s in strangers)[:19]
    assert "stranger-gone" not in response.content.decode()
    assert "<html" not in response.content.decode()

    by_name = client.get("/incidents/lookup/people/", {"q": "ada love"}).content.decode()
    assert f'value="{teammate.username}"' in by_name
    by_at = client.get("/incidents/lookup/people/", {"q": "@stranger07"}).content.decode()
    assert re.findall(r'value="([^"]*)"', by_at) == ["stranger07"]


def test_service_lookup_finds_services_in_use_the_team_first(client, team, member):
    grow_the_company(3)
    ours = factories.ServiceFactory(team=team, name="Zebra faraway", slug="zebra")
    archived = factories.ServiceFactory(name="Faraway archived", slug="faraway-archived")
    archived.archived_at = archived.created_at
    archived.save()
    client.force_login(member)
    response = client.get("/incidents/lookup/services/", {"q": "faraway", "team": team.slug})
    found = re.findall(r'<option value="([^"]*)">', response.content.decode())
    assert found == [ours.slug, "faraway-00", "faraway-01", "faraway-02"]
    assert "Zebra faraway · " + team.name in response.content.decode()


def test_team_lookup_finds_teams_mine_first(client, member, team):
    grow_the_company(3)
    client.force_login(member)
    response = client.get("/incidents/lookup/teams/", {"q": "team"})
    found = re.findall(r'<option value="([^"]*)">', response.content.decode())
    assert found[0] == team.slug
    assert set(found[1:]) == {"other-00", "other-01", "other-02"}
