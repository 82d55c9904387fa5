"""Incidents, the alerts that open and join them, and each incident's timeline.

Escalation state lives on the incident (``escalation_*`` and ``next_escalation_at``): the
database, not the broker, decides what is due (see ``incidents.escalation``). Alerts and
incidents are matched by the digest of their identity from outside (``key_digest``).
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from incidents import alert_details
from incidents.payloads import MAX_SUMMARY_LENGTH
from portal.catalog.models import Service
from portal.people.models import Team
from portal.people.names import person_name

TITLE_MAX_LENGTH = 300  # Incident.title: an alert's summary is cut to fit, with "…"


class Severity(models.IntegerChoices):
    SEV1 = 1, "SEV1"
    SEV2 = 2, "SEV2"
    SEV3 = 3, "SEV3"
    SEV4 = 4, "SEV4"


DEFAULT_SEVERITY_MAP = {"critical": Severity.SEV2, "warning": Severity.SEV3}


def default_severity_map() -> dict[str, int]:
    return {k: int(v) for k, v in DEFAULT_SEVERITY_MAP.items()}


def key_digest(value: str) -> str:
    """The fixed-length SHA-256 (hex) of an identity from outside (an Alertmanager ``groupKey``
    or fingerprint, a generic ``dedup_key``): what identities are matched and indexed by, so
    an identity of any length is kept whole (an index entry of PostgreSQL holds ~2,700 bytes)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class DigestField(models.CharField):
    """The :func:`key_digest` of the model's ``source`` field, filled on every INSERT (``save``
    and ``bulk_create`` alike) and on updates that name it."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = key_digest(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


class Incident(models.Model):
    class Status(models.TextChoices):
        TRIGGERED = "triggered", "Triggered"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    OPEN_STATUSES = (Status.TRIGGERED, Status.ACKNOWLEDGED)

    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.SEV3)
    severity_set_by_hand = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIGGERED)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incidents")
    services = models.ManyToManyField(Service, blank=True, related_name="incidents")
    # Set for incidents opened by alerts: the integration and the payload's group identity.
    integration = models.ForeignKey(
        "Integration", on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
    )
    # Kept whole (any length) for display; matched by its digest.
    group_key = models.TextField(blank=True)
    group_hash = DigestField(source="group_key")
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comms_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    triggered_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actionable = models.BooleanField(
        null=True, blank=True, help_text="Answered at resolution: did this need a human?"
    )
    resolution_note = models.TextField(blank=True)
    # Why nobody is paged (a service in maintenance), shown on the incident.
    paging_suppressed_reason = models.CharField(max_length=500, blank=True)

    # Escalation state. ``escalation_level`` is the index of the next step to fire;
    # ``escalation_repeat`` counts passes over a policy and never goes back (it is part of
    # every page's dedup key); ``escalation_repeats_left`` is how many more passes may run.
    escalation_policy = models.ForeignKey(
        "EscalationPolicy", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalation_repeat = models.PositiveSmallIntegerField(default=0)
    escalation_repeats_left = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-triggered_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["triggered", "acknowledged", "resolved"]),
                name="incident_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=4), name="incident_severity_1_4"
            ),
            models.UniqueConstraint(
                fields=["integration", "group_hash"],
                condition=Q(status__in=["triggered", "acknowledged"], integration__isnull=False),
                name="incident_one_open_per_group",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(next_escalation_at__isnull=False, status="triggered"),
                name="incident_escalation_due",
            ),
            models.Index(fields=["team", "status", "-triggered_at"], name="incident_team_status"),
            models.Index(
                fields=["status"],
                condition=Q(status__in=["triggered", "acknowledged"]),
                name="incident_open",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:incident_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @property
    def runbook_services(self) -> list:
        """Its services that have a runbook, by name (uses prefetched services)."""
        return [s for s in self.services.all() if s.runbook_url]

    @property
    def severity_label(self) -> str:
        return f"SEV{self.severity}"


class Alert(models.Model):
    """One alert of an incident. Its identity is the Alertmanager ``fingerprint`` or the
    generic ``dedup_key``; an incident holds at most one row per identity. Never grouped by
    summary: two alerts with one summary are two rows."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    integration = models.ForeignKey("Integration", on_delete=models.CASCADE, related_name="alerts")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    # The identity, kept whole (any length) for display; matched by its digest.
    dedup_key = models.TextField()
    dedup_hash = DigestField(source="dedup_key")
    status = models.CharField(max_length=16, choices=Status.choices)
    summary = models.CharField(max_length=MAX_SUMMARY_LENGTH)  # cut with "…" when longer
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.SEV4)
    source = models.TextField(blank=True)  # the generator URL (Prometheus: often 1,000 chars)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    # The alert as received (Alertmanager: the alert object; generic: the whole body).
    payload = models.JSONField(default=dict, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "dedup_hash", "incident"], name="alert_unique_per_incident"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["firing", "resolved"]), name="alert_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["integration", "dedup_hash", "-received_at"], name="alert_identity_latest"
            )
        ]

    def __str__(self) -> str:
        return f"{self.summary} [{self.status}]"

    @property
    def source_url(self) -> str:
        """``source`` when it is an http(s) address, else "": the field comes from whoever
        holds the integration's token, so a ``javascript:`` or ``data:`` link never becomes
        a link on the incident page."""
        return alert_details.http_url(self.source)

    @property
    def description(self) -> str:
        return alert_details.description(self)

    @property
    def links(self) -> list[tuple[str, str]]:
        """Runbook, dashboard, panel and generator links (http(s) only)."""
        return alert_details.links(self)


class IncidentEvent(models.Model):
    """One line of an incident's timeline: who did what, when."""

    class Kind(models.TextChoices):
        TRIGGERED = "triggered", "Triggered"
        ALERT = "alert", "Alert"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"
        RETRIGGERED = "retriggered", "Re-triggered"
        NOTE = "note", "Note"
        STATUS_UPDATE = "status_update", "Status update"
        SEVERITY = "severity", "Severity changed"
        COMMANDER = "commander", "Commander"
        COMMS_LEAD = "comms_lead", "Communications lead"
        REASSIGNED = "reassigned", "Reassigned"
        ESCALATION = "escalation", "Escalation"
        PAGE = "page", "Page sent"
        NOBODY = "nobody", "Nobody to page"
        MAINTENANCE = "maintenance", "Maintenance"
        UPDATE_FAILED = "update_failed", "Update not applied"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.TextField()
    # The person paged, for page events.
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Escalation events: when the step was due and how late it fired (metrics read these).
    due_at = models.DateTimeField(null=True, blank=True)
    lag_ms = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["incident", "at"]),
            models.Index(fields=["kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}: {self.message}"

    @property
    def actor_name(self) -> str:
        return person_name(self.actor)
