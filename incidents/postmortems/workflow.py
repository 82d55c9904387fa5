"""The review workflow of a postmortem: asking for reviews, approving, commenting, publishing
(which freezes its text) and going back to draft. Each is one transaction; the people
concerned are nagged through ``notify`` (idempotent on its dedup key)."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.postmortems.editing import (
    COMMENT_MAX,
    lock_editable,
    nag,
    pm_subject,
    required_text,
)
from incidents.postmortems.models import Postmortem, PostmortemComment, PostmortemReviewer
from portal.people.names import person_name

User = get_user_model()


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
        locked = lock_editable(postmortem.pk)
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
            nag(
                user=user,
                dedup_key=f"pm-review:{locked.pk}:{locked.review_round}:{user.pk}",
                subject=pm_subject(locked, "Please review"),
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
        lock_editable(postmortem.pk)
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
            nag(
                user=user,
                dedup_key=f"pm-approved:{locked.pk}:{locked.review_round}:{by.pk}:{user.pk}",
                subject=pm_subject(locked, f"Approved by {person_name(by)}"),
                body=f"{person_name(by)} approved the postmortem of #{locked.incident_id}.",
                url=locked.get_absolute_url(),
                incident_id=locked.incident_id,
            )


def comment_add(*, postmortem: Postmortem, body: str, by) -> PostmortemComment:
    body = required_text(body, field="body", label="The comment", max_length=COMMENT_MAX)
    with transaction.atomic():
        comment = PostmortemComment.objects.create(postmortem=postmortem, author=by, body=body)
        recipients = {
            u.pk: u
            for u in (postmortem.created_by, postmortem.review_requested_by)
            if u is not None and u.pk != by.pk
        }
        for user in recipients.values():
            nag(
                user=user,
                dedup_key=f"pm-comment:{comment.pk}:{user.pk}",
                subject=pm_subject(postmortem, f"Comment from {person_name(by)}"),
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
            nag(
                user=user,
                dedup_key=f"pm-published:{locked.pk}:{user.pk}",
                subject=pm_subject(locked, "Published"),
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
