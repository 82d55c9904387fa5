"""The demo seeder: story postmortems and a written-up history, idempotent, no messages."""

import random
from datetime import timedelta
from io import StringIO

import pytest
from django.utils import timezone

from incidents.postmortems import demo
from incidents.postmortems.models import ActionItem, Postmortem
from portal.notifications.models import Message
from tests import factories

pytestmark = pytest.mark.django_db


def test_seed_without_incidents_does_nothing():
    demo.seed(scale="small", rng=random.Random(1), stdout=StringIO())
    assert not Postmortem.objects.exists()


def test_seed_is_idempotent(team, manager, member):
    now = timezone.now()
    for i in range(3):  # story material
        factories.IncidentFactory(
            team=team,
            severity=1 + i % 2,
            status="resolved",
            commander=member if i else None,
            resolved_at=now - timedelta(days=10, hours=i),
        )
    old = factories.IncidentFactory(
        team=team,
        severity=2,
        status="resolved",
        commander=member,
        triggered_at=now - timedelta(days=30, hours=1),
        resolved_at=now - timedelta(days=30),
    )
    factories.IncidentEventFactory(incident=old, message="Old event")
    recent = factories.IncidentFactory(
        team=team,
        severity=1,
        status="resolved",
        triggered_at=now - timedelta(days=2, hours=1),
        resolved_at=now - timedelta(days=2),
    )
    old_sev3 = factories.IncidentFactory(
        team=team, severity=3, status="resolved", resolved_at=now - timedelta(days=30)
    )
    for _ in range(2):
        demo.seed(scale="small", rng=random.Random(1), stdout=StringIO())
    stories = Postmortem.objects.exclude(incident__in=[old, recent, old_sev3])
    assert sorted(stories.values_list("status", flat=True)) == ["draft", "in_review", "published"]
    assert ActionItem.objects.filter(status="open").exists()
    history = Postmortem.objects.get(incident=old)
    assert history.status == "published" and history.published_at > old.resolved_at
    assert list(history.timeline.values_list("text", flat=True)) == ["Old event"]
    assert history.sections.count() == 9 and history.sections.first().body
    assert not Postmortem.objects.filter(incident__in=[recent, old_sev3]).exists()
    assert Postmortem.objects.count() == 4
    assert not Message.objects.exists()
