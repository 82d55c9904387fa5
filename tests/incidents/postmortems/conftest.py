"""Postmortem fixtures: a resolved SEV2 incident of ``team`` with a commander, an acker and a
timeline of events (a page, an acknowledgement, a note, the resolution)."""

from datetime import UTC, datetime, timedelta

import pytest

from incidents.models import IncidentEvent
from tests import factories

T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def commander(team):
    return factories.MembershipFactory(team=team, user__username="cmdr").user


@pytest.fixture
def paged(db):
    """Paged by the incident, but in no team: a participant from outside."""
    return factories.UserFactory(username="paged")


@pytest.fixture
def svc(team):
    return factories.ServiceFactory(team=team, name="Checkout", slug="checkout")


@pytest.fixture
def incident(team, commander, paged, member, svc):
    incident = factories.IncidentFactory(
        team=team,
        title="Checkout errors",
        severity=2,
        status="resolved",
        commander=commander,
        triggered_at=T0,
        acknowledged_at=T0 + timedelta(minutes=4),
        acknowledged_by=member,
        resolved_at=T0 + timedelta(minutes=47),
        resolved_by=commander,
    )
    incident.services.set([svc])
    events = [
        (T0, IncidentEvent.Kind.TRIGGERED, None, None, "Triggered by Alertmanager."),
        (T0 + timedelta(minutes=1), IncidentEvent.Kind.PAGE, None, paged, "Paged paged."),
        (T0 + timedelta(minutes=4), IncidentEvent.Kind.ACKNOWLEDGED, member, None, "Acked."),
        (T0 + timedelta(minutes=20), IncidentEvent.Kind.NOTE, commander, None, "Rolled back."),
        (T0 + timedelta(minutes=47), IncidentEvent.Kind.RESOLVED, commander, None, "Resolved."),
    ]
    for at, kind, actor, target, message in events:
        factories.IncidentEventFactory(
            incident=incident, at=at, kind=kind, actor=actor, target=target, message=message
        )
    return incident


@pytest.fixture
def started(incident, commander):
    from incidents.postmortems import services

    postmortem, _ = services.postmortem_start(incident=incident, by=commander)
    return postmortem
