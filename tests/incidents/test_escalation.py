"""Escalation with a controllable clock: every service and the tick take ``now``."""

from datetime import timedelta

import pytest

from incidents import alert_upsert, escalation, services
from incidents.escalation import Page, Repeat, Skip, State, StepTargets, escalation_step
from incidents.models import Incident, IncidentEvent
from incidents.payloads import parse_alertmanager
from portal.notifications.models import Kind, Message
from tests import factories
from tests.incidents.conftest import T0, am_alert, am_payload

MIN = timedelta(minutes=1)


# ------------------------------------------------------------------------------- pure core
def steps_of(*people, wait=5):
    return [
        StepTargets(wait=wait * MIN, user_ids=tuple(p), empty_reasons=("nobody",)) for p in people
    ]


def test_core_first_step_pages_at_once_and_waits_its_wait():
    d = escalation_step(state=State(0, 0, 0), steps=steps_of([1], [2]), now=T0)
    assert d.actions == [Page(0, 0, (1,))]
    assert d.next_at == T0 + 5 * MIN
    assert d.state == State(1, 0, 0)


def test_core_repeats_then_finishes():
    steps = steps_of([1], [2])
    d = escalation_step(state=State(2, 0, 1), steps=steps, now=T0)
    assert d.actions == [Repeat(1), Page(0, 1, (1,))]
    assert d.state == State(1, 1, 0)
    d = escalation_step(state=State(2, 1, 0), steps=steps, now=T0)
    assert d.actions == [] and d.exhausted and d.next_at is None


def test_core_skips_empty_steps_at_once():
    d = escalation_step(state=State(0, 0, 0), steps=steps_of([], [], [3]), now=T0)
    assert d.actions == [Skip(0, 0, ("nobody",)), Skip(1, 0, ("nobody",)), Page(2, 0, (3,))]
    assert d.next_at == T0 + 5 * MIN


def test_core_empty_last_step_moves_on_to_the_repeat_at_once():
    d = escalation_step(state=State(1, 0, 1), steps=steps_of([1], []), now=T0)
    assert d.actions == [Skip(1, 0, ("nobody",)), Repeat(1), Page(0, 1, (1,))]


def test_core_a_whole_pass_of_nobody_falls_back_to_managers():
    d = escalation_step(state=State(0, 0, 5), steps=steps_of([], []), now=T0)
    assert d.fallback == "nobody" and d.exhausted and d.next_at is None
    assert [type(a) for a in d.actions] == [Skip, Skip]


def test_core_no_steps_falls_back_to_managers():
    d = escalation_step(state=State(0, 3, 0), steps=[], now=T0)
    assert d.fallback == "no_steps" and d.next_at is None


# ------------------------------------------------------------------------------- with a DB
@pytest.fixture
def people(team):
    return {
        name: factories.MembershipFactory(team=team, user__username=name).user
        for name in ("alice", "bob", "carol")
    }


@pytest.fixture
def policy(team, people):
    policy = factories.EscalationPolicyFactory(team=team, repeat_count=1, name="Default")
    factories.EscalationStepFactory(
        policy=policy, position=0, wait_minutes=5, users=[people["alice"]]
    )
    factories.EscalationStepFactory(
        policy=policy, position=1, wait_minutes=10, users=[people["bob"]]
    )
    return policy


def trigger(team, *, now=T0, fingerprint="aaa") -> Incident:
    integration = factories.IntegrationFactory(team=team)
    alerts = parse_alertmanager(am_payload(am_alert(fingerprint), group_key=fingerprint))
    result = alert_upsert.alerts_ingest(integration=integration, alerts=alerts, now=now)
    return Incident.objects.get(pk=result.incident_ids[0])


def pages() -> list[tuple[str, str]]:
    """(username, dedup key) of every page message, oldest first."""
    return [
        (m.user.username, m.dedup_key)
        for m in Message.objects.filter(kind=Kind.PAGE).select_related("user").order_by("pk")
    ]


