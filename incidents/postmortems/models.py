"""Postmortems and their action items: the learning after an incident, and the work it leaves.

- ``PostmortemSettings``: a team's template (section titles and prompts), the default due
  days of action items per severity and how many business days a postmortem may wait.
  Created lazily: a team without a row uses the defaults.
- ``Postmortem``: one per incident, pre-filled from it at creation. Its header (title,
  severity, times) carries a ``version`` for optimistic locking, and so does every
  ``PostmortemSection`` and ``TimelineEntry``: a save names the version it was based on and
  is refused when somebody saved in between (see ``editing.VersionConflict``).
- ``PostmortemReviewer`` and ``PostmortemComment``: the review before publication.
- ``ActionItem``: a piece of follow-up work with an owner and a due date, nagged about daily
  once overdue until it is done (or consciously dropped, with a reason).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from incidents.models import Incident, IncidentEvent, Severity
from portal.catalog.models import Service
from portal.people.models import Team

DEFAULT_SECTIONS: list[dict[str, str]] = [
    {"title": "Summary", "prompt": "What happened, in a few sentences."},
    {"title": "Customer impact", "prompt": "Who noticed what, for how long, how many."},
    {"title": "Detection", "prompt": "How did we find out? Could we have known sooner?"},
    {"title": "Response", "prompt": "What did we do, and what slowed us down?"},
    {"title": "Contributing factors", "prompt": "The conditions that let this happen."},
    {"title": "What went well", "prompt": ""},
    {"title": "What went badly", "prompt": ""},
    {"title": "Where we got lucky", "prompt": ""},
    {"title": "Lessons", "prompt": "What we take away; the work goes into action items."},
]
DEFAULT_DUE_DAYS = {1: 7, 2: 14, 3: 30, 4: 60}
DEFAULT_POSTMORTEM_DUE_BUSINESS_DAYS = 2
MAX_SECTIONS = 20
TITLE_MAX = 300
SECTION_TITLE_MAX = 120
PROMPT_MAX = 300


def default_sections() -> list[dict[str, str]]:
    return [dict(s) for s in DEFAULT_SECTIONS]


def _days_field(severity: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        default=DEFAULT_DUE_DAYS[severity],
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        verbose_name=f"SEV{severity} action items due after (days)",
    )


class PostmortemSettings(models.Model):
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="postmortem_settings")
    sections = models.JSONField(default=default_sections)
    due_days_sev1 = _days_field(1)
    due_days_sev2 = _days_field(2)
    due_days_sev3 = _days_field(3)
    due_days_sev4 = _days_field(4)
    postmortem_due_business_days = models.PositiveSmallIntegerField(
        default=DEFAULT_POSTMORTEM_DUE_BUSINESS_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="A SEV1/SEV2 postmortem is due this many business days after resolution.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "postmortem settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(postmortem_due_business_days__gte=1), name="pm_settings_due_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Postmortem settings of {self.team}"

    def due_days(self, severity: int) -> int:
        return getattr(self, f"due_days_sev{int(severity)}")


class Postmortem(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    EDITABLE_STATUSES = (Status.DRAFT, Status.IN_REVIEW)

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="postmortems")
    title = models.CharField(max_length=TITLE_MAX)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    services = models.ManyToManyField(Service, blank=True, related_name="postmortems")
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="postmortems_involved"
    )
    started_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Optimistic lock of the header fields (title, severity, times).
    version = models.PositiveIntegerField(default=1)
    review_round = models.PositiveSmallIntegerField(default=0)
    review_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who saved the header last (shown when a stale save of the header is refused).
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "in_review", "published"]),
                name="postmortem_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=4), name="postmortem_severity_1_4"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="postmortem_published_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-started_at"], name="postmortem_status_started"),
            models.Index(fields=["team", "status"], name="postmortem_team_status"),
        ]

    def __str__(self) -> str:
        return f"Postmortem of #{self.incident_id}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("postmortems:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def duration(self):
        if self.resolved_at and self.started_at and self.resolved_at >= self.started_at:
            return self.resolved_at - self.started_at
        return None

    @property
    def severity_label(self) -> str:
        return f"SEV{self.severity}"


class PostmortemSection(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=SECTION_TITLE_MAX)
    prompt = models.CharField(max_length=PROMPT_MAX, blank=True)
    body = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["postmortem", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "position"], name="pm_section_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.postmortem_id})"


class TimelineEntry(models.Model):
    """One line of a postmortem's timeline: copied from an incident event or added by hand.
    Authors edit the text, annotate it and reorder the lines (``position``)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="timeline")
    position = models.PositiveIntegerField()
    at = models.DateTimeField()
    kind = models.CharField(max_length=32, blank=True)
    text = models.TextField()
    annotation = models.TextField(blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    source_event = models.ForeignKey(
        IncidentEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["postmortem", "position", "pk"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["postmortem", "position"], name="pm_timeline_order")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"


class PostmortemReviewer(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="postmortem_reviews"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "user"], name="pm_reviewer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} reviews {self.postmortem_id}"


class PostmortemComment(models.Model):
    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.postmortem_id} by {self.author}"


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    class Priority(models.IntegerChoices):
        HIGH = 1, "High"
        MEDIUM = 2, "Medium"
        LOW = 3, "Low"

    postmortem = models.ForeignKey(
        Postmortem, on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=TITLE_MAX)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField()
    service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="action_items"
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    tracker_url = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField(blank=True, help_text="Why it was closed (required for won't do).")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "done", "wont_do"]),
                name="action_item_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=3), name="action_item_priority_1_3"
            ),
            models.CheckConstraint(
                condition=~Q(status="wont_do") | ~Q(reason=""),
                name="action_item_wont_do_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="action_item_owner"),
            models.Index(
                fields=["due_date"], condition=Q(status="open"), name="action_item_open_due"
            ),
            models.Index(fields=["service", "status"], name="action_item_service"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("postmortems:action_item", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_overdue(self, today) -> bool:
        return self.is_open and self.due_date < today
