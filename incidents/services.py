"""Writes about incidents: declaring, acknowledging, resolving, escalating by hand, the
timeline, integrations (tokens) and maintenance windows. Editing escalation policies and their
steps is in ``incidents.policies``.

Alert ingestion lives in ``incidents.ingest`` and the escalation engine in
``incidents.escalation``. Every change to an incident writes an ``IncidentEvent`` in the same
transaction (``incidents.timeline``). Paging never happens inside a request: services set
``next_escalation_at`` (the policy from ``incidents.policies``) and kick the escalation task
when the transaction commits (``escalation.kick_on_commit``).
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.escalation import kick_on_commit
from incidents.models import (
    Incident,
    IncidentEvent,
    Integration,
    MaintenanceWindow,
    Severity,
)
from incidents.policies import escalation_plan, policy_for
from incidents.timeline import event_add
from portal import throttle
from portal.catalog.models import Service
from portal.people.models import Team
from portal.people.names import person_name

User = get_user_model()

NOTE_MAX = 10_000


# ---------------------------------------------------------------------------- escalation state
def escalation_start(
    *, incident: Incident, services: Iterable[Service] = (), now: datetime
) -> Incident:
    """Called when an incident is opened: pick its policy and make escalation due now, unless a
    service is in maintenance (then say so on the timeline and page nobody)."""
    fields, reason = escalation_plan(team=incident.team, services=services, now=now)
    for name, value in fields.items():
        setattr(incident, name, value)
    if reason:
        event_add(incident=incident, kind=IncidentEvent.Kind.MAINTENANCE, message=reason, at=now)
    incident.save(update_fields=[*fields, "paging_suppressed_reason"])
    if incident.next_escalation_at is not None:
        kick_on_commit(incident)
    return incident


def _locked(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",)).select_related("team").get(pk=incident.pk)
    )


def _refresh(target: Incident, source: Incident) -> Incident:
    """Copy the fresh row's field values onto the caller's instance and return it."""
    for f in Incident._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
    return target


# ------------------------------------------------------------------------------- lifecycle
def incident_declare_attempt(*, by, now: float | None = None) -> throttle.Attempt:
    """Count one declaration by ``by`` against ``INCIDENT_DECLARE_RATE`` (pages and API
    share the count): every declaration pages a team. Refused: ``retry_after`` is set. Undo
    the attempt if the declaration then fails."""
    return throttle.hit("declare", by.pk, settings.INCIDENT_DECLARE_RATE, now=now)


def incident_declare_refusal(attempt: throttle.Attempt) -> str:
    """What a person refused by the declaration limit reads."""
    count, window = settings.INCIDENT_DECLARE_RATE
    return (
        f"You have declared {count} incidents within {throttle.wait_text(window)}, the most "
        f"one person may. Try again in {throttle.wait_text(attempt.retry_after)}, or ask "
        "someone else to declare it."
    )


@transaction.atomic
def incident_declare(
    *,
    title: str,
    severity: int,
    by,
    services: Iterable[Service] = (),
    team: Team | None = None,
    description: str = "",
    now: datetime | None = None,
) -> Incident:
    """Declare an incident by hand. It belongs to the owning team of its services (the first
    one's), or to ``team`` when no service is named."""
    now = now or timezone.now()
    services = list(services)
    if services:
        team = services[0].team
    if team is None:
        raise ValidationError({"services": "Name an affected service or a team."})
    if severity not in Severity.values:
        raise ValidationError({"severity": "Severity must be SEV1 to SEV4."})
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Give the incident a title."})
    incident = Incident.objects.create(
        title=title[:300],
        description=description,
        severity=severity,
        severity_set_by_hand=True,
        team=team,
        created_by=by,
        triggered_at=now,
    )
    incident.services.set(services)
    event_add(
        incident=incident,
        kind=IncidentEvent.Kind.TRIGGERED,
        actor=by,
        at=now,
        message=f"Declared by {person_name(by)} as SEV{severity}, assigned to {team.name}.",
    )
    escalation_start(incident=incident, services=services, now=now)
    return incident


@transaction.atomic
def incident_acknowledge(*, incident: Incident, by, now: datetime | None = None) -> Incident:
    """Stop escalation: somebody is on it. Acknowledging twice is harmless."""
    now = now or timezone.now()
    fresh = _locked(incident)
    if fresh.status == Incident.Status.RESOLVED:
        raise ValidationError("This incident is already resolved.")
    if fresh.status == Incident.Status.TRIGGERED:
        fresh.status = Incident.Status.ACKNOWLEDGED
        fresh.acknowledged_at = now
        fresh.acknowledged_by = by
        fresh.next_escalation_at = None
        fresh.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "next_escalation_at"]
        )
        event_add(
            incident=fresh,
            kind=IncidentEvent.Kind.ACKNOWLEDGED,
            actor=by,
            at=now,
            message=f"Acknowledged by {person_name(by)}; escalation stopped.",
        )
    return _refresh(incident, fresh)


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    by,
    actionable: bool | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Incident:
    """Resolve and stop escalation. ``by`` None: resolved by its alerts. Resolving twice is
    harmless. ``actionable`` feeds the load review."""
    now = now or timezone.now()
    fresh = _locked(incident)
    if fresh.status != Incident.Status.RESOLVED:
        fresh.status = Incident.Status.RESOLVED
        fresh.resolved_at = now
        fresh.resolved_by = by
        fresh.actionable = actionable
        fresh.resolution_note = note[:NOTE_MAX]
        fresh.next_escalation_at = None
        fresh.save(
            update_fields=[
                "status",
                "resolved_at",
                "resolved_by",
                "actionable",
                "resolution_note",
                "next_escalation_at",
            ]
        )
        if by is None:
            message = "Resolved automatically: every alert has resolved."
        else:
            answer = {True: "yes", False: "no", None: "not answered"}[actionable]
            message = f"Resolved by {person_name(by)} (actionable: {answer})."
            if note:
                message += f" {note[:NOTE_MAX]}"
        event_add(
            incident=fresh,
            kind=IncidentEvent.Kind.RESOLVED,
            actor=by,
            at=now,
            message=message,
            data={"actionable": actionable},
        )
    return _refresh(incident, fresh)


