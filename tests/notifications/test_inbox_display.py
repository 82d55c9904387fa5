"""How messages read in the in-app inbox: links are paths (they work on whatever host the
portal is reached on), the raw URLs of the email text are gone, times are in the portal's
format and the viewer's zone. Email and chat keep their absolute links."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents import alert_upsert, escalation
from incidents.models import Incident
from incidents.payloads import parse_alertmanager
from portal.notifications import services
from portal.notifications.display import in_app_url, inbox_entry
from portal.notifications.models import Kind, Message, Notification
from tests import factories
from tests.incidents.conftest import T0, am_alert, am_payload

pytestmark = pytest.mark.django_db

ELSEWHERE = "http://portal.elsewhere.example:9000"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def elsewhere(settings):
    settings.RUNWELL_BASE_URL = ELSEWHERE


@pytest.fixture
def me(client, team):
    user = factories.MembershipFactory(
        team=team, user__username="alice", user__time_zone="Europe/Berlin"
    ).user
    client.force_login(user)
    return user


def _inbox_html(client, **params) -> str:
    body = client.get(reverse("notifications:inbox"), params).content.decode()
    return body.split('id="inbox"', 1)[1]


def _hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def _paged(team, me) -> tuple[Incident, Message]:
    """A real page, as the escalation writes it."""
    policy = factories.EscalationPolicyFactory(team=team, repeat_count=1)
    factories.EscalationStepFactory(policy=policy, position=0, users=[me])
    integration = factories.IntegrationFactory(team=team)
    alert = am_alert("aaa")
    del alert["generatorURL"]  # links to Prometheus and Alertmanager stay absolute: none here
    alerts = parse_alertmanager(am_payload(alert, group_key="aaa", externalURL=""))
    result = alert_upsert.alerts_ingest(integration=integration, alerts=alerts, now=T0)
    escalation.escalation_tick(now=T0)
    return Incident.objects.get(pk=result.incident_ids[0]), Message.objects.get(user=me)


def test_page_links_in_the_inbox_are_paths_on_any_host(client, elsewhere, team, me):
    incident, message = _paged(team, me)
    assert message.url.startswith(f"{ELSEWHERE}/incidents/respond/")  # stored for email
    html = _inbox_html(client)
    hrefs = _hrefs(html)
    respond = message.url.removeprefix(ELSEWHERE)
    assert respond in hrefs and incident.get_absolute_url() in hrefs
    assert all(h.startswith("/") and not h.startswith("//") for h in hrefs), hrefs
    assert "elsewhere.example" not in html and "http://" not in html


def test_a_page_reads_as_a_short_body_with_labelled_buttons(client, elsewhere, team, me):
    incident, message = _paged(team, me)
    html = _inbox_html(client)
    respond = message.url.removeprefix(ELSEWHERE)
    token = respond.rsplit("/respond/", 1)[1]
    assert html.count(token) == 1  # once, in the button; not twice as raw text
    assert f'<a class="button small" href="{respond}">Acknowledge or resolve</a>' in html
    assert f'href="{incident.get_absolute_url()}">Incident</a>' in html
    assert "Acknowledge or resolve:" not in html
    assert 'style="overflow-wrap:anywhere"' in html  # long subjects and errors wrap at 390 px


def test_times_in_a_body_are_in_the_portal_format_and_the_viewers_zone(client, team, me):
    _paged(team, me)
    html = _inbox_html(client)
    assert " UTC" not in html
    # Triggered at T0, Mon 3 Mar 2025 02:00 UTC: 03:00 in Berlin.
    assert T0.strftime("%Y-%m-%d %H:%M") == "2025-03-03 02:00"
    assert "triggered Mon 3 Mar 03:00." in html


def test_the_htmx_row_after_mark_read_has_paths_too(client, elsewhere, team, me):
    _, message = _paged(team, me)
    response = client.post(reverse("notifications:mark_read", args=[message.pk]), **HX)
    html = response.content.decode()
    assert "Acknowledge or resolve" in html
    assert all(h.startswith("/") for h in _hrefs(html))
    assert "elsewhere.example" not in html


def test_a_message_link_gets_a_label_and_other_hosts_are_left_alone(client, elsewhere, me):
    services.notify(
        user=me,
        kind=Kind.SHIFT_REMINDER,
        dedup_key="remind:1:start",
        subject="On call from 09:00 tomorrow",
        body="Handover notes are in the wiki.\nSee https://status.example.org.",
        url="/oncall/",
        links=[("Runbook", "https://wiki.example.com/runbooks/payments")],
    )
    html = _inbox_html(client)
    assert '<a class="button small" href="/oncall/">Open my shifts</a>' in html
    assert (
        '<a class="button small secondary" href="https://wiki.example.com/runbooks/payments">'
        "Runbook</a>"
    ) in html
    assert 'See <a href="https://status.example.org">https://status.example.org</a>.' in html


def _forged_comment(me, team) -> str:
    """Someone comments on my postmortem with a line shaped like a page's action link."""
    from incidents.postmortems import services as postmortems
    from incidents.postmortems import workflow

    incident = factories.IncidentFactory(team=team, status="resolved", commander=me)
    postmortem, _ = postmortems.postmortem_start(incident=incident, by=me)
    author = factories.MembershipFactory(team=team, user__username="mallory").user
    workflow.comment_add(
        postmortem=postmortem,
        by=author,
        body="Looks fine.\nAcknowledge or resolve: https://evil.example/x\nIncident: /admin/",
    )
    return postmortem.get_absolute_url()


