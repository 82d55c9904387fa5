"""Demo postmortems and action items for ``seed_demo``.

- Story postmortems: a few resolved demo incidents get a full postmortem (one published, one
  in review, the rest drafts) with action items, one of them overdue, so the pages, panels
  and nags have something to show. Written once: only while no postmortem exists.
- History: every resolved SEV1/SEV2 incident older than a week gets a short published
  postmortem (written in bulk), as a team that keeps its promises would have; the last
  week's stay unwritten, so "needs a postmortem" and its reminder show up.

Idempotent (running it again adds nothing) and sends no messages.
"""

import random
import sys
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from incidents.postmortems import editing, selectors, services
from incidents.postmortems.models import (
    PROMPT_MAX,
    SECTION_TITLE_MAX,
    TITLE_MAX,
    ActionItem,
    Postmortem,
    PostmortemReviewer,
    PostmortemSection,
    TimelineEntry,
)
from portal.people.models import Membership
from portal.wording import counted

TARGET = {"small": 3, "large": 20}
# Resolved SEV1/SEV2 incidents older than this get a short published postmortem.
HISTORY_AFTER = timedelta(days=7)
CHUNK = 500
TEXT = {
    "Summary": "Checkout error rate rose to **12 %** for 38 minutes after a config push.",
    "Customer impact": "About 4,000 card payments failed; customers saw *“try again later”*.",
    "Detection": "The `HighErrorRate` alert fired 3 minutes after the push.",
    "Response": "The on-call engineer rolled the config back; payments recovered at once.",
    "Contributing factors": "- No canary for config changes\n- The alert had no runbook link",
    "What went well": "Rollback took two minutes.",
    "What went badly": "Nobody knew the config had changed: no change event in the timeline.",
    "Where we got lucky": "It happened outside the evening peak.",
    "Lessons": "Config is code: it needs the same rollout safety.",
}
ITEMS = [
    ("Canary config changes like code", 1),
    ("Add the runbook link to HighErrorRate", 2),
    ("Emit a change event on every config push", 2),
    ("Dashboard for payment failures by reason", 3),
]


def _author(incident: Incident):
    if incident.commander_id:
        return incident.commander
    membership = (
        Membership.objects.filter(team=incident.team)
        .select_related("user")
        .order_by("role", "pk")  # managers first
        .first()
    )
    return membership.user if membership else None


@transaction.atomic
def seed(*, scale: str, rng: random.Random, stdout=sys.stdout) -> None:
    made = 0 if Postmortem.objects.exists() else _stories(scale=scale, rng=rng)
    history = _history(rng=rng)
    if made or history:
        stdout.write(f"  postmortems: {counted(made, 'story postmortem')}, {history} in history")


