"""What every write about a postmortem shares: the limits on its text, the lock on a
postmortem whose text may still change, the versioned save (``VersionConflict``) and the
nags its people get.

Concurrent editing: the header, every section and every timeline entry carry a ``version``.
A save names the version it was based on and is an atomic ``UPDATE … WHERE pk = … AND
version = N`` that also increments it; when no row matches, somebody saved in between and
``VersionConflict`` carries their row, so the page can show their change instead of silently
overwriting it.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import F

from incidents.postmortems.models import Postmortem
from portal.notifications.models import Kind
from portal.notifications.services import notify

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


def required_text(value: str | None, *, field: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: f"{label} cannot be empty."})
    if len(value) > max_length:
        raise ValidationError({field: f"{label} is too long (at most {max_length} characters)."})
    return value


def optional_text(value: str | None, *, field: str, label: str, max_length: int) -> str:
    value = value or ""
    if len(value) > max_length:
        raise ValidationError({field: f"{label} is too long (at most {max_length} characters)."})
    return value


def lock_editable(postmortem_id: int) -> Postmortem:
    """Lock the postmortem row for this transaction; refuse if its text is frozen."""
    postmortem = Postmortem.objects.select_for_update().get(pk=postmortem_id)
    if not postmortem.is_editable:
        raise ValidationError("This postmortem is published: its text can no longer change.")
    return postmortem


def versioned_update(model, *, pk: int, base_version: int, by, now: datetime, **fields) -> bool:
    """Write ``fields`` and bump the version only if the row is still at ``base_version`` (one
    atomic UPDATE). False when somebody saved in between."""
    updated = model.objects.filter(pk=pk, version=base_version).update(
        **fields, version=F("version") + 1, updated_by=by, updated_at=now
    )
    return bool(updated)


def with_author(model):
    """Rows of ``model`` with who last saved them, as the editor shows them."""
    return model.objects.select_related("updated_by__profile")


def pm_subject(postmortem: Postmortem, what: str) -> str:
    return f"{what}: postmortem of #{postmortem.incident_id} {postmortem.title}"


def nag(*, user, dedup_key: str, subject: str, body: str, url: str, incident_id=None) -> None:
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
