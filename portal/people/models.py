"""People and teams: a profile per user, teams, and who belongs to which team in what role."""

from datetime import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from portal.people.timezones import validate_time_zone

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


def default_work_days() -> list[int]:
    return [0, 1, 2, 3, 4]


class Profile(models.Model):
    """What Runwell needs to know about a person: how to show them times and when they sleep."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=120, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    work_start = models.TimeField(default=time(9, 0))
    work_end = models.TimeField(default=time(18, 0))
    work_days = models.JSONField(default=default_work_days)
    sleep_start = models.TimeField(default=time(22, 0))
    sleep_end = models.TimeField(default=time(8, 0))

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_full_name() or self.user.get_username()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def clean(self) -> None:
        errors = {}
        if self.work_start and self.work_end and self.work_end <= self.work_start:
            errors["work_end"] = "Working hours must end after they start."
        if not isinstance(self.work_days, list) or not all(
            isinstance(d, int) and 0 <= d <= 6 for d in self.work_days
        ):
            errors["work_days"] = "Working days must be weekday numbers 0 (Mon) to 6 (Sun)."
        if self.sleep_start == self.sleep_end:
            errors["sleep_end"] = "The sleep window cannot start and end at the same time."
        if errors:
            raise ValidationError(errors)


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    swap_approval_required = models.BooleanField(
        default=False, help_text="Accepted swaps and cover requests wait for a manager."
    )
    max_consecutive_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="Nobody should be on call for more consecutive days than this.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("people:team_detail", args=[self.slug])


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        MANAGER = "manager", "Manager"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team"),
            models.CheckConstraint(
                condition=models.Q(role__in=["member", "manager"]), name="membership_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["team", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER
