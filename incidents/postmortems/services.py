"""Writes about postmortems and action items. Each service is one transaction; messages go
through ``portal.notifications.services.notify`` (idempotent on its dedup key, delivered on
commit).

Concurrent editing: the header, every section and every timeline entry carry a ``version``.
A save names the version it was based on and is an atomic ``UPDATE … WHERE pk = … AND
version = N`` that also increments it; when no row matches, somebody saved in between and
``VersionConflict`` carries their row, so the page can show their change instead of silently
overwriting it.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import Incident, Severity
from incidents.postmortems import selectors
from incidents.postmortems.models import (
    MAX_SECTIONS,
    PROMPT_MAX,
    SECTION_TITLE_MAX,
    TITLE_MAX,
    ActionItem,
    Postmortem,
    PostmortemComment,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemSettings,
    TimelineEntry,
)
from incidents.services import person_name
from portal.catalog.models import Service
from portal.notifications.models import Kind
from portal.notifications.services import notify
from portal.people.models import Team

User = get_user_model()

BODY_MAX = 50_000
ENTRY_TEXT_MAX = 5_000
COMMENT_MAX = 10_000
REASON_MAX = 2_000
MAX_TIMELINE = 2_000
# Copied from the incident at creation, at most (a flapping alert can log thousands).
COPY_EVENTS_MAX = 1_000


class VersionConflict(Exception):
    """A save based on an old version. ``current`` is the row as it is now."""

    def __init__(self, current):
        super().__init__("Somebody else saved a newer version.")
        self.current = current


def _required_text(value: str | None, *, field: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: f"{label} cannot be empty."})
    if len(value) > max_length:
        raise ValidationError({field: f"{label} is too long (at most {max_length} characters)."})
    return value


def _optional_text(value: str | None, *, field: str, label: str, max_length: int) -> str:
    value = value or ""
    if len(value) > max_length:
        raise ValidationError({field: f"{label} is too long (at most {max_length} characters)."})
    return value


def _lock_editable(postmortem_id: int) -> Postmortem:
    """Lock the postmortem row for this transaction; refuse if its text is frozen."""
    postmortem = Postmortem.objects.select_for_update().get(pk=postmortem_id)
    if not postmortem.is_editable:
        raise ValidationError("This postmortem is published: its text can no longer change.")
    return postmortem


def _versioned_update(model, *, pk: int, base_version: int, by, now: datetime, **fields) -> bool:
    """Write ``fields`` and bump the version only if the row is still at ``base_version`` (one
    atomic UPDATE). False when somebody saved in between."""
    updated = model.objects.filter(pk=pk, version=base_version).update(
        **fields, version=F("version") + 1, updated_by=by, updated_at=now
    )
    return bool(updated)


def _with_author(model):
    """Rows of ``model`` with who last saved them, as the editor shows them."""
    return model.objects.select_related("updated_by__profile")


def _nag(*, user, dedup_key: str, subject: str, body: str, url: str, incident_id=None) -> None:
    if user is None or not user.is_active:
        return
    notify(
        user=user,
        kind=Kind.NAG,
        dedup_key=dedup_key,
        subject=subject,
        body=body,
        url=url,
        incident_id=incident_id,
    )


# ---------------------------------------------------------------------------------- starting
def postmortem_start(
    *, incident: Incident, by, now: datetime | None = None
) -> tuple[Postmortem, bool]:
    """Start the incident's postmortem, pre-filled from it; returns (postmortem, created).
    Starting twice (a double click, two people at once) returns the first one."""
    existing = selectors.postmortem_of_incident(incident=incident)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            incident = (
                Incident.objects.select_for_update(of=("self",))
                .select_related("team")
                .get(pk=incident.pk)
            )
            existing = selectors.postmortem_of_incident(incident=incident)
            if existing is not None:
                return existing, False
            return _create_from(incident=incident, by=by), True
    except IntegrityError:
        return Postmortem.objects.get(incident_id=incident.pk), False


def _create_from(*, incident: Incident, by) -> Postmortem:
    team_settings = selectors.settings_for(team=incident.team)
    postmortem = Postmortem.objects.create(
        incident=incident,
        team=incident.team,
        title=incident.title[:TITLE_MAX],
        severity=incident.severity,
        started_at=incident.triggered_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        created_by=by,
        updated_by=by,
    )
    postmortem.services.set(incident.services.all())
    postmortem.people.set(selectors.incident_participants(incident=incident))
    PostmortemSection.objects.bulk_create(
        [
            PostmortemSection(
                postmortem=postmortem,
                position=i,
                title=s["title"][:SECTION_TITLE_MAX],
                prompt=s.get("prompt", "")[:PROMPT_MAX],
            )
            for i, s in enumerate(team_settings.sections)
        ]
    )
    events = incident.events.select_related("actor__profile").order_by("at", "pk")
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                postmortem=postmortem,
                position=i,
                at=e.at,
                kind=e.kind,
                text=e.message[:ENTRY_TEXT_MAX] or e.get_kind_display(),
                actor_name=e.actor_name if e.actor_id else "",
                source_event=e,
            )
            for i, e in enumerate(events[:COPY_EVENTS_MAX])
        ],
        batch_size=500,
    )
    return postmortem


# ------------------------------------------------------------------------------------ header
def postmortem_update_header(
    *,
    postmortem: Postmortem,
    base_version: int,
    title: str,
    severity: int,
    started_at: datetime | None,
    acknowledged_at: datetime | None,
    resolved_at: datetime | None,
    by,
    now: datetime | None = None,
) -> Postmortem:
    title = _required_text(title, field="title", label="The title", max_length=TITLE_MAX)
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity from SEV1 to SEV4."})
    if started_at is None:
        raise ValidationError({"started_at": "When did it start?"})
    if acknowledged_at and acknowledged_at < started_at:
        raise ValidationError({"acknowledged_at": "Acknowledged before it started?"})
    if resolved_at and resolved_at < started_at:
        raise ValidationError({"resolved_at": "Resolved before it started?"})
    now = now or timezone.now()
    with transaction.atomic():
        _lock_editable(postmortem.pk)
        if not _versioned_update(
            Postmortem,
            pk=postmortem.pk,
            base_version=base_version,
            by=by,
            now=now,
            title=title,
            severity=severity,
            started_at=started_at,
            acknowledged_at=acknowledged_at,
            resolved_at=resolved_at,
        ):
            raise VersionConflict(_with_author(Postmortem).get(pk=postmortem.pk))
    return _with_author(Postmortem).get(pk=postmortem.pk)


# ---------------------------------------------------------------------------------- sections
def section_save(
    *,
    section: PostmortemSection,
    base_version: int,
    body: str,
    by,
    now: datetime | None = None,
) -> PostmortemSection:
    body = _optional_text(body, field="body", label="The text", max_length=BODY_MAX)
    now = now or timezone.now()
    with transaction.atomic():
        _lock_editable(section.postmortem_id)
        if not _versioned_update(
            PostmortemSection, pk=section.pk, base_version=base_version, by=by, now=now, body=body
        ):
            raise VersionConflict(_with_author(PostmortemSection).get(pk=section.pk))
        Postmortem.objects.filter(pk=section.postmortem_id).update(updated_at=now)
    return _with_author(PostmortemSection).get(pk=section.pk)


# ---------------------------------------------------------------------------------- timeline
def _renumber(entries: list[TimelineEntry]) -> None:
    changed = []
    for i, entry in enumerate(entries):
        if entry.position != i:
            entry.position = i
            changed.append(entry)
    TimelineEntry.objects.bulk_update(changed, ["position"], batch_size=500)


def _ordered_entries(postmortem_id: int) -> list[TimelineEntry]:
    return list(
        TimelineEntry.objects.filter(postmortem_id=postmortem_id).order_by("position", "pk")
    )


def _entry_text(*, text: str, annotation: str, at: datetime | None) -> tuple[str, str]:
    """A timeline line's checks, adding or saving: its text (required), note and time."""
    text = _required_text(text, field="text", label="The entry", max_length=ENTRY_TEXT_MAX)
    annotation = _optional_text(
        annotation, field="annotation", label="The note", max_length=ENTRY_TEXT_MAX
    )
    if at is None:
        raise ValidationError({"at": "When did it happen?"})
    return text, annotation


def timeline_entry_add(
    *,
    postmortem: Postmortem,
    at: datetime | None,
    text: str,
    annotation: str = "",
    by,
    now: datetime | None = None,
) -> TimelineEntry:
    """Add a line by hand; it goes in time order after the lines at or before ``at``."""
    text, annotation = _entry_text(text=text, annotation=annotation, at=at)
    now = now or timezone.now()
    with transaction.atomic():
        _lock_editable(postmortem.pk)
        entries = _ordered_entries(postmortem.pk)
        if len(entries) >= MAX_TIMELINE:
            raise ValidationError(f"A timeline holds at most {MAX_TIMELINE} entries.")
        index = len(entries)
        for i, existing in enumerate(entries):
            if existing.at > at:
                index = i
                break
        entry = TimelineEntry(
            postmortem=postmortem,
            position=index,
            at=at,
            kind="note",
            text=text,
            annotation=annotation,
            actor_name=person_name(by),
            updated_by=by,
            updated_at=now,
        )
        entries.insert(index, entry)
        changed = []
        for i, e in enumerate(entries):
            if e.position != i or e is entry:
                e.position = i
                if e is not entry:
                    changed.append(e)
        TimelineEntry.objects.bulk_update(changed, ["position"], batch_size=500)
        entry.save()
        Postmortem.objects.filter(pk=postmortem.pk).update(updated_at=now)
    return entry


