"""Read queries about postmortems and action items. Who may see and change them is
:mod:`incidents.postmortems.access`'s."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from incidents.models import Incident, IncidentEvent
from incidents.postmortems.models import (
    ActionItem,
    Postmortem,
    PostmortemComment,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemSettings,
    TimelineEntry,
)
from incidents.selectors import SUGGESTIONS_MAX
from portal.catalog.models import Service
from portal.people.models import Membership, Team

User = get_user_model()

# Search bounds: a query string this long at most, this many words of it used.
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 8


# --------------------------------------------------------------------------------- settings
def settings_for(*, team: Team) -> PostmortemSettings:
    """The team's settings; an unsaved row with the defaults when it has none yet."""
    found = PostmortemSettings.objects.filter(team=team).first()
    return found if found is not None else PostmortemSettings(team=team)


def settings_by_team(*, team_ids) -> dict[int, PostmortemSettings]:
    rows = {s.team_id: s for s in PostmortemSettings.objects.filter(team_id__in=set(team_ids))}
    return {tid: rows.get(tid) or PostmortemSettings(team_id=tid) for tid in set(team_ids)}


# ----------------------------------------------------------------------------- participants
def participant_ids(*, incident: Incident) -> set[int]:
    """The incident's participants: commander, comms lead, who declared, acknowledged and
    resolved it, everyone who acted on its timeline and everyone it paged."""
    ids = {
        incident.commander_id,
        incident.comms_lead_id,
        incident.created_by_id,
        incident.acknowledged_by_id,
        incident.resolved_by_id,
    }
    for actor_id, target_id in IncidentEvent.objects.filter(incident=incident).values_list(
        "actor_id", "target_id"
    ):
        ids.add(actor_id)
        ids.add(target_id)
    ids.discard(None)
    return ids


def incident_participants(*, incident: Incident) -> list:
    return list(
        User.objects.filter(pk__in=participant_ids(incident=incident), is_active=True)
        .select_related("profile")
        .order_by("username")
    )


# ------------------------------------------------------------------------------ suggestions
def likely_people(*, postmortem: Postmortem, limit: int = SUGGESTIONS_MAX) -> list:
    """Who the pages suggest as owners and reviewers: the team's members and the people
    involved. Anyone else is found as one types (``incidents.selectors.people_lookup``)."""
    involved = [u.pk for u in postmortem.people.all()]
    # One UNION of index lookups, not an OR (which scans every user).
    ids = (
        Membership.objects.filter(team_id=postmortem.team_id)
        .order_by()
        .values("user_id")
        .union(User.objects.filter(pk__in=involved).order_by().values("pk"))
    )
    return list(
        User.objects.filter(pk__in=ids, is_active=True)
        .select_related("profile")
        .order_by("username")[:limit]
    )


def likely_services(*, postmortem: Postmortem, limit: int = SUGGESTIONS_MAX) -> list[Service]:
    """The services the pages suggest for action items: the postmortem's, then the rest of
    its team's (in use). Any other is found as one types
    (``incidents.selectors.service_lookup``)."""
    own = [s for s in postmortem.services.all() if s.archived_at is None]
    rest = (
        Service.objects.filter(team_id=postmortem.team_id, archived_at__isnull=True)
        .exclude(pk__in=[s.pk for s in own])
        .select_related("team")
        .order_by("name", "pk")[: max(limit - len(own), 0)]
    )
    return own[:limit] + list(rest)


