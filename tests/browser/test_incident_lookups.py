"""The look-ups in a real browser: typing in a person, service or team field refills its
datalist from the server (htmx), and what is picked is saved or filtered on."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from portal.catalog.models import Service
from portal.people.models import Team

pytestmark = pytest.mark.browser


def _open_incident() -> Incident:
    incident = Incident.objects.create(
        team=Team.objects.get(slug="payments"), title="Refunds stuck", severity=3
    )
    incident.services.set(Service.objects.filter(slug="refunds"))
    return incident


def test_roles_and_reassign_find_people_and_teams_outside_the_suggestions(
    page,
    live_server,
    login,
    demo_data,
):
    incident = _open_incident()
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    people = page.locator("#incident-people option")
    expect(people).to_have_count(4)  # Payments: alice, bob, carol, demo
    expect(page.locator("#incident-people option[value=heidi]")).to_have_count(0)

    person = page.get_by_label("Person", exact=True)
    person.press_sequentially("heid")  # Heidi is in Search, not Payments
    expect(page.locator("#incident-people option[value=heidi]")).to_have_count(1)
    person.fill("heidi")
    person.locator("xpath=ancestor::form").get_by_role("button", name="Set").click()
    expect(page.locator("dl")).to_contain_text("Heidi Berg")
    assert page.url.endswith(incident.get_absolute_url())  # no look-up URL was pushed

    team = page.get_by_label("New team")
    team.press_sequentially("sear")
    expect(page.locator("#reassign-teams option[value=search]")).to_have_count(1)
    team.fill("search")
    team.locator("xpath=ancestor::form").get_by_role("button", name="Reassign").click()
    expect(page.locator("#incident-live")).to_contain_text("Search")
    incident.refresh_from_db()
    assert (incident.commander.username, incident.team.slug) == ("heidi", "search")


def test_incident_list_filters_on_a_team_typed_with_suggestions(
    page,
    live_server,
    login,
    demo_data,
):
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/incidents/?status=all")
    expect(page.locator("#filter-teams option")).to_have_count(2)  # Payments, Platform
    team = page.get_by_label("Team")
    team.press_sequentially("sea")
    expect(page.locator("#filter-teams option[value=search]")).to_have_count(1)
    assert "/lookup/" not in page.url  # the look-up does not push its URL
    team.fill("search")
    team.press("Enter")
    expect(page).to_have_url(re.compile(r"team=search"))
    rows = page.locator("#incident-results tbody tr")
    expect(rows.first).to_contain_text("Search")
    assert all("Payments" not in row for row in rows.all_inner_texts())


def test_action_item_on_a_service_of_another_team(
    page,
    live_server,
    login,
    demo_data,
):
    from incidents.postmortems.models import Postmortem

    pm = Postmortem.objects.filter(team__slug="payments").order_by("pk").first()
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}{pm.get_absolute_url()}")
    expect(page.locator("#services option[value=kafka]")).to_have_count(0)  # Platform's
    items = page.locator("#pm-items")
    items.get_by_label("Title").fill("Alert on consumer lag")
    items.get_by_label("Owner").fill("carol")
    service = items.get_by_label("Service")
    service.fill("")
    service.press_sequentially("kafk")
    expect(page.locator("#services option[value=kafka]")).to_have_count(1)
    service.fill("kafka")
    items.get_by_role("button", name="Add action item").click()
    expect(page.locator("#pm-items")).to_contain_text("Action item added.")
    expect(page.locator("#pm-items tbody")).to_contain_text("Kafka")
    assert pm.action_items.filter(title="Alert on consumer lag", service__slug="kafka").exists()
