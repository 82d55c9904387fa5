"""Writes about a postmortem's document: starting it from its incident, the header, the
sections, the timeline, and the team's postmortem settings. Each service is one transaction;
saves are versioned (see ``incidents.postmortems.editing``, which also holds the limits on
text). The review workflow is in ``workflow.py``, action items in ``action_items.py``.
"""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Incident, Severity
from incidents.postmortems import selectors
from incidents.postmortems.editing import (
    BODY_MAX,
    COPY_EVENTS_MAX,
    ENTRY_TEXT_MAX,
    MAX_TIMELINE,
    VersionConflict,
    lock_editable,
    optional_text,
    required_text,
    versioned_update,
    with_author,
)
from incidents.postmortems.models import (
    MAX_SECTIONS,
    PROMPT_MAX,
    SECTION_TITLE_MAX,
    TITLE_MAX,
    Postmortem,
    PostmortemSection,
    PostmortemSettings,
    TimelineEntry,
)
from portal.people.models import Team
from portal.people.names import person_name

User = get_user_model()


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
    title = required_text(title, field="title", label="The title", max_length=TITLE_MAX)
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
        lock_editable(postmortem.pk)
        if not versioned_update(
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
            raise VersionConflict(with_author(Postmortem).get(pk=postmortem.pk))
    return with_author(Postmortem).get(pk=postmortem.pk)


# ---------------------------------------------------------------------------------- sections
def section_save(
    *,
    section: PostmortemSection,
    base_version: int,
    body: str,
    by,
    now: datetime | None = None,
) -> PostmortemSection:
    body = optional_text(body, field="body", label="The text", max_length=BODY_MAX)
    now = now or timezone.now()
    with transaction.atomic():
        lock_editable(section.postmortem_id)
        if not versioned_update(
            PostmortemSection, pk=section.pk, base_version=base_version, by=by, now=now, body=body
        ):
            raise VersionConflict(with_author(PostmortemSection).get(pk=section.pk))
        Postmortem.objects.filter(pk=section.postmortem_id).update(updated_at=now)
    return with_author(PostmortemSection).get(pk=section.pk)


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
    text = required_text(text, field="text", label="The entry", max_length=ENTRY_TEXT_MAX)
    annotation = optional_text(
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
        lock_editable(postmortem.pk)
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
        lock_editable(entry.postmortem_id)
        if not versioned_update(
            TimelineEntry,
            pk=entry.pk,
            base_version=base_version,
            by=by,
            now=now,
            at=at,
            text=text,
            annotation=annotation,
        ):
            current = with_author(TimelineEntry).filter(pk=entry.pk).first()
            if current is None:
                raise ValidationError("Somebody deleted this entry meanwhile.")
            raise VersionConflict(current)
        Postmortem.objects.filter(pk=entry.postmortem_id).update(updated_at=now)
    return with_author(TimelineEntry).get(pk=entry.pk)


def timeline_entry_move(*, entry: TimelineEntry, up: bool) -> None:
    with transaction.atomic():
        lock_editable(entry.postmortem_id)
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
        lock_editable(entry.postmortem_id)
        TimelineEntry.objects.filter(pk=entry.pk).delete()
        _renumber(_ordered_entries(entry.postmortem_id))


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