# -------------------------------------------------------------------------------- postmortems
def postmortem_detail(*, pk: int) -> Postmortem:
    qs = Postmortem.objects.select_related(
        "incident__team",
        "team",
        "created_by__profile",
        "published_by__profile",
        "review_requested_by__profile",
    ).prefetch_related(
        Prefetch("services", queryset=Service.objects.select_related("team").order_by("name")),
        Prefetch("people", queryset=User.objects.select_related("profile").order_by("username")),
        Prefetch(
            "sections",
            queryset=PostmortemSection.objects.select_related("updated_by__profile").order_by(
                "position"
            ),
        ),
        Prefetch(
            "timeline",
            queryset=TimelineEntry.objects.select_related("updated_by__profile").order_by(
                "position", "pk"
            ),
        ),
        Prefetch(
            "reviewers",
            queryset=PostmortemReviewer.objects.select_related("user__profile").order_by(
                "added_at", "pk"
            ),
        ),
        Prefetch(
            "comments",
            queryset=PostmortemComment.objects.select_related("author__profile").order_by(
                "created_at", "pk"
            ),
        ),
        Prefetch("action_items", queryset=_items().order_by("status", "due_date", "pk")),
    )
    try:
        return qs.get(pk=pk)
    except Postmortem.DoesNotExist as exc:
        raise Http404("No such postmortem.") from exc


def postmortem_of_incident(*, incident: Incident) -> Postmortem | None:
    return Postmortem.objects.filter(incident=incident).first()


def section_of(*, postmortem: Postmortem, section_id: int) -> PostmortemSection:
    for section in postmortem.sections.all():
        if section.pk == section_id:
            return section
    raise Http404("No such section.")


def entry_of(*, postmortem: Postmortem, entry_id: int) -> TimelineEntry:
    for entry in postmortem.timeline.all():
        if entry.pk == entry_id:
            return entry
    raise Http404("No such timeline entry.")


def search_terms(q: str) -> list[str]:
    return [t for t in (q or "")[:SEARCH_MAX_LENGTH].split() if t][:SEARCH_MAX_TERMS]


