"""Integrations in a browser: the token is shown once after a redirect (a reload creates
nothing and shows it no more), the alertmanager.yml snippet shows the whole webhook URL inside
its card at desktop and phone widths, and its copy button works from the keyboard."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Integration

pytestmark = pytest.mark.browser

FITS = """() => {
  const pre = document.querySelector('pre.snippet'), card = pre.closest('.card');
  const p = pre.getBoundingClientRect(), c = card.getBoundingClientRect();
  return {
    preScroll: pre.scrollWidth, preClient: pre.clientWidth,
    cardScroll: card.scrollWidth, cardClient: card.clientWidth,
    inCard: p.left >= c.left && p.right <= c.right,
    pageScroll: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  };
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_new_integration_token_once_full_snippet_and_copy(
    page, live_server, demo_data, login, width
):
    page.set_viewport_size({"width": width, "height": 900})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/incidents/teams/payments/integrations/")
    before = Integration.objects.count()
    page.get_by_label("Name").fill("Prometheus EU")
    page.get_by_label("Kind").select_option(label="Prometheus Alertmanager")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Prometheus EU created")
    integration = Integration.objects.get(name="Prometheus EU")
    assert page.url == f"{live_server.url}/incidents/integrations/{integration.pk}/token/"
    token = page.locator("#token").inner_text()
    assert integration.token_matches(token)
    url = f"{live_server.url}/hooks/alertmanager/{token}/"
    snippet = page.locator("#snippet")
    expect(snippet).to_contain_text(url)
    m = page.evaluate(FITS)
    assert m["preScroll"] <= m["preClient"], m  # wrapped, nothing hidden past the edge
    assert m["cardScroll"] <= m["cardClient"] and m["inCard"], m
    assert m["pageScroll"] <= m["innerWidth"], m
    # The URL's last characters are on screen, inside the snippet's box.
    assert page.evaluate(
        """() => {
          const code = document.getElementById('snippet'), text = code.firstChild;
          const end = text.textContent.indexOf('/\\n        send_resolved');
          const r = document.createRange(); r.setStart(text, end); r.setEnd(text, end + 1);
          const box = r.getBoundingClientRect(), pre = code.closest('pre').getBoundingClientRect();
          return box.width > 0 && box.right <= pre.right && box.left >= pre.left;
        }"""
    )

    copy = page.get_by_role("button", name="Copy snippet")
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#snippet-copied")).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText().catch(() => null)")
    if copied is not None:  # the clipboard may be unavailable headless
        assert f"      - url: {url}\n" in copied

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "The token of Prometheus EU is no longer shown"
    )
    assert token not in page.content()
    assert Integration.objects.count() == before + 1  # the reload created nothing


def test_rotating_from_the_spent_token_page_shows_the_new_token_once(
    page, live_server, demo_data, login
):
    login(page, live_server, "demo", "demo")
    integration = Integration.objects.get(name="Prometheus", team__slug="payments")
    page.goto(f"{live_server.url}/incidents/integrations/{integration.pk}/token/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("no longer shown")
    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm
    page.get_by_role("button", name="Rotate token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New token for Prometheus")
    token = page.locator("#token").inner_text()
    integration.refresh_from_db()
    assert integration.token_matches(token)
    assert re.search(
        rf"/hooks/alertmanager/{re.escape(token)}/", page.locator("#snippet").inner_text()
    )
