"""Destructive buttons ask first with htmx's ``hx-confirm``, not an inline ``onsubmit``
handler; the form is htmx-driven (``hx-boost``) so the question is asked, and the answer is
the page a plain POST gets (the redirect followed, or the new token)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from incidents.models import EscalationPolicy
from tests import factories

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ROTATE = "The current token stops working at once. Rotate?"
HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true"}


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.forms.append(dict(attrs))


def _form_posting_to(html: bytes, action: str) -> dict:
    parser = _Forms()
    parser.feed(html.decode())
    found = [f for f in parser.forms if f.get("action") == action]
    assert len(found) == 1, f"one form posting to {action}: {parser.forms}"
    return found[0]


@pytest.fixture
def logged_in_manager(client, manager):
    client.force_login(manager)
    return manager


def test_no_inline_onsubmit_handlers_in_incident_and_postmortem_templates():
    found = [
        str(path.relative_to(TEMPLATES))
        for folder in ("incidents", "postmortems")
        for path in (TEMPLATES / folder).rglob("*.html")
        if re.search(r"\bonsubmit\s*=", path.read_text(), re.IGNORECASE)
    ]
    assert found == []


def test_deleting_a_policy_asks_first_and_follows_the_redirect(client, team, logged_in_manager):
    policy = factories.EscalationPolicyFactory(team=team)
    url = f"/incidents/policies/{policy.pk}/delete/"
    form = _form_posting_to(client.get(f"/incidents/policies/{policy.pk}/").content, url)
    assert form["hx-confirm"] == "Delete this policy?"
    assert form["hx-boost"] == "true"
    r = client.post(url, **HX)  # what htmx sends once confirmed
    assert r.status_code == 302
    assert r["Location"] == f"/incidents/teams/{team.slug}/policies/"
    assert not EscalationPolicy.objects.exists()


@pytest.mark.parametrize("page", ["list", "edit"])
def test_rotating_a_token_asks_first_and_shows_the_new_token(client, team, logged_in_manager, page):
    integration = factories.IntegrationFactory(team=team)
    url = f"/incidents/integrations/{integration.pk}/rotate/"
    where = {
        "list": f"/incidents/teams/{team.slug}/integrations/",
        "edit": f"/incidents/integrations/{integration.pk}/",
    }[page]
    form = _form_posting_to(client.get(where).content, url)
    assert form["hx-confirm"] == ROTATE
    assert form["hx-boost"] == "true"
    r = client.post(url, **HX)
    assert r.status_code == 302  # htmx follows it to the page that shows the token once
    r = client.get(r["Location"], **HX)
    assert r.status_code == 200
    assert r["Cache-Control"] == "no-store"
    token = re.search(rb'<code id="token">([^<]+)</code>', r.content).group(1).decode()
    integration.refresh_from_db()
    assert integration.token_matches(token)