@transaction.atomic
def incident_escalate(*, incident: Incident, by, now: datetime | None = None) -> Incident:
    """Escalate now: the next step fires at once (a new pass over the policy if the last one
    ran out). An acknowledged incident goes back to triggered."""
    now = now or timezone.now()
    fresh = _locked(incident)
    if fresh.status == Incident.Status.RESOLVED:
        raise ValidationError("A resolved incident cannot be escalated.")
    update = ["next_escalation_at"]
    if fresh.status == Incident.Status.ACKNOWLEDGED:
        fresh.status = Incident.Status.TRIGGERED
        fresh.acknowledged_at = None
        fresh.acknowledged_by = None
        update += ["status", "acknowledged_at", "acknowledged_by"]
        event_add(
            incident=fresh,
            kind=IncidentEvent.Kind.RETRIGGERED,
            actor=by,
            at=now,
            message=f"Re-triggered by {person_name(by)} to escalate.",
        )
    if fresh.escalation_policy_id is None:
        fresh.escalation_policy = policy_for(team=fresh.team, services=fresh.services.all())
        update.append("escalation_policy")
    steps = fresh.escalation_policy.steps.count() if fresh.escalation_policy else 0
    pending_repeat = fresh.next_escalation_at is not None and fresh.escalation_repeats_left > 0
    if fresh.escalation_level >= steps and not pending_repeat:
        # Escalation had run out (or there are no steps): one more pass from the first step.
        fresh.escalation_level = 0
        fresh.escalation_repeat += 1
        fresh.escalation_repeats_left = 0
        update += ["escalation_level", "escalation_repeat", "escalation_repeats_left"]
    fresh.next_escalation_at = now
    fresh.save(update_fields=update)
    event_add(
        incident=fresh,
        kind=IncidentEvent.Kind.ESCALATION,
        actor=by,
        at=now,
        message=f"Escalated by hand by {person_name(by)}.",
    )
    kick_on_commit(fresh)
    return _refresh(incident, fresh)


@transaction.atomic
def incident_reassign(*, incident: Incident, team: Team, by, now: datetime | None = None):
    """Hand the incident to another team: its policy takes over from the first step."""
    now = now or timezone.now()
    fresh = _locked(incident)
    if fresh.status == Incident.Status.RESOLVED:
        raise ValidationError("A resolved incident cannot be reassigned.")
    if fresh.team_id == team.pk:
        raise ValidationError({"team": f"{team.name} already owns this incident."})
    old = fresh.team
    policy = policy_for(team=team, services=fresh.services.all())
    fresh.team = team
    fresh.status = Incident.Status.TRIGGERED
    fresh.acknowledged_at = None
    fresh.acknowledged_by = None
    fresh.escalation_policy = policy
    fresh.escalation_level = 0
    fresh.escalation_repeat += 1
    fresh.escalation_repeats_left = policy.repeat_count if policy else 0
    fresh.next_escalation_at = now
    fresh.save()
    event_add(
        incident=fresh,
        kind=IncidentEvent.Kind.REASSIGNED,
        actor=by,
        at=now,
        message=f"Reassigned from {old.name} to {team.name} by {person_name(by)}.",
        data={"from_team": old.pk, "to_team": team.pk},
    )
    kick_on_commit(fresh)
    return _refresh(incident, fresh)


