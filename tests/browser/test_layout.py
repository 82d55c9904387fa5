"""The layout on a phone: at 390 px wide the main pages fit the screen (wide tables scroll in
their own box, never the whole page), the top bar stays one compact row, and it marks the
section being viewed with its link in view."""

import pytest

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
    currentInView: here !== null && here.left >= box.left - 1 && here.right <= box.right + 1,
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
        if m["scrollWidth"] > m["innerWidth"] + 1:
            problems.append(f"{path} scrolls sideways: {m['scrollWidth']} px wide")
        if m["topBar"] > TOP_BAR_MAX_HEIGHT:
            problems.append(f"{path}: the top bar is {m['topBar']:.0f} px tall")
        if m["current"] != [section]:
            problems.append(f"{path}: the navigation marks {m['current']}, not [{section!r}]")
        elif not m["currentInView"]:
            problems.append(f"{path}: the current section's link is scrolled out of view")
    assert not problems, "\n".join(problems)
