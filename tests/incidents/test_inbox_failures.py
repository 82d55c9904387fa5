"""A 202 is a promise: a payload that cannot be ingested afterwards is loud (its owners are
paged, the integration page, the incident list and the incident show it, the metric counts
it), never blocks what comes after it (resolutions travelling with it included), and is
ingested, in order, once queued again."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from incidents import ingest
from incidents.models import Alert, InboxPayload, Incident, IncidentEvent
from portal.notifications.models import Kind, Message
from tests import factories
from tests.incidents.conftest import am_alert, am_payload, am_url, post_json

pytestmark = pytest.mark.django_db

GROUP = '{}:{alertname="HighErrorRate"}'


@pytest.fixture
def integration(team):
    return factories.IntegrationFactory(team=team, name="Prod Alertmanager")


@pytest.fixture
def refuse_poison():
    """A real database failure for alerts whose identity is "poison" (a trigger), as any bug
    that makes the database refuse a row would be; ``refuse_poison()`` lifts it again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
            "IF NEW.dedup_key = 'poison' THEN RAISE EXCEPTION 'value too long for the test'; "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON incidents_alert "
            "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
        )

    def lift():
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse ON incidents_alert")

    return lift


def send(client, integration, *alerts):
    r = post_json(client, am_url(integration), am_payload(*alerts, group_key=GROUP))
    assert r.status_code == 202
    return r


@pytest.mark.postgres
def test_a_failing_alert_never_blocks_the_resolution_it_travels_with(
    client, integration, refuse_poison
):
    """The issue's case: one alert that cannot be stored joins an open group whose other
    alerts resolve in the same payload. The resolutions are applied; the incident resolves."""
    send(client, integration, am_alert("a"), am_alert("b"))
    incident = Incident.objects.get()
    send(
        client,
        integration,
        am_alert("a", status="resolved"),
        am_alert("b", status="resolved"),
        am_alert("poison"),
    )
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert set(incident.alerts.values_list("dedup_key", "status")) == {
        ("a", "resolved"),
        ("b", "resolved"),
    }
    failed = InboxPayload.objects.get()
    assert failed.failed_at is not None
    assert [a["dedup_key"] for a in failed.alerts] == ["poison"]  # only what failed is kept
    assert failed.alert_count == 1
    assert "value too long for the test" in failed.error


@pytest.mark.postgres
def test_a_failed_payload_never_blocks_later_payloads_of_its_group(
    client, integration, refuse_poison
):
    send(client, integration, am_alert("a"))
    send(client, integration, am_alert("a"), am_alert("poison"))
    send(client, integration, am_alert("a", status="resolved"))
    assert Incident.objects.get().status == Incident.Status.RESOLVED
    assert InboxPayload.objects.filter(failed_at__isnull=False).count() == 1


@pytest.fixture
def refuse_failure_notes():
    """Keeping a failed payload aside fails too: the database refuses its "Update not
    applied" timeline line."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_note() RETURNS trigger AS $$ BEGIN "
            "IF NEW.kind = 'update_failed' THEN RAISE EXCEPTION 'no notes today'; "
            "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_note BEFORE INSERT ON incidents_incidentevent "
            "FOR EACH ROW EXECUTE FUNCTION refuse_note()"
        )


@pytest.mark.postgres
def test_a_payload_that_cannot_even_be_kept_aside_blocks_nothing(
    client, team, integration, manager, refuse_poison, refuse_failure_notes
):
    """If marking a payload failed fails as well, that payload is set aside as it is, in a
    transaction of its own; the integration's later payloads and other integrations go on."""
    other = factories.IntegrationFactory(team=team, name="Other Alertmanager")
    send(client, integration, am_alert("a"))
    send(client, integration, am_alert("poison"))
    send(client, integration, am_alert("a", status="resolved"))
    r = post_json(client, am_url(other), am_payload(am_alert("z"), group_key=GROUP))
    assert r.status_code == 202
    assert Incident.objects.get(integration=integration).status == Incident.Status.RESOLVED
    assert Incident.objects.get(integration=other).status == Incident.Status.TRIGGERED
    failed = InboxPayload.objects.get()
    assert failed.failed_at is not None
    assert [a["dedup_key"] for a in failed.alerts] == ["poison"]
    assert "no notes today" in failed.error
    assert Message.objects.filter(user=manager, subject__contains="could not be processed")


@pytest.mark.postgres
def test_the_team_managers_are_paged_with_the_error(
    client, integration, team, manager, member, refuse_poison
):
    send(client, integration, am_alert("poison"))
    (message,) = Message.objects.filter(kind=Kind.PAGE)
    assert message.user == manager  # managers, not every member
    assert message.subject == "Alerts from Prod Alertmanager could not be processed"
    assert "value too long for the test" in message.body
    assert message.url.endswith(reverse("incidents:integration_list", args=[team.slug]))
    # Another failure within the hour does not page again (the pages show them all).
    send(client, integration, am_alert("poison"))
    assert Message.objects.filter(kind=Kind.PAGE).count() == 1
    assert InboxPayload.objects.filter(failed_at__isnull=False).count() == 2


@pytest.mark.postgres
def test_staff_are_paged_when_the_team_has_no_manager(
    client, integration, member, staff, refuse_poison
):
    send(client, integration, am_alert("poison"))
    assert list(Message.objects.values_list("user", flat=True)) == [staff.pk]


