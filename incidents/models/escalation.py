"""Escalation policies and their steps: who is paged for a team or a service, in which order."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from portal.catalog.models import Service
from portal.people.models import Team


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