def timeline_entry_save(
    *,
    entry: TimelineEntry,
    base_version: int,
    at: datetime | None,
    text: str,
    annotation: str,
    by,
    now: datetime | None = None,
) -> TimelineEntry:
    text, annotation = _entry_text(text=text, annotation=annotation, at=at)
    now = now or timezone.now()
    with transaction.atomic():
        _lock_editable(entry.postmortem_id)
        if not _versioned_update(
            TimelineEntry,
            pk=entry.pk,
            base_version=base_version,
            by=by,
            now=now,
            at=at,
            text=text,
            annotation=annotation,
        ):
            current = _with_author(TimelineEntry).filter(pk=entry.pk).first()
            if current is None:
                raise ValidationError("Somebody deleted this entry meanwhile.")
            raise VersionConflict(current)
        Postmortem.objects.filter(pk=entry.postmortem_id).update(updated_at=now)
    return _with_author(TimelineEntry).get(pk=entry.pk)


def timeline_entry_move(*, entry: TimelineEntry, up: bool) -> None:
    with transaction.atomic():
        _lock_editable(entry.postmortem_id)
        entries = _ordered_entries(entry.postmortem_id)
        index = next((i for i, e in enumerate(entries) if e.pk == entry.pk), None)
        if index is None:
            return
        other = index - 1 if up else index + 1
        if 0 <= other < len(entries):
            entries[index], entries[other] = entries[other], entries[index]
        _renumber(entries)


def timeline_entry_delete(*, entry: TimelineEntry) -> None:
    with transaction.atomic():
        _lock_editable(entry.postmortem_id)
        TimelineEntry.objects.filter(pk=entry.pk).delete()
        _renumber(_ordered_entries(entry.postmortem_id))


# ---------------------------------------------------------------------------------- workflow
def _pm_subject(postmortem: Postmortem, what: str) -> str:
    return f"{what}: postmortem of #{postmortem.incident_id} {postmortem.title}"