def paged_names() -> list[str]:
    return [name for name, _ in pages()]


@pytest.mark.django_db
def test_step_one_at_once_step_two_after_its_wait_then_repeat_then_stop(team, policy, people):
    incident = trigger(team)
    assert incident.next_escalation_at == T0
    assert paged_names() == []

    escalation.escalation_tick(now=T0)
    assert pages() == [("alice", f"page:{incident.pk}:1:0:{people['alice'].pk}")]

    escalation.escalation_tick(now=T0 + 5 * MIN - timedelta(seconds=1))
    assert paged_names() == ["alice"]

    escalation.escalation_tick(now=T0 + 5 * MIN)
    assert pages()[-1] == ("bob", f"page:{incident.pk}:2:0:{people['bob'].pk}")

    escalation.escalation_tick(now=T0 + 14 * MIN)
    assert paged_names() == ["alice", "bob"]

    escalation.escalation_tick(now=T0 + 15 * MIN)  # the whole policy once more
    assert pages()[-1] == ("alice", f"page:{incident.pk}:1:1:{people['alice'].pk}")
    escalation.escalation_tick(now=T0 + 20 * MIN)
    assert pages()[-1] == ("bob", f"page:{incident.pk}:2:1:{people['bob'].pk}")

    escalation.escalation_tick(now=T0 + 30 * MIN)
    incident.refresh_from_db()
    assert incident.next_escalation_at is None
    assert incident.events.filter(message__startswith="Escalation finished").exists()
    escalation.escalation_tick(now=T0 + 300 * MIN)
    assert paged_names() == ["alice", "bob", "alice", "bob"]
    # Every page and every escalation is on the timeline.
    assert incident.events.filter(kind=IncidentEvent.Kind.PAGE).count() == 4
    assert incident.events.filter(kind="escalation", message__startswith="Step").count() == 4
    assert incident.events.filter(kind="escalation", message__contains="repeating").count() == 1


@pytest.mark.django_db
def test_acknowledge_stops_escalation(team, policy, people):
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    services.incident_acknowledge(incident=incident, by=people["alice"], now=T0 + MIN)
    assert incident.next_escalation_at is None
    for minutes in (5, 15, 60):
        escalation.escalation_tick(now=T0 + minutes * MIN)
    assert paged_names() == ["alice"]
    assert incident.events.filter(kind="acknowledged", actor=people["alice"]).exists()


@pytest.mark.django_db
def test_resolve_stops_escalation(team, policy, people):
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    services.incident_resolve(
        incident=incident, by=people["bob"], actionable=False, note="flap", now=T0 + MIN
    )
    for minutes in (5, 15, 60):
        escalation.escalation_tick(now=T0 + minutes * MIN)
    assert paged_names() == ["alice"]
    incident.refresh_from_db()
    assert (incident.status, incident.actionable) == ("resolved", False)


@pytest.mark.django_db
def test_step_with_nobody_on_call_is_logged_and_skipped_at_once(team, people):
    empty = factories.ScheduleFactory(team=team, name="Payments primary")
    policy = factories.EscalationPolicyFactory(team=team, name="P")
    factories.EscalationStepFactory(policy=policy, position=0, wait_minutes=30, schedules=[empty])
    factories.EscalationStepFactory(
        policy=policy, position=1, wait_minutes=5, users=[people["bob"]]
    )
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    assert paged_names() == ["bob"]  # not after 30 minutes: at once
    skipped = incident.events.get(kind=IncidentEvent.Kind.NOBODY)
    assert "no one on call for Payments primary" in skipped.message
    incident.refresh_from_db()
    assert incident.next_escalation_at == T0 + 5 * MIN


@pytest.mark.django_db
def test_schedule_target_pages_whoever_is_on_call(team, people):
    schedule = factories.ScheduleFactory(team=team, name="Primary")
    factories.LayerFactory(schedule=schedule, participants=[people["carol"]])
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, schedules=[schedule])
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    assert paged_names() == ["carol"]
    assert incident.events.filter(kind="page", message__contains="on call for Primary").exists()


