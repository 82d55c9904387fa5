"""Service maintenance windows: while one runs, the service's alerts page nobody."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.catalog.models import Service


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
