"""The incident timeline: every change to an incident writes an ``IncidentEvent`` (who, what,
when) in the same transaction, through ``event_add``."""

from datetime import datetime

from django.utils import timezone

from incidents.models import Incident, IncidentEvent


def event_add(
    *,
    incident: Incident,
    kind: str,
    message: str,
    actor=None,
    at: datetime | None = None,
    target=None,
    due_at: datetime | None = None,
    lag_ms: int | None = None,
    data: dict | None = None,
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        message=message,
        actor=actor,
        at=at or timezone.now(),
        target=target,
        due_at=due_at,
        lag_ms=lag_ms,
        data=data or {},
    )
