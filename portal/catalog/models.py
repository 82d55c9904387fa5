"""The service catalog: what each team owns and how services depend on each other."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from portal.people.models import Team


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    class Tier(models.IntegerChoices):
        TIER_1 = 1, "Tier 1 (critical)"
        TIER_2 = 2, "Tier 2"
        TIER_3 = 3, "Tier 3"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TIER_2)
    description = models.TextField(blank=True)
    runbook_url = models.URLField(blank=True)
    repository_url = models.URLField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="services")
    dependencies = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents"
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(tier__in=[1, 2, 3]), name="service_tier_1_3"),
        ]
        indexes = [models.Index(fields=["team", "archived_at"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:service_detail", args=[self.slug])

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ServiceTransfer(models.Model):
    """A record of ownership moving from one team to another."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="transfers")
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    to_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.service}: {self.from_team} → {self.to_team}"
