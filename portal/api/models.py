"""Personal API tokens: created on the profile page, shown once, stored only as a hash."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A personal API token. The token itself is never stored: ``key_hash`` is its SHA-256
    (a 256-bit random token needs no slow hash) and ``prefix`` its first characters, shown on
    the profile page so a person can tell their tokens apart. Revoking deletes the row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80, help_text="What uses it, e.g. “terraform”.")
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="apitoken_unique_user_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"
