"""An automated accessibility check of the main pages: axe-core (from the npm registry, locked
in tests/browser/package-lock.json, installed by `make axe`) runs inside each page, and no
violation of impact "serious" or "critical" may remain. Also the skip link, the keyboard's
first stop on every page."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from incidents.postmortems.models import Postmortem
from oncall.models import Schedule

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def _axe_source() -> str:
    if not AXE.is_file():
        reason = f"needs axe-core at {AXE}: run `make axe` (npm ci in tests/browser)"
        if os.environ.get("RUNWELL_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (RUNWELL_REQUIRE_SERVICES=1, so this is a failure, not a skip)")
        pytest.skip(reason)
    return AXE.read_text()


def _main_pages() -> list[str]:
    schedule = Schedule.objects.filter(team__slug="payments").order_by("pk").first()
    incident = Incident.objects.filter(team__slug="payments").order_by("pk").first()
    postmortem = Postmortem.objects.filter(team__slug="payments").order_by("pk").first()
    return [
        "/",
        "/services/",
        "/services/payments-api/",
        "/teams/",
        "/teams/payments/",
        "/oncall/teams/payments/",
        f"/oncall/schedules/{schedule.pk}/",
        "/oncall/",
        "/oncall/now/",
        "/oncall/swaps/",
        "/incidents/",
        f"/incidents/{incident.pk}/",
        "/postmortems/",
        f"/postmortems/{postmortem.pk}/",
        "/reports/teams/payments/load/",
        "/notifications/",
        "/profile/",
    ]


RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_have_no_serious_accessibility_violations(
    page, live_server, demo_data, login, width
):
    axe = _axe_source()
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "demo", "demo")
    problems = []
    for path in _main_pages():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.add_script_tag(content=axe)
        for v in page.evaluate(RUN_AXE):
            if v["impact"] in BLOCKING:
                problems.append(
                    f"{path} [{v['impact']}] {v['id']}: {v['help']}\n    "
                    + "\n    ".join(v["nodes"])
                )
    assert not problems, f"at {width} px:\n" + "\n".join(problems)


def test_the_skip_link_is_the_first_stop_and_moves_the_focus_to_the_content(
    page, live_server, demo_data, login
):
    login(page, live_server, "demo", "demo")
    page.goto(f"{live_server.url}/incidents/")
    skip = page.get_by_role("link", name="Skip to content")
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    # The next Tab goes into the page's content, past the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