@pytest.mark.django_db
def test_managers_and_whole_team_targets(team, people, manager):
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, notify_managers=True)
    factories.EscalationStepFactory(policy=policy, notify_team=True, wait_minutes=5)
    trigger(team)
    escalation.escalation_tick(now=T0)
    assert paged_names() == [manager.username]
    escalation.escalation_tick(now=T0 + 10 * MIN)
    assert sorted(paged_names()[1:]) == sorted(["alice", "bob", "carol", manager.username])


@pytest.mark.django_db
def test_team_without_policy_pages_its_managers_and_says_so(team, manager):
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    assert paged_names() == [manager.username]
    assert incident.events.filter(message__contains="has no escalation policy").exists()
    incident.refresh_from_db()
    assert incident.next_escalation_at is None


@pytest.mark.django_db
def test_policy_without_steps_pages_the_managers(team, manager):
    factories.EscalationPolicyFactory(team=team, name="Empty")
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    assert paged_names() == [manager.username]
    assert incident.events.filter(message__contains="Empty has no steps").exists()


@pytest.mark.django_db
def test_no_policy_and_no_managers_is_logged(team):
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    assert paged_names() == []
    assert incident.events.filter(kind="nobody", message__contains="no managers").exists()


@pytest.mark.django_db
def test_service_policy_beats_the_team_default(team, policy, service, people):
    own = factories.EscalationPolicyFactory(team=team, service=service, name="Own")
    factories.EscalationStepFactory(policy=own, users=[people["carol"]])
    incident = services.incident_declare(
        title="Checkout down", severity=1, services=[service], by=people["alice"], now=T0
    )
    assert incident.escalation_policy == own
    escalation.escalation_tick(now=T0)
    assert paged_names() == ["carol"]


@pytest.mark.django_db
def test_escalate_now_on_an_acknowledged_incident_retriggers(team, policy, people):
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    services.incident_acknowledge(incident=incident, by=people["alice"], now=T0 + MIN)
    services.incident_escalate(incident=incident, by=people["alice"], now=T0 + 2 * MIN)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED
    assert incident.acknowledged_by is None
    escalation.escalation_tick(now=T0 + 2 * MIN)
    assert paged_names() == ["alice", "bob"]  # the next step, at once
    assert incident.events.filter(kind="retriggered").exists()


@pytest.mark.django_db
def test_escalate_now_after_escalation_finished_runs_another_pass(team, people):
    policy = factories.EscalationPolicyFactory(team=team)
    factories.EscalationStepFactory(policy=policy, users=[people["alice"]], wait_minutes=1)
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    escalation.escalation_tick(now=T0 + MIN)
    incident.refresh_from_db()
    assert incident.next_escalation_at is None
    services.incident_escalate(incident=incident, by=people["bob"], now=T0 + 5 * MIN)
    escalation.escalation_tick(now=T0 + 5 * MIN)
    assert [key for _, key in pages()] == [
        f"page:{incident.pk}:1:0:{people['alice'].pk}",
        f"page:{incident.pk}:1:1:{people['alice'].pk}",
    ]


@pytest.mark.django_db
def test_escalate_now_while_waiting_fires_the_next_step(team, policy, people):
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    services.incident_escalate(incident=incident, by=people["carol"], now=T0 + MIN)
    escalation.escalation_tick(now=T0 + MIN)
    assert paged_names() == ["alice", "bob"]


@pytest.mark.django_db
def test_reassign_pages_the_new_team(team, policy, people):
    other = factories.TeamFactory()
    dora = factories.MembershipFactory(team=other, user__username="dora").user
    other_policy = factories.EscalationPolicyFactory(team=other)
    factories.EscalationStepFactory(policy=other_policy, users=[dora])
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    services.incident_reassign(incident=incident, team=other, by=people["alice"], now=T0 + MIN)
    escalation.escalation_tick(now=T0 + MIN)
    assert paged_names() == ["alice", "dora"]
    incident.refresh_from_db()
    assert incident.team == other and incident.escalation_policy == other_policy


