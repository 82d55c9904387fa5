"""Integration tokens are shown once, by post/redirect/get: creating or rotating answers with a
redirect to the token page, whose first GET shows the token and whose reload neither shows it
again nor creates or rotates anything. The snippet carries the full webhook URL and a copy
button (static/js/copy.js)."""

import re

import pytest

from incidents.models import Integration
from tests import factories

pytestmark = pytest.mark.django_db

CREATE = {
    "name": "Prometheus",
    "kind": "alertmanager",
    "auto_resolve": "on",
    "default_severity": "4",
    "rate_limit_per_minute": "120",
    "severity_map_text": "critical=SEV1",
}


def token_in(html: bytes) -> str | None:
    found = re.search(rb'<code id="token">([^<]+)</code>', html)
    return found.group(1).decode() if found else None


def test_create_redirects_and_a_reload_creates_nothing(client, team, manager):
    client.force_login(manager)
    url = f"/incidents/teams/{team.slug}/integrations/"
    r = client.post(url, CREATE)
    integration = Integration.objects.get()
    token_page = f"/incidents/integrations/{integration.pk}/token/"
    assert (r.status_code, r["Location"]) == (302, token_page)
    assert token_in(r.content) is None  # the POST's answer carries no token

    first = client.get(token_page)
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    token = token_in(first.content)
    assert integration.token_matches(token)
    html = first.content.decode()
    assert "Prometheus created" in html and "shown only once" in html
    webhook = f"http://testserver/hooks/alertmanager/{token}/"
    assert f"      - url: {webhook}\n" in html  # the alertmanager.yml snippet, whole
    assert 'data-copy="snippet"' in html and "js/copy.js" in html
    assert 'hx-history="false"' in html  # htmx keeps no copy of the token in localStorage

    again = client.get(token_page)  # a reload
    assert again.status_code == 200
    assert token_in(again.content) is None and token.encode() not in again.content
    assert b"no longer shown" in again.content
    assert f"/incidents/integrations/{integration.pk}/rotate/".encode() in again.content
    assert Integration.objects.count() == 1
    integration.refresh_from_db()
    assert integration.token_matches(token)  # nothing rotated either


def test_rotate_redirects_and_a_reload_rotates_nothing(client, team, manager):
    integration = factories.IntegrationFactory(team=team, generic=True)
    client.force_login(manager)
    r = client.post(f"/incidents/integrations/{integration.pk}/rotate/")
    assert r.status_code == 302
    page = client.get(r["Location"])
    new = token_in(page.content)
    assert b"The old token no longer works" in page.content
    assert f"curl -X POST http://testserver/hooks/generic/{new}/".encode() in page.content
    reload = client.get(r["Location"])
    assert token_in(reload.content) is None
    integration.refresh_from_db()
    assert integration.token_matches(new)


def test_the_token_page_is_for_the_integrations_managers(client, team, member, manager):
    integration = factories.IntegrationFactory(team=team)
    client.force_login(manager)
    client.post(f"/incidents/integrations/{integration.pk}/rotate/")
    client.force_login(member)  # another session: no token, and no page either
    assert client.get(f"/incidents/integrations/{integration.pk}/token/").status_code == 403
    assert client.get("/incidents/integrations/999999/token/").status_code == 404
    client.force_login(manager)
    assert client.post(f"/incidents/integrations/{integration.pk}/token/").status_code == 405
