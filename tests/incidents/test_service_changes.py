"""What the catalog's confirmation pages say archiving or transferring a service does to its
incidents, integrations and escalation: what the code really does."""

import pytest

from incidents.models import Incident
from incidents.service_changes import archive_consequences, transfer_consequences
from portal.catalog.services import service_archive
from tests import factories
from tests.incidents.conftest import am_alert, am_payload, am_url, post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(team):
    return factories.ServiceFactory(team=team, name="Ledger", slug="ledger")


def test_archive_counts_open_incidents_by_severity_worst_first(team, service):
    for severity in (3, 2, 3):
        factories.IncidentFactory(team=team, severity=severity).services.add(service)
    factories.IncidentFactory(team=team, severity=1, status="resolved").services.add(service)
    factories.IncidentFactory(team=team, severity=1)  # another service's
    ctx = archive_consequences(service=service).context
    assert ctx["by_severity"] == [("SEV2", 1), ("SEV3", 2)]
    assert [i.severity for i in ctx["incidents"]] == [2, 3, 3]


def test_archive_tells_enabled_integrations_apart(team, service):
    on = factories.IntegrationFactory(team=None, service=service, name="On")
    factories.IntegrationFactory(team=None, service=service, name="Off", enabled=False)
    ctx = archive_consequences(service=service).context
    assert ctx["enabled"] == [on] and len(ctx["integrations"]) == 2


def test_transfer_names_the_new_teams_policy_and_the_one_left_behind(team, service):
    other = factories.TeamFactory()
    own = factories.EscalationPolicyFactory(team=team, service=service, name="Ledger's own")
    assert (
        transfer_consequences(service=service, to_team=other, user=None).context["new_policy"]
        is None
    )  # the new team has no default policy: nobody would be paged
    default = factories.EscalationPolicyFactory(team=other, name="Other default")
    ctx = transfer_consequences(service=service, to_team=other, user=None).context
    assert ctx["new_policy"] == default
    assert ctx["own_policy_left_behind"] == own
    service.refresh_from_db()
    assert service.team == team  # asking changes nothing


def test_what_the_archive_page_says_is_true_alerts_still_open_incidents(client, team, service):
    """The page says archiving disables nothing: an archived service's own integration still
    accepts alerts and opens incidents for it."""
    integration = factories.IntegrationFactory(team=None, service=service)
    service_archive(service=service)
    r = post_json(client, am_url(integration), am_payload(am_alert("aaa")))
    assert r.status_code == 202
    assert list(Incident.objects.get().services.all()) == [service]
