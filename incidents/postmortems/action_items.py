"""Action items of a postmortem: creating them (due by the team's default for the severity
unless given), editing and closing them; a new owner is told. Each is one transaction."""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from incidents.postmortems import selectors
from incidents.postmortems.editing import REASON_MAX, nag, optional_text, required_text
from incidents.postmortems.models import TITLE_MAX, ActionItem, Postmortem
from portal.catalog.models import Service
from portal.people.models import Team
from portal.people.names import person_name


def default_due_date(*, team: Team, severity: int, today: date) -> date:
    return today + timedelta(days=selectors.settings_for(team=team).due_days(severity))


def _validate_item_fields(*, title, owner, priority, tracker_url) -> tuple[str, str]:
    title = required_text(title, field="title", label="The title", max_length=TITLE_MAX)
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
    nag(
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
    reason = optional_text(
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