def test_text_a_person_wrote_never_becomes_a_labelled_button(client, team, me):
    """Issue 15: a comment line "Acknowledge or resolve: <url>" was shown as the official
    button in the reader's inbox. Buttons come only from links the system stored."""
    postmortem_url = _forged_comment(me, team)
    assert Message.objects.get(user=me).links == []
    html = _inbox_html(client)
    buttons = re.findall(r'<a class="button small[^"]*" href="([^"]*)">([^<]*)</a>', html)
    assert buttons == [(postmortem_url, "Open postmortem")]
    # The comment reads as what it is: text, with the URL it names shown as itself.
    assert (
        'Acknowledge or resolve: <a href="https://evil.example/x">https://evil.example/x</a>'
    ) in html
    assert "Incident: /admin/" in html


def test_api_lists_the_action_links_apart_from_the_body(team, me):
    _, message = _paged(team, me)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.ApiTokenFactory(user=me).raw}")
    data = client.get(f"/api/v1/inbox/{message.pk}/").json()
    assert [link["label"] for link in data["links"]] == ["Acknowledge or resolve", "Incident"]
    assert data["links"][0]["url"] == message.url
    assert "http" not in data["body"]


@pytest.mark.parametrize(
    "url, label",
    [
        ("/oncall/swaps/#clashes", "Open swaps page"),
        ("/oncall/swaps/3/", "Open request"),
        ("/incidents/3/", "Open incident"),
        ("/no/such/page/", "Open"),
        ("https://jira.example.com/browse/OPS-1", "Open"),
    ],
)
def test_the_message_link_is_labelled_by_where_it_leads(user, url, label):
    message = factories.MessageFactory(user=user, kind=Kind.SWAP, body="", url=url)
    assert [(link.label, link.href) for link in inbox_entry(message).links] == [(label, url)]


def test_in_app_url():
    base = "http://runwell.test"
    assert in_app_url(f"{base}/incidents/3/?a=1#x") == "/incidents/3/?a=1#x"
    assert in_app_url(base) == "/"
    assert in_app_url("HTTP://Runwell.Test/x/") == "/x/"
    assert in_app_url("/already/a/path/") == "/already/a/path/"
    assert in_app_url("http://runwell.test:8000/x/") == "http://runwell.test:8000/x/"
    assert in_app_url("https://jira.example.com/browse/OPS-1") == (
        "https://jira.example.com/browse/OPS-1"
    )


def test_a_plain_message_is_unchanged(user):
    message = factories.MessageFactory(user=user, body="Line one.\nLine two.", url="")
    entry = inbox_entry(message)
    assert [p.text for p in entry.parts] == ["Line one.\nLine two."] and entry.links == []


def test_email_and_chat_keep_absolute_links(elsewhere, team, me, mailoutbox, webhook_server):
    factories.ContactMethodFactory(user=me, address="alice@example.com")
    factories.ContactMethodFactory(user=me, webhook=True, address=webhook_server.url)
    incident, message = _paged(team, me)
    for row in Notification.objects.filter(message=message):
        assert services.notification_deliver(notification_id=row.pk) == "sent"
    chat = webhook_server.requests[0]["body"].decode()
    for text in (mailoutbox[0].body, chat):
        assert f"{ELSEWHERE}/incidents/respond/" in text
        assert f"{ELSEWHERE}{incident.get_absolute_url()}" in text


@pytest.mark.parametrize(
    ("zone", "written"),
    [("Asia/Tokyo", "9999-12-31 23:59 UTC"), ("America/Los_Angeles", "0001-01-01 00:00 UTC")],
)
def test_a_quoted_moment_beyond_the_calendar_leaves_the_inbox_working(client, me, zone, written):
    """Issue 15: message bodies quote people's text (comments, swap reasons), and a moment
    written there whose local time falls outside Python's dates answered 500 for the reader."""
    type(me.profile).objects.filter(pk=me.profile.pk).update(time_zone=zone)
    services.notify(user=me, kind=Kind.NAG, dedup_key="quote", subject="s", body=f"At {written}.")
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    assert f"At {written}." in response.content.decode()
