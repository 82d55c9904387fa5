"""Swap and cover requests between colleagues, their history, the overrides that realise them,
and people's time off.

A request is about a piece of a schedule's final schedule that the requester holds: the whole
shift (``shift_start``–``shift_end``) and the part of it given away (``start``–``end``). A
*cover* request asks a named colleague, or anyone eligible, to take that part. A *swap* also
gives the requester one of the named colleague's shifts (``swap_start``–``swap_end``) in
exchange. When a request takes effect the overrides that realise it are created in the same
transaction and linked to it (``SwapOverride``), so the calendar can say "covered by X for Y"
and a revert removes exactly those overrides.

Status flow::

    pending ──accept──▶ accepted (in effect)          (team without manager approval)
    pending ──accept──▶ awaiting_approval ──approve──▶ accepted
                                          └─reject───▶ rejected
    pending ──decline (named colleague)──▶ declined
    pending / awaiting_approval ──withdraw──▶ withdrawn
    pending / awaiting_approval ──the shift starts──▶ expired
    accepted ──revert (before the shift starts)──▶ reverted
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from oncall.models import Override, Schedule


class SwapRequest(models.Model):
    class Kind(models.TextChoices):
        COVER = "cover", "Cover"
        SWAP = "swap", "Swap"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a colleague"
        AWAITING_APPROVAL = "awaiting_approval", "Waiting for a manager"
        ACCEPTED = "accepted", "In effect"
        DECLINED = "declined", "Declined"
        REJECTED = "rejected", "Rejected by a manager"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"
        REVERTED = "reverted", "Reverted"

    OPEN_STATUSES = (Status.PENDING, Status.AWAITING_APPROVAL)

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="swap_requests")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.COVER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="swap_requests"
    )
    # The requester, or a manager acting for them (sickness).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The named colleague; empty: open to everyone eligible on the schedule's team.
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="swap_requests_to_me",
    )
    taker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="swap_requests_taken",
    )
    shift_start = models.DateTimeField()
    shift_end = models.DateTimeField()
    start = models.DateTimeField()
    end = models.DateTimeField()
    swap_start = models.DateTimeField(null=True, blank=True)
    swap_end = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    # When the request stops being actionable: the earliest start of the time it moves.
    expires_at = models.DateTimeField()
    # Set when the requester or the taker asked to undo an accepted request; the other
    # confirms.
    revert_asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="swap_range_valid"),
            models.CheckConstraint(
                condition=Q(shift_end__gt=F("shift_start")), name="swap_shift_valid"
            ),
            models.CheckConstraint(
                condition=Q(start__gte=F("shift_start"), end__lte=F("shift_end")),
                name="swap_range_inside_shift",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="cover",
                        swap_start__isnull=True,
                        swap_end__isnull=True,
                    )
                    | Q(
                        kind="swap",
                        target__isnull=False,
                        swap_start__isnull=False,
                        swap_end__gt=F("swap_start"),
                    )
                ),
                name="swap_kind_fields",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "awaiting_approval",
                        "accepted",
                        "declined",
                        "rejected",
                        "withdrawn",
                        "expired",
                        "reverted",
                    ]
                ),
                name="swap_status_valid",
            ),
            # The service refuses overlapping open requests; this is the last line.
            models.UniqueConstraint(
                fields=["schedule", "start", "end"],
                condition=Q(status__in=["pending", "awaiting_approval"]),
                name="swap_one_open_request_per_range",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="swap_status_expiry"),
            models.Index(fields=["schedule", "status"], name="swap_schedule_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("swaps:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def state(self) -> str:
        """The status as people should see it: an open request whose shift has started is
        expired even before the expiry task has marked it."""
        if self.is_open and self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.status

    @property
    def state_label(self) -> str:
        return self.Status(self.state).label

    @property
    def is_partial(self) -> bool:
        return (self.start, self.end) != (self.shift_start, self.shift_end)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


class SwapEvent(models.Model):
    """One state change of a request: who did what, when."""

    class Action(models.TextChoices):
        CREATED = "created", "asked"
        ASSIGNED = "assigned", "assigned"
        ACCEPTED = "accepted", "accepted"
        DECLINED = "declined", "declined"
        PASSED = "passed", "passed"
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"
        WITHDRAWN = "withdrawn", "withdrew"
        EXPIRED = "expired", "expired"
        REVERT_ASKED = "revert_asked", "asked to revert"
        REVERTED = "reverted", "reverted"

    request = models.ForeignKey(SwapRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["actor", "action"], name="swap_event_actor_action")]

    def __str__(self) -> str:
        return f"#{self.request_id} {self.action} by {self.actor_id} at {self.at:%Y-%m-%d %H:%M}"


class SwapOverride(models.Model):
    """An override created to realise a request: ``override.user`` covers for ``covers_for``."""

    request = models.ForeignKey(SwapRequest, on_delete=models.CASCADE, related_name="links")
    override = models.OneToOneField(Override, on_delete=models.CASCADE, related_name="swap_link")
    covers_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    def __str__(self) -> str:
        return f"override {self.override_id} of request #{self.request_id}"


class TimeOff(models.Model):
    """``user`` is away from ``start`` to ``end`` (whole days in their zone when entered as
    days)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_off"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="timeoff_range_valid"),
        ]
        indexes = [models.Index(fields=["user", "end"], name="timeoff_user_end")]

    def __str__(self) -> str:
        return f"{self.user} off {self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"

    @property
    def last_moment(self):
        """The end as people read it: whole days end at midnight, which is the last day's."""
        return self.end - timedelta(microseconds=1)