def review_request(
    *, postmortem: Postmortem, reviewers: Iterable, by, now: datetime | None = None
) -> Postmortem:
    """Ask these people to review. From a draft this opens a new review round (earlier
    approvals no longer count); during a review it adds reviewers. Each newly asked reviewer
    is notified once per round."""
    reviewers = list({u.pk: u for u in reviewers}.values())
    if not reviewers:
        raise ValidationError({"reviewers": "Name at least one reviewer."})
    for user in reviewers:
        if not user.is_active:
            raise ValidationError({"reviewers": f"{user.get_username()} is no longer active."})
        if user.pk == getattr(by, "pk", None):
            raise ValidationError({"reviewers": "Ask somebody else to review your postmortem."})
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_editable(postmortem.pk)
        if locked.status == Postmortem.Status.DRAFT:
            locked.status = Postmortem.Status.IN_REVIEW
            locked.review_round += 1
            locked.review_requested_by = by
            locked.updated_at = now
            locked.save(
                update_fields=["status", "review_round", "review_requested_by", "updated_at"]
            )
            PostmortemReviewer.objects.filter(postmortem=locked).update(approved_at=None)
        for user in reviewers:
            PostmortemReviewer.objects.get_or_create(postmortem=locked, user=user)
        url = locked.get_absolute_url()
        for user in reviewers:
            _nag(
                user=user,
                dedup_key=f"pm-review:{locked.pk}:{locked.review_round}:{user.pk}",
                subject=_pm_subject(locked, "Please review"),
                body=(
                    f"{person_name(by)} asks you to review the postmortem of incident "
                    f"#{locked.incident_id}. Read it, comment, and approve when it is ready."
                ),
                url=url,
                incident_id=locked.incident_id,
            )
    return locked


def reviewer_remove(*, postmortem: Postmortem, user) -> None:
    with transaction.atomic():
        _lock_editable(postmortem.pk)
        PostmortemReviewer.objects.filter(postmortem=postmortem, user=user).delete()


