"""Starting a postmortem: pre-filled from the incident, its timeline copied from the events."""

from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import Incident
from incidents.postmortems import selectors, services
from incidents.postmortems.models import DEFAULT_SECTIONS, Postmortem, TimelineEntry
from tests import factories
from tests.incidents.conftest import am_alert, am_payload, am_url, post_json
from tests.incidents.postmortems.conftest import T0

pytestmark = pytest.mark.django_db


def test_start_prefills_everything_from_the_incident(incident, commander, member, paged, svc):
    pm, created = services.postmortem_start(incident=incident, by=commander)
    assert created
    assert (pm.title, pm.severity, pm.team) == ("Checkout errors", 2, incident.team)
    assert list(pm.services.all()) == [svc]
    assert pm.started_at == T0
    assert pm.acknowledged_at == T0 + timedelta(minutes=4)
    assert pm.resolved_at == T0 + timedelta(minutes=47)
    assert pm.duration == timedelta(minutes=47)
    assert pm.status == Postmortem.Status.DRAFT and pm.created_by == commander
    # Commander, acker/resolver, event actors and the person paged.
    assert {u.username for u in pm.people.all()} == {
        commander.username,
        member.username,
        paged.username,
    }
    assert [s.title for s in pm.sections.order_by("position")] == [
        s["title"] for s in DEFAULT_SECTIONS
    ]


def test_timeline_is_a_copy_of_the_events_in_order(incident, commander):
    pm, _ = services.postmortem_start(incident=incident, by=commander)
    entries = list(pm.timeline.order_by("position"))
    events = list(incident.events.order_by("at", "pk"))
    assert [e.text for e in entries] == [ev.message for ev in events]
    assert [e.at for e in entries] == [ev.at for ev in events]
    assert [e.kind for e in entries] == [ev.kind for ev in events]
    assert [e.source_event_id for e in entries] == [ev.pk for ev in events]
    assert [e.position for e in entries] == list(range(len(events)))
    assert entries[3].actor_name == commander.username and entries[0].actor_name == ""
    # A copy: editing the postmortem's timeline leaves the incident's alone, and vice versa.
    services.timeline_entry_save(
        entry=entries[3],
        base_version=1,
        at=entries[3].at,
        text="Rolled back v42.",
        annotation="Took 2 minutes.",
        by=commander,
    )
    assert incident.events.get(pk=events[3].pk).message == "Rolled back."
    factories.IncidentEventFactory(incident=incident, message="Late note")
    assert pm.timeline.count() == len(events)


def test_timeline_can_be_annotated_reordered_and_added_to(started, commander):
    first, second = started.timeline.order_by("position")[:2]
    services.timeline_entry_move(entry=second, up=True)
    assert list(started.timeline.order_by("position").values_list("pk", flat=True)[:2]) == [
        second.pk,
        first.pk,
    ]
    added = services.timeline_entry_add(
        postmortem=started,
        at=T0 + timedelta(minutes=2),
        text="Customer support tweeted.",
        by=commander,
    )
    order = list(started.timeline.order_by("position").values_list("text", flat=True))
    assert order.index("Customer support tweeted.") == 2  # after the lines at or before 02:02
    assert added.actor_name == commander.username
    services.timeline_entry_delete(entry=added)
    positions = list(started.timeline.order_by("position").values_list("position", flat=True))
    assert positions == list(range(len(positions)))


def test_starting_twice_returns_the_same_postmortem(incident, commander, member):
    first, created = services.postmortem_start(incident=incident, by=commander)
    again, created_again = services.postmortem_start(incident=incident, by=member)
    assert created and not created_again and first.pk == again.pk
    assert Postmortem.objects.count() == 1
    assert TimelineEntry.objects.count() == incident.events.count()


def test_the_teams_template_is_used(incident, commander):
    services.settings_update(
        team=incident.team,
        sections=[{"title": "What", "prompt": "Say it"}, {"title": "So what", "prompt": ""}],
        due_days={1: 3, 2: 5, 3: 10, 4: 20},
        postmortem_due_business_days=4,
    )
    pm, _ = services.postmortem_start(incident=incident, by=commander)
    assert [(s.title, s.prompt) for s in pm.sections.order_by("position")] == [
        ("What", "Say it"),
        ("So what", ""),
    ]


def test_start_button_is_one_click_from_the_incident_page(client, incident, member):
    client.force_login(member)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="start-postmortem"' in page
    response = client.post(reverse("postmortems:start", args=[incident.pk]))
    pm = Postmortem.objects.get(incident=incident)
    assert response.status_code == 302
    assert response["Location"] == reverse("postmortems:edit", args=[pm.pk])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert 'id="start-postmortem"' not in page and pm.get_absolute_url() in page


def test_participant_from_another_team_may_start_outsider_may_not(client, incident, paged):
    outsider = factories.UserFactory()
    client.force_login(outsider)
    assert client.post(reverse("postmortems:start", args=[incident.pk])).status_code == 403
    assert not Postmortem.objects.exists()
    client.force_login(paged)
    assert client.post(reverse("postmortems:start", args=[incident.pk])).status_code == 302
    assert selectors.postmortem_of_incident(incident=incident) is not None


def test_start_of_unknown_incident_is_404_and_anonymous_goes_to_login(client, member):
    response = client.post(reverse("postmortems:start", args=[999999]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(member)
    assert client.post(reverse("postmortems:start", args=[999999])).status_code == 404
    assert client.get(reverse("postmortems:start", args=[999999])).status_code == 405


def test_the_title_of_an_incident_opened_by_several_alerts_carries_no_count(
    client, integration, commander
):
    """Two alerts open one incident: its title (and so its postmortem's) is the first alert's
    summary, not "… (+1 more)"; the alert count is shown beside it where it matters."""
    alerts = [am_alert("fp-1", summary="Checkout 5xx"), am_alert("fp-2", summary="Latency")]
    assert post_json(client, am_url(integration), am_payload(*alerts)).status_code == 202
    incident = Incident.objects.get()
    assert incident.alerts.count() == 2
    pm, _ = services.postmortem_start(incident=incident, by=commander)
    assert (incident.title, pm.title) == ("Checkout 5xx", "Checkout 5xx")
