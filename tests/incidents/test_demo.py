"""The demo seeder: every state present, pages tied to real on-call people, idempotent."""

import io
import random

import pytest
from django.core.management.base import OutputWrapper
from django.utils import timezone

from incidents import demo, demo_history
from incidents.models import Alert, EscalationPolicy, Incident, Integration
from incidents.selectors import integration_for_token
from portal.notifications.models import Kind, Message, Notification


def _seed_all(scale="small"):
    from portal.demo import seed as seed_people

    out = OutputWrapper(io.StringIO())
    seed_people(scale=scale, rng=random.Random(1), stdout=out)
    try:
        from oncall.demo import seed as seed_rotas
    except ImportError:
        pass
    else:
        seed_rotas(scale=scale, rng=random.Random(2), stdout=out)
    demo.seed(scale=scale, rng=random.Random(3), stdout=out)


def _counts():
    return (
        Incident.objects.count(),
        Alert.objects.count(),
        Integration.objects.count(),
        EscalationPolicy.objects.count(),
        Message.objects.count(),
    )


@pytest.mark.django_db
def test_small_seed_has_every_state_and_is_idempotent():
    _seed_all()
    statuses = set(Incident.objects.values_list("status", flat=True))
    assert statuses == {"triggered", "acknowledged", "resolved"}
    assert Incident.objects.exclude(paging_suppressed_reason="").exists()  # maintenance
    assert Incident.objects.filter(integration__isnull=True).exists()  # declared by hand
    assert Incident.objects.filter(actionable=False).exists()
    assert Incident.objects.filter(actionable=True).exists()
    assert integration_for_token(token="demo-payments-alertmanager", kind="alertmanager")
    assert EscalationPolicy.objects.filter(team__slug="payments", steps__isnull=False).exists()
    # History: pages delivered in the past, each to someone on the incident's team.
    history = Incident.objects.filter(group_key__startswith=demo_history.HISTORY_KEY)
    assert history.count() >= 100
    assert all(i.resolved_at < timezone.now() for i in history)
    assert not history.filter(acknowledged_at__isnull=False, acknowledged_by__isnull=True).exists()
    sent = Notification.objects.filter(kind=Kind.PAGE, status="sent", sent_at__isnull=False)
    assert sent.count() >= history.count()
    before = _counts()
    demo.seed(scale="small", rng=random.Random(3), stdout=OutputWrapper(io.StringIO()))
    assert _counts() == before


@pytest.mark.django_db
def test_history_pages_the_person_on_call_at_the_time():
    _seed_all()
    from oncall.models import Schedule
    from oncall.selectors import oncall_users_at

    schedule = Schedule.objects.filter(team__slug="payments").order_by("name", "pk").first()
    if schedule is None:
        pytest.skip("no demo rotas")
    history = Incident.objects.filter(
        team__slug="payments", group_key__startswith=demo_history.HISTORY_KEY
    )
    first_pages = Message.objects.filter(
        kind=Kind.PAGE, incident_id__in=history.values("pk"), dedup_key__contains=":1:0:"
    )
    pages = list(first_pages[:10])
    assert pages
    for message in pages:
        incident = Incident.objects.get(pk=message.incident_id)
        on_call = oncall_users_at(schedule=schedule, at=incident.triggered_at)
        assert [u.pk for u in on_call] == [message.user_id]
