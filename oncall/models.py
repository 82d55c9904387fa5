"""Schedules, their rotation layers (versioned: an edit never rewrites the past), overrides
and each person's reminder and calendar-feed preferences."""

import hashlib
import secrets
import uuid
from datetime import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from oncall import engine
from portal.people.models import WEEKDAYS, Team
from portal.people.timezones import validate_time_zone

# A reminder lead time is between five minutes and a week.
MIN_LEAD_MINUTES, MAX_LEAD_MINUTES = 5, 7 * 24 * 60


def new_token() -> str:
    """An unguessable token for a calendar feed URL (256 bits)."""
    return secrets.token_urlsafe(32)


def feed_token_hash(token: str) -> str:
    """What is stored of a feed token: its SHA-256 (a 256-bit random token needs no slow
    hash), as for API and integration tokens. The token itself is shown once, when made."""
    return hashlib.sha256(token.encode()).hexdigest()


def _feed_token_field():
    # Empty (NULL) until someone makes the feed's address.
    return models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)


class Schedule(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=120)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Rotation start and handoff times are read in this zone.",
    )
    description = models.TextField(blank=True)
    ical_token_hash = _feed_token_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="schedule_unique_team_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("oncall:schedule_detail", args=[self.pk])

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class Layer(models.Model):
    """One *version* of a rotation layer.

    All versions of one layer share a ``lineage``. A version is in force during
    ``[valid_from, valid_until)``; the open version (``valid_until`` empty) is the layer as it
    is now. Editing a layer closes the open version at the moment of the edit and opens a new
    one, so the past stays what really happened. ``position`` orders layers bottom to top: a
    higher layer beats a lower one wherever it has somebody on call.
    """

    class Unit(models.TextChoices):
        HOURS = engine.HOURS, "hours"
        DAYS = engine.DAYS, "days"
        WEEKS = engine.WEEKS, "weeks"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    lineage = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    shift_length = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1, "A shift must be at least 1 long.")]
    )
    shift_unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.WEEKS)
    rotation_start = models.DateField(help_text="The day the first shift starts.")
    handoff_time = models.TimeField(default=time(9, 0))
    offset = models.IntegerField(default=0)
    active_days = models.JSONField(null=True, blank=True)
    active_start = models.TimeField(null=True, blank=True)
    active_end = models.TimeField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shift_length__gte=1), name="layer_shift_length_positive"
            ),
            models.CheckConstraint(
                condition=Q(shift_unit__in=["hours", "days", "weeks"]), name="layer_shift_unit"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="layer_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="layer_date_range",
            ),
            models.UniqueConstraint(
                fields=["lineage"],
                condition=Q(valid_until__isnull=True),
                name="layer_one_open_version",
            ),
        ]
        indexes = [models.Index(fields=["schedule", "valid_until"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.shift_length is not None and self.shift_length < 1:
            errors["shift_length"] = "A shift must be at least 1 long."
        if (self.active_start is None) != (self.active_end is None):
            errors["active_end"] = "Give both a start and an end for the active hours, or neither."
        if self.active_days is not None:
            days = self.active_days
            if (
                not isinstance(days, list)
                or not days
                or not all(isinstance(d, int) and 0 <= d <= 6 for d in days)
            ):
                errors["active_days"] = "Active days must be weekdays Mon to Sun (at least one)."
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = "The end date cannot be before the start date."
        if errors:
            raise ValidationError(errors)

    @property
    def shift_label(self) -> str:
        unit = self.get_shift_unit_display()
        return f"{self.shift_length} {unit[:-1] if self.shift_length == 1 else unit}"

    @property
    def active_days_label(self) -> str:
        if not self.active_days:
            return ""
        names = dict(WEEKDAYS)
        return ", ".join(names[d] for d in sorted(self.active_days))


class LayerParticipant(models.Model):
    """A person in a layer version's rotation, in order (``position`` from 0)."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rota_places"
    )
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["layer", "position"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "position"], name="participant_unique_pos"),
            models.UniqueConstraint(fields=["layer", "user"], name="participant_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} #{self.position} in {self.layer}"


class Override(models.Model):
    """``user`` is on call for the schedule from ``start`` to ``end``, whatever the layers say.
    A later override beats an earlier one where they overlap."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rota_overrides"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="override_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["schedule", "end"]),
            models.Index(fields=["user", "end"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.schedule} {self.start:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The override must end after it starts."})


class RotaPreferences(models.Model):
    """A person's shift-reminder settings and personal calendar-feed token.

    Created on first use: a person without a row gets the defaults.
    """

    DEFAULT_LEAD_MINUTES = 60

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rota_preferences"
    )
    reminder_lead_minutes = models.PositiveIntegerField(
        default=DEFAULT_LEAD_MINUTES,
        validators=[
            MinValueValidator(MIN_LEAD_MINUTES, "Remind me at least 5 minutes before."),
            MaxValueValidator(MAX_LEAD_MINUTES, "Remind me at most a week before."),
        ],
        help_text="How long before a shift starts to remind you.",
    )
    day_before = models.BooleanField(
        default=False, help_text="Also remind me the day before a shift starts."
    )
    ical_token_hash = _feed_token_field()

    class Meta:
        verbose_name_plural = "rota preferences"
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_lead_minutes__gte=MIN_LEAD_MINUTES), name="rota_lead_min"
            ),
        ]

    def __str__(self) -> str:
        return f"rota preferences of {self.user}"