@pytest.mark.django_db
def test_escalation_lag_is_recorded_on_the_event(team, policy):
    incident = trigger(team)
    escalation.escalation_tick(now=T0 + timedelta(seconds=1, milliseconds=500))
    event = incident.events.get(kind="escalation")
    assert event.due_at == T0
    assert event.lag_ms == 1500


@pytest.mark.django_db
def test_running_the_tick_twice_pages_once(team, policy):
    incident = trigger(team)
    assert escalation.escalation_tick(now=T0) == 1
    assert escalation.escalation_tick(now=T0) == 0
    assert escalation.escalate_due(incident_id=incident.pk, now=T0) is False
    assert paged_names() == ["alice"]
    assert incident.events.filter(kind="page").count() == 1


@pytest.mark.django_db
def test_kick_task_and_tick_page_once(team, policy):
    from incidents.tasks import escalate_incident

    incident = trigger(team, now=T0)
    assert escalate_incident.run(incident.pk) is True  # the kick, with the real clock
    escalation.escalation_tick()
    assert paged_names() == ["alice"]


@pytest.mark.django_db
def test_page_carries_a_signed_link_and_a_clear_subject(team, policy, people):
    incident = trigger(team)
    escalation.escalation_tick(now=T0)
    message = Message.objects.get()
    assert message.subject.startswith(f"[SEV2] #{incident.pk} ")
    assert message.incident_id == incident.pk
    assert "/incidents/respond/" in message.url
    token = message.url.rsplit("/respond/", 1)[1].strip("/")
    assert escalation.page_link_read(token) == (incident.pk, people["alice"].pk)


@pytest.mark.django_db
def test_page_is_delivered_to_the_persons_contact_method(team, policy, people, mailoutbox):
    from portal.notifications.models import Notification
    from portal.notifications.services import notification_deliver

    factories.ContactMethodFactory(user=people["alice"], address="alice@example.com")
    trigger(team)
    escalation.escalation_tick(now=T0)
    notification = Notification.objects.get()
    assert notification_deliver(notification_id=notification.pk) == "sent"
    assert mailoutbox[0].to == ["alice@example.com"]
    assert "/incidents/respond/" in mailoutbox[0].body


@pytest.mark.django_db
def test_suppressed_incident_pages_nobody_until_escalated_by_hand(team, policy, service, people):
    factories.MaintenanceWindowFactory(service=service, starts_at=T0 - MIN, ends_at=T0 + 60 * MIN)
    incident = services.incident_declare(
        title="x", severity=2, services=[service], by=people["carol"], now=T0
    )
    escalation.escalation_tick(now=T0 + 10 * MIN)
    assert paged_names() == []
    services.incident_escalate(incident=incident, by=people["carol"], now=T0 + 11 * MIN)
    escalation.escalation_tick(now=T0 + 11 * MIN)
    assert paged_names() == ["alice"]


@pytest.mark.django_db
def test_tick_takes_due_incidents_oldest_first_up_to_its_limit(team, policy):
    first = trigger(team, fingerprint="a")
    second = trigger(team, fingerprint="b", now=T0 + timedelta(seconds=1))
    later = trigger(team, fingerprint="c", now=T0 + 10 * MIN)
    assert escalation.escalation_tick(now=T0 + MIN, limit=1) == 1
    assert {m.incident_id for m in Message.objects.all()} == {first.pk}
    assert escalation.escalation_tick(now=T0 + MIN) == 1
    assert {m.incident_id for m in Message.objects.all()} == {first.pk, second.pk}
    later.refresh_from_db()
    assert later.next_escalation_at == T0 + 10 * MIN  # not due yet, untouched


@pytest.mark.django_db
def test_tick_queries_stay_bounded(team, policy, django_assert_max_num_queries):
    trigger(team)
    with django_assert_max_num_queries(25):
        escalation.escalation_tick(now=T0)