@pytest.mark.postgres
def test_the_incident_shows_that_an_update_could_not_be_applied(
    client, integration, manager, refuse_poison
):
    send(client, integration, am_alert("a"))
    incident = Incident.objects.get()
    send(client, integration, am_alert("a"), am_alert("poison"))
    line = incident.events.get(kind=IncidentEvent.Kind.UPDATE_FAILED)
    payload = InboxPayload.objects.get()
    assert line.data == {"payload_id": payload.pk}
    client.force_login(manager)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "An update could not be applied" in page
    assert f'data-failed-payload="{payload.pk}"' in page

    # Fixed and queued again: ingested, and the warning goes (the timeline keeps the line).
    refuse_poison()
    call_command("inbox_requeue", "--now", stdout=StringIO())
    assert not InboxPayload.objects.exists()
    assert incident.alerts.filter(dedup_key="poison").exists()
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "An update could not be applied" not in page


@pytest.mark.postgres
def test_the_integration_page_and_the_incident_list_show_the_failure(
    client, integration, team, manager, outsider, refuse_poison
):
    send(client, integration, am_alert("poison"))
    client.force_login(manager)
    for url in (reverse("incidents:integration_list", args=[team.slug]), "/incidents/"):
        page = client.get(url).content.decode()
        assert "Alerts from Prod Alertmanager could not be processed" in page, url
        assert "value too long for the test" in page
    client.force_login(outsider)  # not one of the team's: not their business
    assert "could not be processed" not in client.get("/incidents/").content.decode()


@pytest.mark.postgres
def test_the_metric_counts_failed_payloads(client, integration, refuse_poison):
    send(client, integration, am_alert("poison"))
    send(client, integration, am_alert("poison"))
    metrics = client.get("/metrics").content.decode()
    assert "runwell_inbox_failed 2.0" in metrics


@pytest.mark.postgres
def test_queued_again_failed_payloads_are_ingested_in_arrival_order(
    client, integration, refuse_poison
):
    send(client, integration, am_alert("poison"))
    send(client, integration, am_alert("poison", status="resolved"), am_alert("other"))
    # The resolution of a never-stored alert is ignored; "other" opened an incident.
    assert InboxPayload.objects.filter(failed_at__isnull=False).count() == 1
    send(client, integration, am_alert("poison"))
    assert InboxPayload.objects.filter(failed_at__isnull=False).count() == 2
    refuse_poison()
    out = StringIO()
    call_command("inbox_requeue", stdout=out)
    assert "2 failed payload(s) queued again" in out.getvalue()
    assert ingest.inbox_drain() == 2
    assert not InboxPayload.objects.exists()
    poison = Alert.objects.get(dedup_key="poison")
    assert poison.status == Alert.Status.FIRING and poison.incident.is_open


@pytest.mark.postgres
def test_queued_again_payloads_apply_in_arrival_order(client, integration, refuse_poison):
    """Two failed payloads about one alert: the first opens the incident (its title), the
    second updates the alert, as they arrived; taken the other way round, the title would
    be the second's."""
    send(client, integration, am_alert("poison", summary="first words"))
    send(client, integration, am_alert("poison", summary="second words"))
    refuse_poison()
    call_command("inbox_requeue", stdout=StringIO())
    ingest.inbox_drain()
    poison = Alert.objects.get(dedup_key="poison")
    assert poison.incident.title == "first words"
    assert poison.summary == "second words"


@pytest.mark.postgres
def test_a_resolution_that_came_while_its_alert_waited_failed_is_kept(
    client, integration, refuse_poison
):
    """Alertmanager sends a resolution once. It came while the firing alert waited in a
    failed payload (nothing stored to resolve): it is written into that payload, so queuing
    it again pages nobody for an alert that is over."""
    send(client, integration, am_alert("poison"))
    send(client, integration, am_alert("poison", status="resolved"))
    waiting = InboxPayload.objects.get()
    assert [a["status"] for a in waiting.alerts] == ["resolved"]
    refuse_poison()
    call_command("inbox_requeue", stdout=StringIO())
    ingest.inbox_drain()
    assert not InboxPayload.objects.exists()
    assert not Incident.objects.exists()
    assert not Message.objects.filter(kind=Kind.PAGE, subject__contains="HighErrorRate").exists()


@pytest.mark.postgres
def test_a_failed_payload_queued_again_never_overrides_newer_news(
    client, integration, refuse_poison
):
    """The alert fired again and resolved after its first payload failed: queuing the old
    payload again neither reopens nor re-fires it."""
    send(client, integration, am_alert("poison", summary="old"))
    refuse_poison()
    send(client, integration, am_alert("poison", summary="new"))
    send(client, integration, am_alert("poison", status="resolved", summary="new"))
    assert Incident.objects.get().status == Incident.Status.RESOLVED
    call_command("inbox_requeue", stdout=StringIO())
    ingest.inbox_drain()
    assert not InboxPayload.objects.exists()
    incident = Incident.objects.get()
    assert incident.status == Incident.Status.RESOLVED
    alert = incident.alerts.get()
    assert (alert.status, alert.summary) == (Alert.Status.RESOLVED, "new")


@pytest.mark.postgres
def test_the_admin_action_queues_failed_payloads_again(
    admin_client, client, integration, refuse_poison
):
    send(client, integration, am_alert("poison"))
    payload = InboxPayload.objects.get()
    refuse_poison()
    r = admin_client.post(
        reverse("admin:incidents_inboxpayload_changelist"),
        {"action": "process_again", "_selected_action": [payload.pk]},
    )
    assert r.status_code == 302
    assert ingest.inbox_drain() == 1
    assert Alert.objects.filter(dedup_key="poison").exists()


def test_the_management_command_takes_an_integration(integration):
    other = factories.InboxPayloadFactory(failed=True)
    mine = factories.InboxPayloadFactory(integration=integration, failed=True)
    call_command("inbox_requeue", "--integration", str(integration.pk), stdout=StringIO())
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.failed_at is None and other.failed_at is not None
