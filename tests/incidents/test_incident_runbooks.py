"""The runbook of each affected service is a link near the top of the incident page and of the
signed respond page; nothing is shown when no service has one."""

import pytest

from incidents import escalation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(team):
    ledger = factories.ServiceFactory(
        team=team, name="Ledger", slug="ledger", runbook_url="https://runbooks.example/ledger"
    )
    quiet = factories.ServiceFactory(team=team, name="Quiet", slug="quiet")
    incident = factories.IncidentFactory(team=team, title="Ledger is slow")
    incident.services.set([ledger, quiet])
    return incident


def _runbooks(html: str) -> str:
    assert 'id="runbooks"' in html, "no runbook line"
    return html.split('id="runbooks"')[1].split("</p>")[0]


def test_incident_page_links_each_services_runbook_near_the_top(client, incident, outsider):
    client.force_login(outsider)
    html = client.get(incident.get_absolute_url()).content.decode()
    line = _runbooks(html)
    assert 'href="https://runbooks.example/ledger"' in line and "Ledger runbook" in line
    assert "Quiet" not in line  # no runbook: no link
    # Near the top: before the incident's facts and its alerts.
    assert html.index('id="runbooks"') < html.index("<dt>Services</dt>")


def test_incident_page_live_refresh_keeps_the_runbook(client, incident, member):
    client.force_login(member)
    html = client.get(
        incident.get_absolute_url(),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="incident-live",
    ).content.decode()
    assert "Ledger runbook" in _runbooks(html)


def test_nothing_when_no_service_has_a_runbook(client, team, member):
    bare = factories.IncidentFactory(team=team)
    bare.services.set([factories.ServiceFactory(team=team)])
    client.force_login(member)
    html = client.get(bare.get_absolute_url()).content.decode()
    assert 'id="runbooks"' not in html


def test_respond_page_links_the_runbook(client, incident, member):
    path = escalation.page_link_path(incident_id=incident.pk, user_id=member.pk)
    html = client.get(path).content.decode()
    assert 'href="https://runbooks.example/ledger"' in _runbooks(html)