def _stories(*, scale: str, rng: random.Random) -> int:
    missing = TARGET.get(scale, TARGET["small"])
    # Last week's SEV1/SEV2 stay unwritten: they are the ones Runwell is nagging about.
    recent_serious = Q(severity__lte=2) & ~Q(resolved_at__lt=timezone.now() - HISTORY_AFTER)
    incidents = list(
        Incident.objects.filter(status=Incident.Status.RESOLVED, postmortem__isnull=True)
        .exclude(recent_serious)
        .select_related("team", "commander")
        .order_by("severity", "-resolved_at")[:missing]
    )
    now = timezone.now()
    today = timezone.localdate()
    made = 0
    for n, incident in enumerate(incidents):
        author = _author(incident)
        if author is None:
            continue
        pm, created = services.postmortem_start(incident=incident, by=author)
        if not created:
            continue
        for section in PostmortemSection.objects.filter(postmortem=pm):
            if section.title in TEXT and (n == 0 or rng.random() < 0.7):
                section.body = TEXT[section.title]
                section.version += 1
                section.updated_by, section.updated_at = author, now
                section.save(update_fields=["body", "version", "updated_by", "updated_at"])
        service = pm.services.first()
        for i, (title, priority) in enumerate(ITEMS[: 2 + n % 3]):
            due = today + timedelta(days=rng.randint(5, 40))
            status = ActionItem.Status.OPEN
            if i == 0 and n == 0:
                due = today - timedelta(days=9)  # overdue: the nags have something to say
            elif i == 3:
                status = ActionItem.Status.DONE
            ActionItem.objects.create(
                postmortem=pm,
                title=title,
                owner=author,
                due_date=due,
                service=service,
                priority=priority,
                status=status,
                closed_at=now if status == ActionItem.Status.DONE else None,
                closed_by=author if status == ActionItem.Status.DONE else None,
                created_by=author,
            )
        reviewer = (
            Membership.objects.filter(team=pm.team).exclude(user=author).select_related("user")
        ).first()
        if reviewer is not None and n < 2:
            PostmortemReviewer.objects.create(
                postmortem=pm, user=reviewer.user, approved_at=now if n == 0 else None
            )
            pm.status = Postmortem.Status.PUBLISHED if n == 0 else Postmortem.Status.IN_REVIEW
            pm.review_round, pm.review_requested_by = 1, author
            if n == 0:
                pm.published_at, pm.published_by = now, author
            pm.save()
        made += 1
    return made


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _history(*, rng: random.Random) -> int:
    cutoff = timezone.now() - HISTORY_AFTER
    incidents = list(
        Incident.objects.filter(
            status=Incident.Status.RESOLVED,
            severity__lte=2,
            postmortem__isnull=True,
            resolved_at__lt=cutoff,
        ).order_by("pk")
    )
    team_settings = selectors.settings_by_team(team_ids=[i.team_id for i in incidents])
    for chunk in _chunks(incidents, CHUNK):
        _history_chunk(chunk, team_settings, rng)
    return len(incidents)


def _history_chunk(incidents: list[Incident], team_settings, rng: random.Random) -> None:
    postmortems = Postmortem.objects.bulk_create(
        [
            Postmortem(
                incident=i,
                team_id=i.team_id,
                title=i.title[:TITLE_MAX],
                severity=i.severity,
                started_at=i.triggered_at,
                acknowledged_at=i.acknowledged_at,
                resolved_at=i.resolved_at,
                status=Postmortem.Status.PUBLISHED,
                review_round=1,
                created_by_id=i.commander_id or i.resolved_by_id,
                published_by_id=i.commander_id or i.resolved_by_id,
                published_at=i.resolved_at + timedelta(days=rng.randint(1, 5)),
            )
            for i in incidents
        ]
    )
    by_incident = {pm.incident_id: pm for pm in postmortems}
    sections = []
    for i in incidents:
        pm = by_incident[i.pk]
        minutes = int((i.resolved_at - i.triggered_at).total_seconds() // 60)
        for n, s in enumerate(team_settings[i.team_id].sections):
            body = ""
            if n == 0:
                body = (
                    f"{i.title}: resolved after {minutes} minutes. Written from the demo history."
                )
            sections.append(
                PostmortemSection(
                    postmortem=pm,
                    position=n,
                    title=s["title"][:SECTION_TITLE_MAX],
                    prompt=s.get("prompt", "")[:PROMPT_MAX],
                    body=body,
                )
            )
    PostmortemSection.objects.bulk_create(sections, batch_size=1000)
    entries, position = [], {}
    events = (
        IncidentEvent.objects.filter(incident_id__in=list(by_incident))
        .select_related("actor__profile")
        .order_by("incident_id", "at", "pk")
    )
    for e in events.iterator(chunk_size=2000):
        n = position.get(e.incident_id, 0)
        if n >= editing.COPY_EVENTS_MAX:
            continue
        position[e.incident_id] = n + 1
        entries.append(
            TimelineEntry(
                postmortem=by_incident[e.incident_id],
                position=n,
                at=e.at,
                kind=e.kind,
                text=e.message[: editing.ENTRY_TEXT_MAX] or e.kind,
                actor_name=e.actor_name if e.actor_id else "",
                source_event_id=e.pk,
            )
        )
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)
    Through = Postmortem.services.through
    links = Incident.services.through.objects.filter(incident_id__in=list(by_incident))
    Through.objects.bulk_create(
        [
            Through(postmortem_id=by_incident[incident_id].pk, service_id=service_id)
            for incident_id, service_id in links.values_list("incident_id", "service_id")
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
