"""Notifications: where a person can be reached, what they want where, the inbox and the
delivery log.

- ``ContactMethod``: an email address or a chat webhook URL of one person, with the outcome
  of its latest delivery (a permanent failure marks it ``broken`` until a later success).
- ``NotificationPreference``: an opt-out row "do not send <kind> to <method>". No row means
  yes, so by default every kind goes to every method.
- ``Message``: one in-app inbox entry per (recipient, dedup key). What callers create. Its
  ``links`` are the action links the system made (labelled buttons in the inbox); its body is
  text, which may quote people (a comment, a reason) and is never read for links.
- ``Notification``: the delivery log, one row per (message, contact method), unique dedup key
  ``f"{message.dedup_key}:{method.pk}"``; status pending → sending → sent / failed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Kind(models.TextChoices):
    PAGE = "page", "Page (incident)"
    SHIFT_REMINDER = "shift_reminder", "Shift reminder"
    SWAP = "swap", "Swap and cover requests"
    NAG = "nag", "Postmortem and action item reminders"
    REPORT = "report", "Reports and coverage warnings"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT_WEBHOOK = "chat_webhook", "Chat webhook"


class ContactMethod(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    label = models.CharField(max_length=80, blank=True)
    address = models.CharField(
        max_length=500, help_text="An email address or a chat webhook URL (https://…)."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Set by a permanent failure (4xx from the webhook, refused recipient), cleared by the next
    # success or a changed address. An enabled method that is not broken is "working".
    broken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "channel", "address"], name="contactmethod_unique_address"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["email", "chat_webhook"]),
                name="contactmethod_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.display_address} ({self.user})"

    @property
    def is_working(self) -> bool:
        return self.enabled and self.broken_at is None

    @property
    def display_address(self) -> str:
        """The address to show on pages: a webhook URL carries a secret, so show its host."""
        if self.channel == Channel.CHAT_WEBHOOK:
            from urllib.parse import urlsplit

            parts = urlsplit(self.address)
            return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "(invalid URL)"
        return self.address

    @property
    def name(self) -> str:
        return self.label or self.display_address


class NotificationPreference(models.Model):
    """Opt-out: ``enabled=False`` means "do not send messages of this kind to this method"."""

    method = models.ForeignKey(ContactMethod, on_delete=models.CASCADE, related_name="preferences")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["method", "kind"], name="notificationpref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.method}: {'on' if self.enabled else 'off'}"


class Message(models.Model):
    """One entry of a person's in-app inbox; the unit callers create through ``notify``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_messages"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    dedup_key = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # [{"label": "Acknowledge or resolve", "url": "https://…"}, …]: made by the sender's code,
    # never taken from text a person wrote. Shown as buttons; listed under the body elsewhere.
    links = models.JSONField(default=list, blank=True)
    incident_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notif_msg_user_created"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notif_msg_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Notification(models.Model):
    """One delivery of one message to one contact method: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    method = models.ForeignKey(
        ContactMethod, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    # Copied from the message and the method so reports can count without joins and the log
    # survives a deleted contact method.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    dedup_key = models.CharField(max_length=300, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    permanent_failure = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A page sent as part of another page's bundle points at the row that carried it.
    bundled_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="bundled"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notif_status_due"),
            models.Index(fields=["method", "kind", "status"], name="notif_method_kind_status"),
            models.Index(fields=["user", "kind", "sent_at"], name="notif_user_kind_sent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="notification_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dedup_key} [{self.status}]"
