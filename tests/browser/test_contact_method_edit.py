"""The contact-method edit form in a real browser: bad input is answered in place."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from playwright.sync_api import expect

from portal.notifications.models import ContactMethod
from tests import factories

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_bad_edit_shows_the_error_in_the_profile_not_a_second_page(
    page,
    live_server,
    demo_data,
    login,
    settings,
    debug,
):
    settings.DEBUG = debug
    demo = get_user_model().objects.get(username="demo")
    method = factories.ContactMethodFactory(user=demo, address="browser-test@example.com")
    login(page, live_server, "demo", "demo")
    page.goto(live_server.url + reverse("people:profile"))
    page.evaluate("window.runwellSamePage = true")

    row = page.locator(f"#method-{method.pk}")
    row.get_by_text("Edit", exact=True).click()
    row.get_by_label("Address").fill("not-an-email")
    row.get_by_role("button", name="Save").click()

    row = page.locator(f"#method-{method.pk}")
    expect(row.get_by_role("alert")).to_have_text("Enter a valid email address.")
    expect(row.get_by_label("Address")).to_have_value("not-an-email")
    expect(page.locator("header.topbar")).to_have_count(1)  # no page within the page
    expect(page.locator("#notifications-section")).to_have_count(1)
    assert page.evaluate("window.runwellSamePage") is True
    assert ContactMethod.objects.get(pk=method.pk).address == "browser-test@example.com"