def published_search(
    *,
    q: str = "",
    team: Team | None = None,
    service: Service | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Postmortem]:
    """Published postmortems, newest first. Every word of ``q`` must appear in the title or
    in one of the sections; ``date_from``/``date_to`` bound the incident's start (inclusive,
    in the active time zone)."""
    qs = (
        Postmortem.objects.filter(status=Postmortem.Status.PUBLISHED)
        .select_related("team")
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("name")))
        .annotate(item_count=Count("action_items", distinct=True))
    )
    for term in search_terms(q):
        in_sections = PostmortemSection.objects.filter(
            postmortem=OuterRef("pk"), body__icontains=term
        )
        qs = qs.filter(Q(title__icontains=term) | Exists(in_sections))
    if team is not None:
        qs = qs.filter(team=team)
    if service is not None:
        qs = qs.filter(
            Exists(
                Postmortem.services.through.objects.filter(
                    postmortem=OuterRef("pk"), service=service
                )
            )
        )
    if date_from is not None:
        qs = qs.filter(started_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(started_at__date__lte=date_to)
    return qs.order_by("-started_at", "-pk")


def published_for_service(*, service: Service, limit: int = 5) -> list[Postmortem]:
    return list(
        Postmortem.objects.filter(status=Postmortem.Status.PUBLISHED, services=service).order_by(
            "-started_at", "-pk"
        )[:limit]
    )


def unpublished_postmortems() -> QuerySet[Postmortem]:
    """Postmortems not published yet, most recently changed first (who sees which:
    ``access.in_progress_for``)."""
    return (
        Postmortem.objects.filter(status__in=Postmortem.EDITABLE_STATUSES)
        .select_related("team")
        .order_by("-updated_at", "-pk")
    )


def reviews_waiting_for(*, user) -> QuerySet[Postmortem]:
    return (
        Postmortem.objects.filter(
            status=Postmortem.Status.IN_REVIEW,
            reviewers__user=user,
            reviewers__approved_at__isnull=True,
        )
        .select_related("team")
        .order_by("-updated_at")
    )


def incidents_needing_postmortem(*, teams) -> QuerySet[Incident]:
    """Resolved SEV1/SEV2 incidents of these teams that have no postmortem yet."""
    return (
        Incident.objects.filter(
            team__in=teams,
            status=Incident.Status.RESOLVED,
            severity__lte=2,
            postmortem__isnull=True,
        )
        .select_related("team")
        .order_by("-resolved_at", "-pk")
    )


# ------------------------------------------------------------------------------ action items
def _items() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related(
        "owner__profile", "service", "postmortem__team", "closed_by__profile"
    )


def action_item_detail(*, pk: int) -> ActionItem:
    try:
        return ActionItem.objects.select_related(
            "owner__profile",
            "service",
            "postmortem__team",
            "postmortem__incident__team",
            "closed_by__profile",
            "created_by__profile",
        ).get(pk=pk)
    except ActionItem.DoesNotExist as exc:
        raise Http404("No such action item.") from exc


def action_items_of_owner(*, user, include_closed: bool = False) -> QuerySet[ActionItem]:
    qs = _items().filter(owner=user)
    if not include_closed:
        qs = qs.filter(status=ActionItem.Status.OPEN)
    return qs.order_by("status", "due_date", "priority", "pk")


def _team_items_q(team: Team) -> Q:
    return Q(postmortem__team=team) | Q(service__team=team)


def team_action_items(*, team: Team, include_closed: bool = False) -> QuerySet[ActionItem]:
    """Items of the team's postmortems and items on the team's services (who sees which:
    ``access.items_visible_to``)."""
    qs = _items().filter(_team_items_q(team))
    if not include_closed:
        qs = qs.filter(status=ActionItem.Status.OPEN)
    return qs.order_by("status", "due_date", "priority", "pk")


def service_action_items(*, service: Service) -> QuerySet[ActionItem]:
    return (
        _items()
        .filter(service=service, status=ActionItem.Status.OPEN)
        .order_by("due_date", "priority", "pk")
    )


def incident_action_items(*, incident: Incident) -> QuerySet[ActionItem]:
    return _items().filter(postmortem__incident=incident).order_by("status", "due_date", "pk")


@dataclass
class ItemCounts:
    open: int
    overdue: int


def item_counts(*, qs: QuerySet[ActionItem], today: date | None = None) -> ItemCounts:
    """How many of these items are open and how many of those are overdue, in one query."""
    today = today or timezone.localdate()
    row = qs.filter(status=ActionItem.Status.OPEN).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))
    )
    return ItemCounts(open=row["open"] or 0, overdue=row["overdue"] or 0)


def team_item_counts(*, team: Team, today: date | None = None) -> ItemCounts:
    return item_counts(qs=ActionItem.objects.filter(_team_items_q(team)), today=today)


def teams_item_counts(*, teams, today: date | None = None) -> list[tuple[Team, ItemCounts]]:
    """(team, counts) for each of these teams that has open items, as ``team_item_counts``
    counts them (the team's postmortems or its services), in two queries."""
    today = today or timezone.localdate()
    teams = list(teams)
    ids = [t.pk for t in teams]
    totals = {pk: [0, 0] for pk in ids}
    open_items = ActionItem.objects.filter(status=ActionItem.Status.OPEN)
    counts = {"n": Count("pk"), "late": Count("pk", filter=Q(due_date__lt=today))}
    by_postmortem = (
        open_items.filter(postmortem__team__in=ids)
        .values_list("postmortem__team")
        .annotate(**counts)
        .values_list("postmortem__team", "n", "late")
    )
    # Items on a team's service from another team's postmortem (not counted twice).
    by_service = (
        open_items.filter(service__team__in=ids)
        .exclude(service__team=F("postmortem__team"))
        .values_list("service__team")
        .annotate(**counts)
        .values_list("service__team", "n", "late")
    )
    for rows in (by_postmortem, by_service):
        for team_id, n, late in rows:
            totals[team_id][0] += n
            totals[team_id][1] += late
    return [
        (t, ItemCounts(open=totals[t.pk][0], overdue=totals[t.pk][1]))
        for t in teams
        if totals[t.pk][0]
    ]
