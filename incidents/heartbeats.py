"""The heartbeat monitor: an integration with ``heartbeat_minutes`` expects a ping that often.
A ping resolves the missed-heartbeat incident; the beat (every 30 s) opens one, through the
normal alert ingestion, for every integration whose ping is overdue."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.alert_upsert import IngestResult, alerts_ingest
from incidents.models import Alert, Incident, Integration, key_digest
from incidents.payloads import IncomingAlert

HEARTBEAT_KEY = "heartbeat"


def _heartbeat_alert(integration: Integration, *, status: str, last: datetime | None):
    when = f"last ping {last:%Y-%m-%d %H:%M} UTC" if last else "no ping received yet"
    return IncomingAlert(
        dedup_key=HEARTBEAT_KEY,
        group_key=HEARTBEAT_KEY,
        status=status,
        summary=(
            f"Missed heartbeat: {integration.name} expects a ping every "
            f"{integration.heartbeat_minutes} min ({when})"
        ),
        severity="critical",
        source="heartbeat",
        payload={"heartbeat_minutes": integration.heartbeat_minutes},
    )


def heartbeat_ping(*, integration: Integration, now: datetime | None = None) -> IngestResult:
    """A ping arrived: remember it, and resolve the missed-heartbeat incident if one is open."""
    now = now or timezone.now()
    with transaction.atomic():
        Integration.objects.filter(pk=integration.pk).update(last_ping_at=now)
        open_alert = Alert.objects.filter(
            integration=integration,
            dedup_hash=key_digest(HEARTBEAT_KEY),
            status=Alert.Status.FIRING,
            incident__status__in=Incident.OPEN_STATUSES,
        ).first()
        if open_alert is None:
            return IngestResult()
        resolved = IncomingAlert(
            dedup_key=HEARTBEAT_KEY,
            group_key=HEARTBEAT_KEY,
            status="resolved",
            summary=open_alert.summary,
            severity="critical",
            source="heartbeat",
            labels=open_alert.labels,
            annotations=open_alert.annotations,
            payload=open_alert.payload,
            ends_at=now,
        )
        # Same fields but status and end: the alert row records the resolution.
        return alerts_ingest(
            integration=integration, alerts=[resolved], now=now, force_resolve=True
        )


def heartbeat_deadline(integration: Integration) -> datetime | None:
    if not integration.heartbeat_minutes:
        return None
    since = integration.last_ping_at or integration.heartbeat_since or integration.created_at
    return since + timedelta(minutes=integration.heartbeat_minutes)


def heartbeats_check(*, now: datetime | None = None) -> list[int]:
    """Open an incident for every heartbeat integration whose ping is overdue and that has
    none open yet. Returns the ids of the integrations that missed their ping."""
    now = now or timezone.now()
    candidates = list(
        Integration.objects.filter(enabled=True, heartbeat_minutes__isnull=False).select_related(
            "service__team", "team"
        )
    )
    already = set(
        Alert.objects.filter(
            integration__in=candidates,
            dedup_hash=key_digest(HEARTBEAT_KEY),
            status=Alert.Status.FIRING,
            incident__status__in=Incident.OPEN_STATUSES,
        ).values_list("integration_id", flat=True)
    )
    missed = []
    for integration in candidates:
        deadline = heartbeat_deadline(integration)
        if integration.pk in already or deadline is None or deadline > now:
            continue
        with transaction.atomic():
            # Re-read under the integration lock: a ping may have arrived meanwhile.
            locked = Integration.objects.select_for_update(no_key=True).get(pk=integration.pk)
            deadline = heartbeat_deadline(locked)
            if deadline is None or deadline > now or not locked.enabled:
                continue
            alert = _heartbeat_alert(locked, status="firing", last=locked.last_ping_at)
            alerts_ingest(integration=locked, alerts=[alert], now=now)
            missed.append(integration.pk)
    return missed
