"""The layout on a phone: at 390 px wide the main pages fit the screen (wide tables scroll in
their own box, never the whole page), the top bar stays one compact row with the inbox and a
"Menu" button, and the menu opens on the links, the section being viewed marked, and Log out."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TOP_BAR_MAX_HEIGHT = 64

# (path, the navigation link marked as the current section)
PAGES = [
    ("/", "Home"),
    ("/incidents/", "Incidents"),
    ("/postmortems/", "Postmortems"),
    ("/services/payments-api/", "Services"),
    ("/teams/payments/", "Teams"),
    ("/profile/", "Dana Demo"),
    ("/notifications/", "Inbox"),
    ("/oncall/swaps/", "Swaps"),
    ("/oncall/", "My shifts"),
    ("/oncall/now/", "On call"),
]

MEASURE = """() => {
  const nav = document.querySelector('nav[aria-label="Main"]');
  const current = [...nav.querySelectorAll('[aria-current="page"]')];
  const box = nav.getBoundingClientRect();
  const here = current.length === 1 ? current[0].getBoundingClientRect() : null;
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    topBar: document.querySelector('.topbar').getBoundingClientRect().height,
    current: current.map(a => a.firstChild.textContent.trim()),  // "Inbox", not "Inbox 8"
    currentInView: here !== null && here.width > 0 && here.left >= box.left - 1
      && here.right <= box.right + 1 && here.right <= window.innerWidth + 1,
  };
}"""


def test_main_pages_fit_a_phone_screen(page, live_server, demo_data, login):
    page.set_viewport_size(PHONE)
    login(page, live_server, "demo", "demo")
    problems = []
    for path, section in PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        m = page.evaluate(MEASURE)
        if not page.locator(".nav-inbox").is_visible():
            problems.append(f"{path}: the inbox link is not in the top bar")
        if m["scrollWidth"] > m["innerWidth"] + 1:
            problems.append(f"{path} scrolls sideways: {m['scrollWidth']} px wide")
        if m["topBar"] > TOP_BAR_MAX_HEIGHT:
            problems.append(f"{path}: the top bar is {m['topBar']:.0f} px tall")
        if m["current"] != [section]:
            problems.append(f"{path}: the navigation marks {m['current']}, not [{section!r}]")
        else:
            page.get_by_role("button", name="Menu").click()
            if not page.evaluate(MEASURE)["currentInView"]:
                problems.append(f"{path}: the open menu does not show the current section")
    assert not problems, "\n".join(problems)


def test_the_phone_menu_opens_on_every_link_and_log_out(page, live_server, demo_data, login):
    page.set_viewport_size(PHONE)
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/incidents/")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    log_out = nav.get_by_role("button", name="Log out")
    # Closed: the bar holds the brand, the button and the inbox with its unread count.
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(log_out).to_be_hidden()
    expect(nav.get_by_role("link", name="Postmortems")).to_be_hidden()
    expect(page.locator(".nav-inbox .badge.count")).to_be_in_viewport()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in ("Home", "My shifts", "Swaps", "Postmortems", "Services", "Teams", "Dana Demo"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_in_viewport()
    expect(log_out).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Escape closes it and gives the focus back to the button.
    nav.get_by_role("link", name="Services").focus()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(log_out).to_be_hidden()
    # Log out from the menu works.
    menu.click()
    with page.expect_navigation():
        log_out.click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_at_desktop_width_the_links_show_without_a_menu(page, live_server, demo_data, login):
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/")
    nav = page.get_by_role("navigation", name="Main")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(nav.get_by_role("button", name="Log out")).to_be_in_viewport()
    expect(nav.get_by_role("link", name="Postmortems")).to_be_in_viewport()


def test_on_a_phone_the_incident_list_shows_every_fact_of_a_row(
    page, live_server, demo_data, login
):
    """No column is cut off: each incident is a stacked card, its cells labelled."""
    page.set_viewport_size(PHONE)
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/incidents/")
    row = page.locator("#incident-results tbody tr").first
    for label in ("Severity", "Status", "Team", "Services", "Triggered"):
        cell = row.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_in_viewport()
        before = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert before == f'"{label}"', (label, before)
