"""The service catalog in a browser: archiving and transferring a service are confirmed on a
page that first says what will happen (open incidents, integrations, who can edit after)."""

import pytest
from playwright.sync_api import expect

from portal.catalog.models import Service, ServiceTransfer

pytestmark = pytest.mark.browser


def test_archiving_a_service_shows_its_open_incidents_first(page, live_server, demo_data, login):
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/services/payments-api/")
    page.get_by_role("link", name="Archive…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Archive Payments API?")
    # The demo's SEV2 on Payments API is told before anything changes.
    expect(page.locator("#archive-open-incidents")).to_contain_text("1 open incident: 1 SEV2.")
    expect(page.locator("#archive-open-incidents")).to_be_in_viewport()
    assert not Service.objects.get(slug="payments-api").is_archived
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(f"{live_server.url}/services/payments-api/")
    assert not Service.objects.get(slug="payments-api").is_archived

    page.get_by_role("link", name="Archive…").click()
    page.get_by_role("button", name="Archive Payments API").click()
    expect(page).to_have_url(f"{live_server.url}/services/payments-api/")
    expect(page.locator(".messages")).to_contain_text("Payments API archived.")
    expect(page.get_by_role("button", name="Unarchive")).to_be_visible()
    assert Service.objects.get(slug="payments-api").is_archived


def test_transferring_a_service_warns_of_the_lockout(page, live_server, demo_data, login):
    login(page, live_server, "demo", "demo")  # manages Payments, only a member of Platform
    page.goto(f"{live_server.url}/services/payments-api/")
    page.get_by_role("link", name="Transfer…").click()
    offered = page.locator("#id_to_team option").all_inner_texts()
    assert "Platform" in offered and "Payments" not in offered  # never the current owner
    page.get_by_label("New owner").select_option(label="Platform")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Transfer Payments API to Platform?")
    expect(page.locator("#transfer-lockout")).to_contain_text(
        "You will no longer be able to edit this service"
    )
    expect(page.locator("#transfer-open-incidents")).to_contain_text("1 open incident")
    page.get_by_role("button", name="Change").click()  # back to the choice, kept
    expect(page.get_by_label("New owner")).to_have_value(
        str(Service.objects.get(slug="kafka").team_id)
    )
    page.get_by_role("button", name="Continue").click()
    assert not ServiceTransfer.objects.exists()

    page.get_by_role("button", name="Transfer to Platform").click()
    expect(page).to_have_url(f"{live_server.url}/services/payments-api/")
    expect(page.locator(".messages")).to_contain_text("Payments API now belongs to Platform.")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)  # as the page warned
    assert Service.objects.get(slug="payments-api").team.slug == "platform"
