"""Integrations (where alerts come in, behind a secret token stored hashed) and the inbox of
accepted webhook payloads waiting to be ingested."""

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

from incidents.models.incidents import Severity
from portal.catalog.models import Service
from portal.people.models import Team

TOKEN_PREFIX_LENGTH = 8
DEFAULT_SEVERITY_MAP = {"critical": Severity.SEV2, "warning": Severity.SEV3}


def default_severity_map() -> dict[str, int]:
    return {k: int(v) for k, v in DEFAULT_SEVERITY_MAP.items()}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
