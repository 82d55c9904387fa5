"""The postmortem pages stay the same size as the company grows: owners, reviewers and
services are suggested from the team, the people involved and the postmortem's services, and
anyone or anything else is typed (found as one types, checked on the server)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.postmortems.models import ActionItem
from tests import factories

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def grow_the_company(n: int = 30) -> list:
    """``n`` more teams, each with a person (``stranger…``) and a service (``faraway-…``)."""
    services = []
    for i in range(n):
        membership = factories.MembershipFactory(
            team__slug=f"other-{i:02d}", user__username=f"stranger{i:02d}"
        )
        services.append(
            factories.ServiceFactory(
                team=membership.team, name=f"Faraway service {i:02d}", slug=f"faraway-{i:02d}"
            )
        )
    return services


def get_counted(client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def options(body: str, datalist: str) -> list[str]:
    found = re.search(rf'<datalist id="{datalist}">(.*?)</datalist>', body, re.S)
    assert found, f"no datalist {datalist}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


def add_item(client, pm, **data):
    post = {"title": "Canary", "owner": "cmdr", "priority": 2, **data}
    return client.post(
        reverse("postmortems:item_add", args=[pm.pk]),
        {f"item-{k}": v for k, v in post.items()},
        **HX,
    )


@pytest.mark.parametrize("page", ["postmortems:detail", "postmortems:edit"])
def test_postmortem_pages_do_not_grow_with_the_company(
    client, started, commander, page, django_assert_max_num_queries
):
    client.force_login(commander)
    url = reverse(page, args=[started.pk])
    client.get(url)
    before, before_queries = get_counted(client, url)
    grow_the_company()
    with django_assert_max_num_queries(30):
        after, after_queries = get_counted(client, url)
    assert after_queries == before_queries
    assert after.count("<option") == before.count("<option")
    assert "Faraway service" not in after and "stranger" not in after


def test_pages_suggest_the_team_the_people_involved_and_the_services(
    client, started, commander, member, paged, svc, team
):
    ours = factories.ServiceFactory(team=team, name="Another of ours", slug="ours-2")
    archived = factories.ServiceFactory(team=team, name="Retired", slug="retired")
    archived.archived_at = archived.created_at
    archived.save()
    grow_the_company(3)
    client.force_login(commander)
    body, _ = get_counted(client, started.get_absolute_url())
    # The team and the incident's participants (``paged`` is in no team).
    assert options(body, "people") == sorted([commander.username, member.username, "paged"])
    # The postmortem's services first, then the rest of the team's in use.
    assert options(body, "services") == [svc.slug, ours.slug]
    form = re.search(r'<form[^>]*id="item-form".*?</form>', body, re.S).group(0)
    service = re.search(r'<input[^>]*name="item-service"[^>]*>', form).group(0)
    assert f'value="{svc.slug}"' in service and 'list="services"' in service
    assert f'hx-get="/incidents/lookup/services/?team={team.slug}"' in service
    owner = re.search(r'<input[^>]*name="item-owner"[^>]*>', form).group(0)
    assert 'list="people"' in owner and "/incidents/lookup/people/" in owner
    assert form.count("<select") == 1  # the priority


def test_readers_who_cannot_add_items_get_no_suggestions(client, started):
    started.status, started.published_at = "published", started.started_at
    started.save()
    client.force_login(factories.UserFactory())
    body, _ = get_counted(client, started.get_absolute_url())
    assert options(body, "people") == [] and options(body, "services") == []


@pytest.mark.parametrize("typed", ["faraway-07", "FARAWAY-07", "Faraway service 07"])
def test_an_item_can_be_on_any_service_and_any_owner(client, started, commander, typed):
    grow_the_company(10)
    client.force_login(commander)
    response = add_item(client, started, service=typed, owner="@stranger03")
    assert response.status_code == 200
    item = ActionItem.objects.get()
    assert (item.service.slug, item.owner.username) == ("faraway-07", "stranger03")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("nope", "There is no service “nope” in use: pick one from the suggestions."),
        ("retired", "There is no service “retired” in use: pick one from the suggestions."),
        ("Twin", "Several services are named “Twin”: pick one from the suggestions."),
    ],
)
def test_an_unknown_archived_or_ambiguous_service_is_400_next_to_the_field(
    client, started, commander, typed, message
):
    archived = factories.ServiceFactory(name="Retired", slug="retired")
    archived.archived_at = archived.created_at
    archived.save()
    factories.ServiceFactory(name="Twin", slug="twin-a")
    factories.ServiceFactory(name="twin", slug="twin-b")
    client.force_login(commander)
    response = add_item(client, started, service=typed)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_item-service-error"' in body and message in body
    assert not ActionItem.objects.exists()


def test_the_item_page_suggests_and_shows_the_service_by_slug(client, started, commander, svc):
    (faraway, *_) = grow_the_company(3)
    client.force_login(commander)
    add_item(client, started, service=faraway.slug)
    item = ActionItem.objects.get()
    url = reverse("postmortems:action_item", args=[item.pk])
    body, _ = get_counted(client, url)
    assert options(body, "services") == [svc.slug]
    assert re.search(rf'name="service" value="{faraway.slug}"', body)
    assert "stranger" not in body
    data = {"action": "save", "title": "Canary", "owner": "cmdr", "priority": 2}
    data["due_date"] = str(item.due_date)
    assert client.post(url, {**data, "service": svc.slug}).status_code == 302
    item.refresh_from_db()
    assert item.service == svc
    response = client.post(url, {**data, "service": "nope"})
    assert response.status_code == 400 and "There is no service “nope”" in response.content.decode()


def test_reviewers_field_looks_up_the_name_being_typed(client, started, commander, team):
    client.force_login(commander)
    body, _ = get_counted(client, started.get_absolute_url())
    field = re.search(r'<input[^>]*name="reviewers"[^>]*>', body).group(0)
    assert 'list="people"' in field
    assert f'hx-get="/incidents/lookup/people/?team={team.slug}"' in field
    assert "split(&#x27;,&#x27;).pop()" in field  # the last of the names typed
