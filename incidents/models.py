"""Incidents: where alerts come in (integrations), the alerts themselves, the incidents they
open, each incident's timeline, escalation policies and service maintenance windows.

Escalation state lives on the incident (``escalation_*`` and ``next_escalation_at``): the
database, not the broker, decides what is due (see ``incidents.escalation``).
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from incidents import alert_details
from incidents.payloads import MAX_SUMMARY_LENGTH
from portal.catalog.models import Service
from portal.people.models import Team

TOKEN_PREFIX_LENGTH = 8
TITLE_MAX_LENGTH = 300  # Incident.title: an alert's summary is cut to fit, with "…"


class Severity(models.IntegerChoices):
    SEV1 = 1, "SEV1"
    SEV2 = 2, "SEV2"
    SEV3 = 3, "SEV3"
    SEV4 = 4, "SEV4"


DEFAULT_SEVERITY_MAP = {"critical": Severity.SEV2, "warning": Severity.SEV3}


def default_severity_map() -> dict[str, int]:
    return {k: int(v) for k, v in DEFAULT_SEVERITY_MAP.items()}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


class Integration(models.Model):
    """Where alerts come from: a team's or a service's Alertmanager or generic JSON webhook.

    The URL carries a secret token. Only its SHA-256 is stored (with its first characters to
    find the row), and a presented token is compared with ``hmac.compare_digest``.
    """

    class Kind(models.TextChoices):
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        GENERIC = "generic", "Generic JSON"

    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="integrations"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="integrations"
    )
    token_prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, db_index=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_rotated_at = models.DateTimeField(default=timezone.now)
    enabled = models.BooleanField(default=True)
    auto_resolve = models.BooleanField(
        default=True, help_text="Resolve the incident when every one of its alerts resolves."
    )
    severity_map = models.JSONField(
        default=default_severity_map,
        blank=True,
        help_text="Value of the alert's severity label → incident severity (1–4).",
    )
    default_severity = models.PositiveSmallIntegerField(
        choices=Severity.choices, default=Severity.SEV4
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        default=120,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text="Requests per minute before the webhook answers 429.",
    )
    heartbeat_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text="Expect a ping at least this often; a missed ping opens an incident.",
    )
    heartbeat_since = models.DateTimeField(
        null=True, blank=True, help_text="When the heartbeat check was switched on."
    )
    last_ping_at = models.DateTimeField(null=True, blank=True)
    last_alert_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(team__isnull=False) & Q(service__isnull=True))
                | (Q(team__isnull=True) & Q(service__isnull=False)),
                name="integration_team_xor_service",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["alertmanager", "generic"]), name="integration_kind_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["heartbeat_minutes"],
                condition=Q(heartbeat_minutes__isnull=False, enabled=True),
                name="integration_heartbeat",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def owner_team(self) -> Team:
        return self.service.team if self.service_id else self.team

    def set_new_token(self) -> str:
        """Give the integration a fresh token; returns it (the only time it is readable)."""
        token = secrets.token_urlsafe(32)
        self.token_prefix = token[:TOKEN_PREFIX_LENGTH]
        self.token_hash = hash_token(token)
        self.token_rotated_at = timezone.now()
        return token

    def token_matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_token(token))

    def webhook_path(self, token: str) -> str:
        return reverse(f"incidents:hook_{self.kind}", args=[token])

    def severity_for(self, value: str | None) -> int:
        if value:
            key = value.strip().lower()
            if key in self.severity_map:
                return int(self.severity_map[key])
            if key in ("sev1", "sev2", "sev3", "sev4"):
                return int(key[3])
        return self.default_severity

    def clean(self) -> None:
        if not isinstance(self.severity_map, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and 1 <= v <= 4
            for k, v in self.severity_map.items()
        ):
            raise ValidationError(
                {"severity_map": "Map each label value to a severity from 1 to 4."}
            )


class InboxPayload(models.Model):
    """One accepted webhook payload waiting to be ingested: the webhook stores it (one INSERT)
    and answers 202; ``incidents.ingest.inbox_drain`` turns it into alerts and incidents in
    arrival order and deletes it. ``alerts`` holds what ``incidents.payloads.parse`` returned
    (``IncomingAlert.as_json`` of each), ``received_at`` when the webhook accepted it, which is
    when its incident triggered. A payload that cannot be ingested is kept with ``failed_at``
    and ``error`` (shown in the admin, which can queue it again) and never blocks the rest."""

    # No index of its own: ``inbox_pending`` below serves the drain.
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="inbox_payloads", db_index=False
    )
    alerts = models.JSONField(default=list)
    alert_count = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(default=timezone.now)
    failed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["integration", "id"],
                condition=Q(failed_at__isnull=True),
                name="inbox_pending",
            ),
            models.Index(
                fields=["failed_at"], condition=Q(failed_at__isnull=False), name="inbox_failed"
            ),
        ]

    def __str__(self) -> str:
        state = "failed" if self.failed_at else "pending"
        return f"{self.alert_count} alert(s) received {self.received_at:%Y-%m-%d %H:%M:%S}, {state}"


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
        Integration, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents"
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
    def severity_label(self) -> str:
        return f"SEV{self.severity}"


class Alert(models.Model):
    """One alert of an incident. Its identity is the Alertmanager ``fingerprint`` or the
    generic ``dedup_key``; an incident holds at most one row per identity. Never grouped by
    summary: two alerts with one summary are two rows."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
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
        if self.actor is None:
            return "Runwell"
        profile = getattr(self.actor, "profile", None)
        return profile.name if profile is not None else self.actor.get_username()


class EscalationPolicy(models.Model):
    """Who to page, in which order, for a team (``service`` empty: the team's default) or one
    of its services. The whole list runs ``repeat_count`` more times if nobody acknowledges."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    service = models.OneToOneField(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="escalation_policy",
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    repeat_count = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(10)],
        help_text="How many more times to run every step if nobody acknowledges.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "service", "name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(
                fields=["team"], condition=Q(service__isnull=True), name="policy_one_team_default"
            ),
            models.CheckConstraint(condition=Q(repeat_count__lte=10), name="policy_repeat_max"),
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """Page every target at once, then wait ``wait_minutes`` before the next step."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    wait_minutes = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    schedules = models.ManyToManyField(
        "oncall.Schedule", blank=True, related_name="escalation_steps"
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="escalation_steps"
    )
    notify_managers = models.BooleanField(default=False, help_text="The team's managers.")
    notify_team = models.BooleanField(default=False, help_text="Every member of the team.")

    class Meta:
        ordering = ["policy", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(wait_minutes__gte=1), name="step_wait_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: step {self.position + 1}"


class MaintenanceWindow(models.Model):
    """A service in maintenance: its alerts are recorded but page nobody."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="maintenance")
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ends_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="maintenance_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["service", "ends_at"])]

    def __str__(self) -> str:
        return f"{self.service} in maintenance until {self.ends_at:%Y-%m-%d %H:%M}"
