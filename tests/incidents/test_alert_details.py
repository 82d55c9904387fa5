"""What responders need from an alert, on the incident page and in the page's email/chat
text: summary, description, runbook, dashboard and panel links, the generator link and every
label (collapsed on the page). Only http(s) addresses become links."""

import pytest

from incidents import alert_upsert, escalation
from incidents.models import Incident
from incidents.payloads import parse_alertmanager
from portal.notifications.models import Message
from tests import factories
from tests.incidents.conftest import T0, am_alert, am_payload

pytestmark = pytest.mark.django_db

RUNBOOK = "https://runbooks.example/checkout-errors"
DASHBOARD = "https://grafana.example/d/abc/checkout"
PANEL = "https://grafana.example/d/abc/checkout?viewPanel=4"
GENERATOR = "http://prometheus.example:9090/graph?g0.expr=rate%28errors%5B5m%5D%29"


def rich_alert(**changes) -> dict:
    alert = am_alert("rich", service="checkout", instance="pod-7", team_label="payments")
    alert["annotations"] = {
        "summary": "Checkout error rate above 5%",
        "description": "5xx ratio is 7.2% on pod-7.\nCheck the payment provider first.",
        "runbook_url": RUNBOOK,
        "__dashboardUrl__": DASHBOARD,
        "__panelUrl__": PANEL,
    }
    alert["generatorURL"] = GENERATOR
    alert.update(changes)
    return alert


def open_incident(team, alert: dict, person=None) -> Incident:
    if person is not None:
        policy = factories.EscalationPolicyFactory(team=team)
        factories.EscalationStepFactory(policy=policy, position=0, users=[person])
    integration = factories.IntegrationFactory(team=team)
    alerts = parse_alertmanager(am_payload(alert, group_key="rich"))
    result = alert_upsert.alerts_ingest(integration=integration, alerts=alerts, now=T0)
    return Incident.objects.get(pk=result.incident_ids[0])


def test_the_incident_page_shows_what_responders_need(client, team, member):
    incident = open_incident(team, rich_alert())
    client.force_login(member)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Checkout error rate above 5%" in page
    assert "5xx ratio is 7.2% on pod-7.<br>Check the payment provider first." in page
    assert f'href="{RUNBOOK}" rel="noopener noreferrer" data-link="runbook"' in page
    assert f'href="{DASHBOARD}" rel="noopener noreferrer" data-link="dashboard"' in page
    assert f'href="{PANEL.replace("?", "?")}"' in page.replace("&amp;", "&")
    assert f'href="{GENERATOR}" rel="noopener noreferrer" data-link="source"' in page
    labels = page.split('<details class="alert-labels">', 1)[1].split("</details>", 1)[0]
    assert "<summary>Labels (5)</summary>" in labels
    for name, value in incident.alerts.get().labels.items():
        assert f"<dt>{name}</dt><dd>{value}</dd>" in labels


@pytest.mark.parametrize(
    "bad", ["javascript:alert(1)", "data:text/html,<b>x</b>", "//evil.example/x", "ftp://x/y"]
)
def test_only_http_addresses_become_links(client, team, member, bad):
    alert = rich_alert(generatorURL=bad)
    alert["annotations"] = {**alert["annotations"], "runbook_url": bad, "__panelUrl__": bad}
    incident = open_incident(team, alert)
    client.force_login(member)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'data-link="runbook"' not in page and 'data-link="panel"' not in page
    assert 'data-link="source"' not in page
    assert f'href="{bad}' not in page


def test_the_page_text_carries_the_alert_details(team, member):
    incident = open_incident(team, rich_alert(), person=member)
    escalation.escalation_tick(now=T0)
    body = Message.objects.get(user=member, incident_id=incident.pk).body
    assert "* Checkout error rate above 5% (firing)" in body
    assert "Description: 5xx ratio is 7.2% on pod-7. Check the payment provider first." in body
    assert f"Runbook: {RUNBOOK}" in body
    assert f"Dashboard: {DASHBOARD}" in body
    assert f"Panel: {PANEL}" in body
    assert f"Source: {GENERATOR}" in body
    assert "Labels: alertname=HighErrorRate, instance=pod-7, service=checkout," in body


def test_text_from_outside_never_becomes_a_labelled_button_line(team, member):
    """The inbox turns a line "Label: <url>" into a button; an alert's words must not."""
    forged = "Acknowledge or resolve: https://evil.example/x"
    alert = rich_alert()
    alert["annotations"] = {"summary": forged, "description": forged}
    incident = open_incident(team, alert, person=member)
    escalation.escalation_tick(now=T0)
    body = Message.objects.get(user=member, incident_id=incident.pk).body
    forged_lines = [line for line in body.splitlines() if "evil.example" in line]
    assert forged_lines and all(not line.strip().startswith("Acknowledge") for line in forged_lines)
    assert all(not line.rstrip().endswith("evil.example/x") for line in forged_lines)


def test_a_newline_in_a_label_value_cannot_start_a_line_of_its_own(team, member):
    """Email and chat list the system's links as "Label: url" lines after the body: an
    alert's label value with a newline must not forge one."""
    forged = "x\nAcknowledge or resolve: https://evil.example/y"
    incident = open_incident(team, rich_alert(labels={"alertname": "A", "note": forged}), member)
    escalation.escalation_tick(now=T0)
    body = Message.objects.get(user=member, incident_id=incident.pk).body
    assert "note=x Acknowledge or resolve: https://evil.example/y" in body
    assert not any(
        line.startswith("Acknowledge or resolve: https://evil") for line in body.splitlines()
    )


def test_a_page_about_many_alerts_lists_a_few_and_counts_the_rest(team, member):
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, position=0, users=[member])
    integration = factories.IntegrationFactory(team=team)
    alerts = parse_alertmanager(am_payload(*[am_alert(f"a{i}") for i in range(8)], group_key="g"))
    alert_upsert.alerts_ingest(integration=integration, alerts=alerts, now=T0)
    escalation.escalation_tick(now=T0)
    body = Message.objects.get(user=member).body
    assert body.count("(firing)") == 5
    assert "… and 3 more on the incident page." in body