@transaction.atomic
def incident_set_severity(*, incident: Incident, severity: int, by, now=None) -> Incident:
    now = now or timezone.now()
    if severity not in Severity.values:
        raise ValidationError({"severity": "Severity must be SEV1 to SEV4."})
    fresh = _locked(incident)
    if fresh.severity != severity:
        old = fresh.severity
        fresh.severity = severity
        fresh.severity_set_by_hand = True
        fresh.save(update_fields=["severity", "severity_set_by_hand"])
        event_add(
            incident=fresh,
            kind=IncidentEvent.Kind.SEVERITY,
            actor=by,
            at=now,
            message=f"Severity changed from SEV{old} to SEV{severity} by {person_name(by)}.",
            data={"from": old, "to": severity},
        )
    return _refresh(incident, fresh)


ROLES = {
    "commander": ("commander", IncidentEvent.Kind.COMMANDER, "commander"),
    "comms_lead": ("comms_lead", IncidentEvent.Kind.COMMS_LEAD, "communications lead"),
}


@transaction.atomic
def incident_set_role(*, incident: Incident, role: str, user, by, now=None) -> Incident:
    """Set (or clear, ``user`` None) the commander or the communications lead."""
    now = now or timezone.now()
    if role not in ROLES:
        raise ValidationError({"role": "Choose commander or communications lead."})
    attr, kind, label = ROLES[role]
    if user is not None and not user.is_active:
        raise ValidationError({"user": "That person's account is disabled."})
    fresh = _locked(incident)
    if getattr(fresh, f"{attr}_id") != (user.pk if user else None):
        setattr(fresh, attr, user)
        fresh.save(update_fields=[attr])
        if user is None:
            message = f"{person_name(by)} cleared the {label}."
        else:
            message = f"{person_name(user)} is now the {label} (set by {person_name(by)})."
        event_add(incident=fresh, kind=kind, actor=by, at=now, message=message, target=user)
    return _refresh(incident, fresh)


@transaction.atomic
def incident_add_note(
    *, incident: Incident, text: str, by, status_update: bool = False, now=None
) -> IncidentEvent:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write something first."})
    if len(text) > NOTE_MAX:
        raise ValidationError({"text": f"Keep it under {NOTE_MAX} characters."})
    kind = IncidentEvent.Kind.STATUS_UPDATE if status_update else IncidentEvent.Kind.NOTE
    return event_add(incident=incident, kind=kind, actor=by, at=now, message=text)


# ----------------------------------------------------------------------------- integrations
@transaction.atomic
def integration_create(
    *,
    name: str,
    kind: str,
    by,
    team: Team | None = None,
    service: Service | None = None,
    **settings,
) -> tuple[Integration, str]:
    """Create an integration. Returns it and its token: the only time the token is readable."""
    if (team is None) == (service is None):
        raise ValidationError("An integration belongs to a team or to a service.")
    integration = Integration(
        name=name, kind=kind, team=team, service=service, created_by=by, **settings
    )
    token = integration.set_new_token()
    if integration.heartbeat_minutes:
        integration.heartbeat_since = timezone.now()
    integration.full_clean()
    integration.save()
    return integration, token


@transaction.atomic
def integration_rotate_token(*, integration: Integration) -> tuple[Integration, str]:
    """A new token; the old one stops working at once."""
    token = integration.set_new_token()
    integration.save(update_fields=["token_prefix", "token_hash", "token_rotated_at"])
    return integration, token


INTEGRATION_SETTINGS = (
    "name",
    "enabled",
    "auto_resolve",
    "severity_map",
    "default_severity",
    "rate_limit_per_minute",
    "heartbeat_minutes",
)


@transaction.atomic
def integration_update(*, integration: Integration, **fields) -> Integration:
    unknown = set(fields) - set(INTEGRATION_SETTINGS)
    if unknown:
        raise ValueError(f"Not settable: {sorted(unknown)}")
    was_heartbeat = integration.heartbeat_minutes
    for name, value in fields.items():
        setattr(integration, name, value)
    if integration.heartbeat_minutes and not was_heartbeat:
        integration.heartbeat_since = timezone.now()
    integration.full_clean()
    integration.save()
    return integration


# ---------------------------------------------------------------------------- maintenance
@transaction.atomic
def maintenance_start(
    *, service: Service, ends_at: datetime, by, reason: str = "", now: datetime | None = None
) -> MaintenanceWindow:
    now = now or timezone.now()
    if ends_at <= now:
        raise ValidationError({"ends_at": "The maintenance must end in the future."})
    maintenance_end(service=service, now=now)
    window = MaintenanceWindow(
        service=service, starts_at=now, ends_at=ends_at, reason=reason, created_by=by
    )
    window.full_clean()
    window.save()
    return window


@transaction.atomic
def maintenance_end(*, service: Service, now: datetime | None = None) -> int:
    """End the service's current (and cancel any later) maintenance."""
    now = now or timezone.now()
    current = MaintenanceWindow.objects.filter(service=service, ends_at__gt=now)
    cancelled, _ = current.filter(starts_at__gte=now).delete()
    return cancelled + current.filter(starts_at__lt=now).update(ends_at=now)