def review_approve(*, postmortem: Postmortem, by, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        locked = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        if locked.status != Postmortem.Status.IN_REVIEW:
            raise ValidationError("Only a postmortem in review can be approved.")
        review = PostmortemReviewer.objects.filter(postmortem=locked, user=by).first()
        if review is None:
            raise ValidationError("Only its named reviewers can approve a postmortem.")
        if review.approved_at is not None:
            return
        review.approved_at = now
        review.save(update_fields=["approved_at"])
        recipients = {u.pk: u for u in (locked.review_requested_by, locked.created_by) if u}
        for user in recipients.values():
            if user.pk == by.pk:
                continue
            _nag(
                user=user,
                dedup_key=f"pm-approved:{locked.pk}:{locked.review_round}:{by.pk}:{user.pk}",
                subject=_pm_subject(locked, f"Approved by {person_name(by)}"),
                body=f"{person_name(by)} approved the postmortem of #{locked.incident_id}.",
                url=locked.get_absolute_url(),
                incident_id=locked.incident_id,
            )


def comment_add(*, postmortem: Postmortem, body: str, by) -> PostmortemComment:
    body = _required_text(body, field="body", label="The comment", max_length=COMMENT_MAX)
    with transaction.atomic():
        comment = PostmortemComment.objects.create(postmortem=postmortem, author=by, body=body)
        recipients = {
            u.pk: u
            for u in (postmortem.created_by, postmortem.review_requested_by)
            if u is not None and u.pk != by.pk
        }
        for user in recipients.values():
            _nag(
                user=user,
                dedup_key=f"pm-comment:{comment.pk}:{user.pk}",
                subject=_pm_subject(postmortem, f"Comment from {person_name(by)}"),
                body=body[:1000],
                url=postmortem.get_absolute_url(),
                incident_id=postmortem.incident_id,
            )
    return comment


def postmortem_publish(*, postmortem: Postmortem, by, now: datetime | None = None) -> Postmortem:
    """Publish a reviewed postmortem: every named reviewer must have approved."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        if locked.status == Postmortem.Status.PUBLISHED:
            return locked
        if locked.status != Postmortem.Status.IN_REVIEW:
            raise ValidationError("Ask for a review first: a draft cannot be published.")
        reviews = list(PostmortemReviewer.objects.filter(postmortem=locked))
        waiting = [r for r in reviews if r.approved_at is None]
        if not reviews or waiting:
            names = ", ".join(person_name(r.user) for r in waiting) or "a reviewer"
            raise ValidationError(f"Waiting for approval from {names}.")
        locked.status = Postmortem.Status.PUBLISHED
        locked.published_at = now
        locked.published_by = by
        locked.updated_at = now
        locked.save(update_fields=["status", "published_at", "published_by", "updated_at"])
        owners = User.objects.filter(action_items__postmortem=locked).distinct()
        recipients = {u.pk: u for u in [*locked.people.all(), *owners] if u.pk != by.pk}
        for user in recipients.values():
            _nag(
                user=user,
                dedup_key=f"pm-published:{locked.pk}:{user.pk}",
                subject=_pm_subject(locked, "Published"),
                body=(
                    f"{person_name(by)} published the postmortem of incident "
                    f"#{locked.incident_id}. Thank you for taking part."
                ),
                url=locked.get_absolute_url(),
                incident_id=locked.incident_id,
            )
    return locked


def postmortem_back_to_draft(*, postmortem: Postmortem, by) -> Postmortem:
    with transaction.atomic():
        locked = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
        if locked.status != Postmortem.Status.IN_REVIEW:
            raise ValidationError("Only a postmortem in review can go back to draft.")
        locked.status = Postmortem.Status.DRAFT
        locked.save(update_fields=["status", "updated_at"])
        PostmortemReviewer.objects.filter(postmortem=locked).update(approved_at=None)
    return locked


# ------------------------------------------------------------------------------ action items
def default_due_date(*, team: Team, severity: int, today: date) -> date:
    return today + timedelta(days=selectors.settings_for(team=team).due_days(severity))


def _validate_item_fields(*, title, owner, priority, tracker_url) -> tuple[str, str]:
    title = _required_text(title, field="title", label="The title", max_length=TITLE_MAX)
    if owner is None or not getattr(owner, "is_active", False):
        raise ValidationError({"owner": "Choose an owner: an active Runwell user."})
    if priority not in ActionItem.Priority.values:
        raise ValidationError({"priority": "Choose high, medium or low."})
    tracker_url = (tracker_url or "").strip()
    if tracker_url:
        try:
            URLValidator(schemes=["http", "https"])(tracker_url)
        except ValidationError as exc:
            raise ValidationError({"tracker_url": "Enter an http(s) link to the ticket."}) from exc
        if len(tracker_url) > 500:
            raise ValidationError({"tracker_url": "The link is too long."})
    return title, tracker_url


def _tell_owner(item: ActionItem, by) -> None:
    if item.owner_id == getattr(by, "pk", None):
        return
    _nag(
        user=item.owner,
        dedup_key=f"ai-assigned:{item.pk}:{item.owner_id}",
        subject=f"Action item for you: {item.title}",
        body=(
            f"{person_name(by)} made you the owner of an action item from the postmortem of "
            f"incident #{item.postmortem.incident_id}, due {item.due_date:%a %d %b %Y}."
        ),
        url=item.get_absolute_url(),
        incident_id=item.postmortem.incident_id,
    )


def action_item_create(
    *,
    postmortem: Postmortem,
    title: str,
    owner,
    by,
    due_date: date | None = None,
    service: Service | None = None,
    priority: int = ActionItem.Priority.MEDIUM,
    tracker_url: str = "",
    today: date | None = None,
) -> ActionItem:
    """A new open item. Without a due date it gets the team's default for the severity;
    a due date in the past is refused."""
    title, tracker_url = _validate_item_fields(
        title=title, owner=owner, priority=priority, tracker_url=tracker_url
    )
    today = today or timezone.localdate()
    if due_date is None:
        due_date = default_due_date(team=postmortem.team, severity=postmortem.severity, today=today)
    elif due_date < today:
        raise ValidationError({"due_date": "The due date cannot be in the past."})
    with transaction.atomic():
        item = ActionItem.objects.create(
            postmortem=postmortem,
            title=title,
            owner=owner,
            due_date=due_date,
            service=service,
            priority=priority,
            tracker_url=tracker_url,
            created_by=by,
        )
        _tell_owner(item, by)
    return item


def action_item_update(
    *,
    item: ActionItem,
    title: str,
    owner,
    due_date: date | None,
    service: Service | None,
    priority: int,
    tracker_url: str,
    by,
    today: date | None = None,
) -> ActionItem:
    title, tracker_url = _validate_item_fields(
        title=title, owner=owner, priority=priority, tracker_url=tracker_url
    )
    today = today or timezone.localdate()
    if due_date is None:
        raise ValidationError({"due_date": "An action item needs a due date."})
    if due_date != item.due_date and due_date < today:
        raise ValidationError({"due_date": "The new due date cannot be in the past."})
    new_owner = owner.pk != item.owner_id
    with transaction.atomic():
        item.title, item.owner, item.due_date = title, owner, due_date
        item.service, item.priority, item.tracker_url = service, priority, tracker_url
        item.save(
            update_fields=[
                "title",
                "owner",
                "due_date",
                "service",
                "priority",
                "tracker_url",
                "updated_at",
            ]
        )
        if new_owner:
            _tell_owner(item, by)
    return item


def action_item_set_status(
    *, item: ActionItem, status: str, reason: str = "", by, now: datetime | None = None
) -> ActionItem:
    """Close an item as done or won't do (a reason is required for won't do), or reopen it."""
    if status not in ActionItem.Status.values:
        raise ValidationError({"status": "Choose open, done or won't do."})
    reason = _optional_text(
        reason, field="reason", label="The reason", max_length=REASON_MAX
    ).strip()
    if status == ActionItem.Status.WONT_DO and not reason:
        raise ValidationError({"reason": "Say why this will not be done."})
    now = now or timezone.now()
    with transaction.atomic():
        item.status = status
        item.reason = reason
        if status == ActionItem.Status.OPEN:
            item.closed_at = item.closed_by = None
        elif item.closed_at is None or item.closed_by is None:
            item.closed_at, item.closed_by = now, by
        item.save(update_fields=["status", "reason", "closed_at", "closed_by", "updated_at"])
    return item


# ---------------------------------------------------------------------------------- settings
def settings_update(
    *,
    team: Team,
    sections: list[dict[str, str]],
    due_days: dict[int, int],
    postmortem_due_business_days: int,
) -> PostmortemSettings:
    if not sections:
        raise ValidationError({"sections": "A template needs at least one section."})
    if len(sections) > MAX_SECTIONS:
        raise ValidationError({"sections": f"At most {MAX_SECTIONS} sections."})
    seen = set()
    clean = []
    for s in sections:
        title = (s.get("title") or "").strip()
        prompt = (s.get("prompt") or "").strip()
        if not title:
            raise ValidationError({"sections": "Every section needs a title."})
        if len(title) > SECTION_TITLE_MAX or len(prompt) > PROMPT_MAX:
            raise ValidationError(
                {
                    "sections": f"Titles take at most {SECTION_TITLE_MAX} characters, prompts "
                    f"{PROMPT_MAX}."
                }
            )
        if title.lower() in seen:
            raise ValidationError({"sections": f"“{title}” appears twice."})
        seen.add(title.lower())
        clean.append({"title": title, "prompt": prompt})
    for severity in Severity.values:
        days = due_days.get(severity)
        if not isinstance(days, int) or not 1 <= days <= 365:
            raise ValidationError({f"due_days_sev{severity}": "Between 1 and 365 days."})
    if not 1 <= postmortem_due_business_days <= 30:
        raise ValidationError({"postmortem_due_business_days": "Between 1 and 30 business days."})
    with transaction.atomic():
        row, _ = PostmortemSettings.objects.select_for_update().get_or_create(team=team)
        row.sections = clean
        for severity in Severity.values:
            setattr(row, f"due_days_sev{severity}", due_days[severity])
        row.postmortem_due_business_days = postmortem_due_business_days
        row.save()
    return row
