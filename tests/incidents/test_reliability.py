"""The engine survives a dead broker and concurrent ticks: every page goes out exactly once."""

import logging
import threading

import pytest
from django.db import connection, transaction

from incidents import escalation
from incidents.models import Incident, IncidentEvent
from portal.celery import app as celery_app
from portal.notifications.models import Kind, Message, Notification
from tests import factories
from tests.incidents.conftest import T0, am_alert, am_payload, am_url, post_json


@pytest.fixture
def eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.mark.django_db
def test_page_is_delivered_once_when_the_broker_is_down_at_trigger_time(
    client, team, broker, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    alice = factories.MembershipFactory(team=team).user
    factories.ContactMethodFactory(user=alice, address="alice@example.com")
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, users=[alice])
    integration = factories.IntegrationFactory(team=team)

    broker.down()
    with (
        caplog.at_level(logging.WARNING),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        # Stored, even though the doorbell could not ring; the drain (here: the helper, in
        # production: the beat) opens the incident, whose kick cannot be enqueued either.
        r = post_json(client, am_url(integration), am_payload(am_alert("aaa")))
    assert r.status_code == 202
    assert len(callbacks) == 2  # the doorbell, then the escalation kick
    assert "Could not enqueue an inbox drain" in caplog.text
    assert "Could not enqueue escalation" in caplog.text
    incident = Incident.objects.get()
    assert incident.next_escalation_at is not None
    assert not Message.objects.exists()

    broker.up()
    celery_app.conf.task_always_eager = True
    try:
        for _ in range(2):  # the tick runs again and again; the first one pages
            with django_capture_on_commit_callbacks(execute=True):
                escalation.escalation_tick()
        from incidents.tasks import escalate_incident

        assert escalate_incident.run(incident.pk) is False  # a late kick finds nothing due
    finally:
        celery_app.conf.task_always_eager = False
    assert Message.objects.filter(kind=Kind.PAGE).count() == 1
    assert Notification.objects.get().status == Notification.Status.SENT
    assert [m.to for m in mailoutbox] == [["alice@example.com"]]


def _setup_due_incidents(count: int):
    team = factories.TeamFactory()
    people = [factories.MembershipFactory(team=team).user for _ in range(3)]
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, users=people)
    incidents = [
        factories.IncidentFactory(
            team=team, escalation_policy=policy, next_escalation_at=T0, triggered_at=T0
        )
        for _ in range(count)
    ]
    return incidents, people


def _run_in_threads(target, n: int) -> list:
    results, errors = [], []
    barrier = threading.Barrier(n)

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_page_every_person_once():
    incidents, people = _setup_due_incidents(12)
    results = _run_in_threads(lambda: escalation.escalation_tick(now=T0), 3)
    assert sum(results) == len(incidents)
    assert Message.objects.filter(kind=Kind.PAGE).count() == len(incidents) * len(people)
    assert IncidentEvent.objects.filter(kind="page").count() == len(incidents) * len(people)
    assert set(Incident.objects.values_list("escalation_level", flat=True)) == {1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tick_skips_an_incident_another_worker_holds():
    """SKIP LOCKED: a tick does not wait for (or double-process) an incident being worked on;
    the next tick picks it up."""
    incidents, _ = _setup_due_incidents(3)
    held = incidents[0]
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Incident.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        assert escalation.escalation_tick(now=T0) == 2
        assert not Message.objects.filter(incident_id=held.pk).exists()
        assert escalation.escalate_due(incident_id=held.pk, now=T0) is False
    finally:
        release.set()
        holder.join(timeout=30)
    assert escalation.escalation_tick(now=T0) == 1
    assert escalation.escalation_tick(now=T0) == 0
    assert Message.objects.filter(incident_id=held.pk).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_webhooks_for_one_group_open_one_incident():
    from django.test import Client

    team = factories.TeamFactory()
    integration = factories.IntegrationFactory(team=team, rate_limit_per_minute=1000)
    url = am_url(integration)

    def send():
        return post_json(Client(), url, am_payload(am_alert("aaa"), am_alert("bbb"))).status_code

    assert _run_in_threads(send, 4) == [202] * 4
    assert Incident.objects.count() == 1
    assert Incident.objects.get().alerts.count() == 2
