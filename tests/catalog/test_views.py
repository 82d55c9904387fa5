"""Catalog pages: list with live search and filters, service page, create, edit, transfer,
archive; bad input answers 400 with the message next to the field and writes nothing."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from portal.catalog.models import Service, ServiceTransfer, Tag
from tests import factories

pytestmark = pytest.mark.django_db

LIST = reverse("catalog:service_list")
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "service-results"}


def error_next_to(html: str, field: str) -> str:
    match = re.search(rf'id="id_{field}-error"[^>]*>([^<]+)<', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def names_in(html: str) -> list[str]:
    return re.findall(r'<td><a href="/services/[^"]+/">([^<]+)</a>', html)


def _bulk_services(n: int) -> None:
    """n services over 5 teams, each with two tags, created in a few queries."""
    teams = [factories.TeamFactory() for _ in range(5)]
    tags = [factories.TagFactory(name=f"tag{i}") for i in range(4)]
    services = Service.objects.bulk_create(
        Service(name=f"Svc {i:03d}", slug=f"svc-{i:03d}", team=teams[i % 5], tier=1 + i % 3)
        for i in range(n)
    )
    Link = Service.tags.through
    Link.objects.bulk_create(
        Link(service_id=s.pk, tag_id=t.pk)
        for i, s in enumerate(services)
        for t in tags[i % 3 :][:2]
    )


@pytest.mark.parametrize("n", [10, 200])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx-partial"])
def test_catalog_list_queries_do_not_grow(client, user, n, htmx, django_assert_max_num_queries):
    _bulk_services(n)
    client.force_login(user)
    headers = HX if htmx else {}
    # Today: 12 for the page, 9 for the partial (session, user, profile, count, services, tags,
    # the "On call now" column's policies and team memberships (with policies and rotas: up to
    # six more, tested in tests/incidents/test_paging_now.py), then the page's filter choices
    # and menu); the page allows for a menu badge or two.
    with django_assert_max_num_queries(10 if htmx else 14):
        response = client.get(LIST, {"q": "svc", "tier": "", "tag": ""}, **headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert len(names_in(html)) == min(n, 50)
    assert f"{n} services" in html
    assert ("<html" in html) is not htmx


@pytest.fixture
def catalog(team):
    other = factories.TeamFactory(name="Platform", slug="platform")
    api, worker = factories.TagFactory(name="api"), factories.TagFactory(name="worker")
    return {
        "ledger": factories.ServiceFactory(
            name="Ledger", slug="ledger", team=team, tier=1, tags=[api]
        ),
        "refunds": factories.ServiceFactory(
            name="Refunds", slug="refunds", team=team, tier=2, tags=[worker]
        ),
        "kafka": factories.ServiceFactory(
            name="Kafka", slug="kafka", team=other, tier=1, tags=[worker]
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["Kafka", "Ledger", "Refunds"]),
        ({"q": "led"}, ["Ledger"]),
        ({"team": "platform"}, ["Kafka"]),
        ({"tier": "1"}, ["Kafka", "Ledger"]),
        ({"tag": "worker"}, ["Kafka", "Refunds"]),
        ({"tag": "worker", "tier": "2", "q": "ref"}, ["Refunds"]),
    ],
)
def test_catalog_search_and_filters(client, user, catalog, params, expected):
    client.force_login(user)
    assert names_in(client.get(LIST, params, **HX).content.decode()) == expected
    assert names_in(client.get(LIST, params).content.decode()) == expected


def test_catalog_list_page_has_live_search_and_varies_on_htmx(client, user, catalog):
    client.force_login(user)
    response = client.get(LIST)
    html = response.content.decode()
    assert 'hx-get="/services/"' in html and 'hx-target="#service-results"' in html
    assert "HX-Request" in response["Vary"]
    # The filter choices: teams and tags.
    assert '<option value="platform">Platform</option>' in html
    assert '<option value="worker">worker</option>' in html


def test_catalog_bad_filter_is_400_with_a_message(client, user, catalog):
    client.force_login(user)
    response = client.get(LIST, {"team": "no-such-team", "tier": "9"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "team: Select a valid choice" in html and "tier: Select a valid choice" in html


def test_service_page_shows_owner_runbook_and_dependencies(client, user, catalog):
    ledger, refunds, kafka = catalog["ledger"], catalog["refunds"], catalog["kafka"]
    ledger.runbook_url = "https://runbooks.example.com/ledger"
    ledger.save()
    ledger.dependencies.add(kafka)
    refunds.dependencies.add(ledger)
    client.force_login(user)
    html = client.get(ledger.get_absolute_url()).content.decode()
    assert f'href="{ledger.team.get_absolute_url()}"><strong>{ledger.team.name}</strong>' in html
    assert 'href="https://runbooks.example.com/ledger"' in html
    depends, needed = html.split("<h2>Needed by</h2>")
    assert "Kafka" in depends.split("<h2>Depends on</h2>")[1] and "Refunds" not in depends
    assert "Refunds" in needed.split("</section>")[0]
    assert "Edit" not in html  # an outsider reads only
    no_runbook = client.get(kafka.get_absolute_url()).content.decode()
    assert "No runbook" in no_runbook


def _form(team, **overrides):
    return {
        "name": "Payments API",
        "slug": "payments-api",
        "team": str(team.pk),
        "tier": "1",
        "description": "Takes card payments.",
        "runbook_url": "https://runbooks.example.com/payments-api",
        "repository_url": "",
        "tags": "API, payments",
    } | overrides


def test_manager_creates_a_service(client, team, manager, catalog):
    client.force_login(manager)
    data = _form(team) | {"dependencies": [str(catalog["kafka"].pk)]}
    response = client.post(reverse("catalog:service_create"), data)
    service = Service.objects.get(slug="payments-api")
    assert response.status_code == 302 and response["Location"] == service.get_absolute_url()
    assert service.team == team and service.tier == 1
    assert sorted(service.tags.values_list("name", flat=True)) == ["api", "payments"]
    assert list(service.dependencies.all()) == [catalog["kafka"]]


def test_create_form_offers_only_managed_teams(client, team, manager, catalog):
    client.force_login(manager)
    html = client.get(reverse("catalog:service_create"), {"team": team.pk}).content.decode()
    assert f'<option value="{team.pk}" selected>' in html
    assert "Platform</option>" not in html.split('name="team"')[1].split("</select>")[0]
    other = catalog["kafka"].team
    response = client.post(reverse("catalog:service_create"), _form(other))
    assert response.status_code == 400
    assert "valid choice" in error_next_to(response.content.decode(), "team")
    assert not Service.objects.filter(slug="payments-api").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "ledger"}, "slug", "already exists"),
        ({"slug": "no spaces"}, "slug", "valid"),
        ({"tier": "4"}, "tier", "valid choice"),
        ({"runbook_url": "http//broken"}, "runbook_url", "valid URL"),
        ({"tags": "ok, not ok!"}, "tags", "may contain only"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_create_bad_input(client, team, manager, catalog, overrides, field, message):
    client.force_login(manager)
    before = (Service.objects.count(), Tag.objects.count())
    response = client.post(reverse("catalog:service_create"), _form(team, **overrides))
    assert response.status_code == 400
    assert message in error_next_to(response.content.decode(), field)
    assert (Service.objects.count(), Tag.objects.count()) == before


def test_edit_refuses_a_dependency_cycle_and_writes_nothing(client, team, manager, catalog):
    ledger, refunds = catalog["ledger"], catalog["refunds"]
    refunds.dependencies.add(ledger)
    client.force_login(manager)
    data = _form(team, name="Ledger 2", slug="ledger", tags="api") | {
        "dependencies": [str(refunds.pk)]
    }
    response = client.post(reverse("catalog:service_edit", args=["ledger"]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ledger 2 → Refunds → Ledger 2" in error_next_to(html, "dependencies")
    ledger.refresh_from_db()
    assert ledger.name == "Ledger" and not ledger.dependencies.exists()
    assert "<h1>Edit Ledger</h1>" in html  # the heading keeps the saved name


def test_edit_saves_and_keeps_the_owner(client, team, manager, catalog):
    client.force_login(manager)
    other = catalog["kafka"].team
    data = _form(other, name="Ledger", slug="ledger", tier="3", tags="money")
    response = client.post(reverse("catalog:service_edit", args=["ledger"]), data)
    assert response.status_code == 302
    ledger = Service.objects.get(slug="ledger")
    assert ledger.tier == 3 and ledger.team == team
    assert list(ledger.tags.values_list("name", flat=True)) == ["money"]


def test_transfer_is_recorded_and_shown(client, team, manager, catalog):
    client.force_login(manager)
    new_owner = catalog["kafka"].team
    url = reverse("catalog:service_transfer", args=["ledger"])
    data = {"to_team": new_owner.pk, "note": "reorg", "confirm": "1"}
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == catalog["ledger"].get_absolute_url()
    record = ServiceTransfer.objects.get()
    assert (record.from_team, record.to_team, record.by) == (team, new_owner, manager)
    html = response.content.decode()
    assert f"{team.name} → {new_owner.name} by {manager.username}" in html
    # The former owner's manager can no longer change it.
    assert client.get(url).status_code == 403


def test_transfer_to_the_current_owner_is_400(client, team, manager, catalog):
    client.force_login(manager)
    url = reverse("catalog:service_transfer", args=["ledger"])
    for data in ({"to_team": team.pk}, {"to_team": team.pk, "confirm": "1"}):
        response = client.post(url, data)
        assert response.status_code == 400
        message = error_next_to(response.content.decode(), "to_team")
        assert message == "Pick one of the teams offered (not the current owner)."
    assert not ServiceTransfer.objects.exists()


def test_transfer_list_leaves_out_the_current_owner(client, team, manager, catalog):
    client.force_login(manager)
    html = client.get(reverse("catalog:service_transfer", args=["ledger"])).content.decode()
    select = re.search(r'<select name="to_team".*?</select>', html, re.S).group(0)
    offered = re.findall(r'<option value="(\d+)"', select)
    assert str(catalog["kafka"].team.pk) in offered
    assert str(team.pk) not in offered


def _transfer_confirmation(client, to_team, **extra):
    url = reverse("catalog:service_transfer", args=["ledger"])
    response = client.post(url, {"to_team": to_team.pk, "note": "reorg <now>", **extra})
    assert response.status_code == 200
    assert not ServiceTransfer.objects.exists()
    return response.content.decode()


def test_transfer_asks_first_saying_who_can_edit_it_then(client, team, manager, catalog):
    platform = catalog["kafka"].team
    boss = factories.MembershipFactory(team=platform, role="manager").user
    client.force_login(manager)
    html = _transfer_confirmation(client, platform)
    assert '<h1 id="transfer-title">Transfer Ledger to Platform?</h1>' in html
    assert f"Only the managers of Platform ({boss.profile.name}) and staff can edit" in html
    assert "You will no longer be able to edit this service" in html  # not a Platform manager
    assert "your note “reorg &lt;now&gt;”" in html
    # The confirming form carries the choice and posts it back with confirm.
    assert f'<input type="hidden" name="to_team" value="{platform.pk}">' in html
    assert '<input type="hidden" name="note" value="reorg &lt;now&gt;">' in html
    assert '<button name="confirm" value="1"' in html
    assert Service.objects.get(slug="ledger").team == team


def test_transfer_confirmation_of_a_manager_of_both_teams_has_no_lockout(
    client, team, manager, catalog
):
    platform = catalog["kafka"].team
    factories.MembershipFactory(team=platform, user=manager, role="manager")
    client.force_login(manager)
    html = _transfer_confirmation(client, platform)
    assert "Transfer Ledger to Platform?" in html
    assert "no longer be able to edit" not in html


def test_transfer_confirmation_tells_what_happens_to_incidents_and_alerts(
    client, team, manager, catalog
):
    ledger, platform = catalog["ledger"], catalog["kafka"].team
    sev2 = factories.IncidentFactory(team=team, severity=2, title="Ledger down")
    sev2.services.add(ledger)
    factories.IntegrationFactory(team=None, service=ledger, name="Ledger alerts")
    factories.EscalationPolicyFactory(team=platform, name="Platform default")
    client.force_login(manager)
    html = _transfer_confirmation(client, platform)
    assert "1 open incident</strong> (1 SEV2) stays with the team it was opened for" in html
    assert "Ledger down" in html
    assert "Its 1 integration (Ledger alerts) moves with it" in html
    assert "go to Platform and page through its escalation policy “Platform default”" in html


def test_transfer_back_returns_to_the_choice(client, team, manager, catalog):
    platform = catalog["kafka"].team
    client.force_login(manager)
    html = _transfer_confirmation(client, platform, back="1")
    assert "<h1>Transfer Ledger</h1>" in html
    assert f'<option value="{platform.pk}" selected>' in html


def test_archive_button_leads_to_a_confirmation_page(client, team, manager, catalog):
    client.force_login(manager)
    url = reverse("catalog:service_archive", args=["ledger"])
    page = client.get(catalog["ledger"].get_absolute_url()).content.decode()
    assert f'<a class="button secondary danger" href="{url}">Archive…</a>' in page
    assert 'value="archive"' not in page  # no one-click archive on the service page


def test_archive_confirmation_says_what_happens(client, team, manager, catalog):
    ledger = catalog["ledger"]
    for severity, title in ((2, "Payments failing"), (3, "Slow ledger"), (3, "Retries")):
        factories.IncidentFactory(team=team, severity=severity, title=title).services.add(ledger)
    factories.IncidentFactory(team=team, severity=1, status="resolved").services.add(ledger)
    factories.IntegrationFactory(team=None, service=ledger, name="Ledger alerts")
    client.force_login(manager)
    response = client.get(reverse("catalog:service_archive", args=["ledger"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Archive Ledger?" in html and "Tier 1 (critical)" in html
    assert "<strong>3 open incidents:</strong> 1 SEV2, 2 SEV3." in html
    assert "Payments failing" in html and "Retries" in html
    assert "they stay open and keep paging until someone resolves them" in html
    assert "Its 1 enabled integration keeps accepting alerts" in html
    assert "Ledger alerts" in html
    assert '<button name="action" value="archive"' in html
    assert not Service.objects.get(slug="ledger").is_archived  # GET changes nothing


def test_archive_confirmation_without_incidents_or_integrations(client, team, manager, catalog):
    client.force_login(manager)
    html = client.get(reverse("catalog:service_archive", args=["refunds"])).content.decode()
    assert "No open incidents." in html and "It has no integration of its own." in html


def test_archive_page_of_an_archived_service_goes_back_to_it(client, team, manager, catalog):
    client.force_login(manager)
    url = reverse("catalog:service_archive", args=["ledger"])
    client.post(url, {"action": "archive"})
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, "/services/ledger/")


def test_archive_hides_the_service_and_unarchive_brings_it_back(client, team, manager, catalog):
    client.force_login(manager)
    url = reverse("catalog:service_archive", args=["ledger"])
    assert client.post(url, {"action": "archive"}).status_code == 302
    assert "Ledger" not in names_in(client.get(LIST).content.decode())
    page = client.get(catalog["ledger"].get_absolute_url()).content.decode()
    assert "archived" in page and "Unarchive" in page
    client.post(url, {"action": "unarchive"})
    assert "Ledger" in names_in(client.get(LIST).content.decode())


def test_member_cannot_change_a_service(client, team, member, catalog):
    client.force_login(member)
    for name in ("service_edit", "service_transfer", "service_archive"):
        assert client.get(reverse(f"catalog:{name}", args=["ledger"])).status_code == 403
    response = client.post(reverse("catalog:service_archive", args=["ledger"]))
    assert response.status_code == 403
    assert not Service.objects.get(slug="ledger").is_archived


def test_htmx_post_needs_the_csrf_token(team, manager, catalog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    url = reverse("catalog:service_archive", args=["ledger"])
    assert client.post(url, {"action": "archive"}, HTTP_HX_REQUEST="true").status_code == 403
    assert not Service.objects.get(slug="ledger").is_archived
    client.get(LIST)
    token = client.cookies["csrftoken"].value
    response = client.post(
        url, {"action": "archive"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302
    assert Service.objects.get(slug="ledger").is_archived
