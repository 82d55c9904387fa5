"""Read queries about incidents, shared by views, panels, reports and the API. Each owns its
``select_related`` / ``prefetch_related`` so list pages run a fixed number of queries."""

import functools
import hmac
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from incidents.models import (
    TOKEN_PREFIX_LENGTH,
    Alert,
    EscalationPolicy,
    EscalationStep,
    InboxPayload,
    Incident,
    IncidentEvent,
    Integration,
    MaintenanceWindow,
    hash_token,
)
from portal.catalog.models import Service
from portal.people.models import Membership, Team

User = get_user_model()

# Pages offer a short list of likely people and services (a <datalist>) and find anyone or
# anything else on demand (the look-ups below): nothing renders the whole company.
SUGGESTIONS_MAX = 100
LOOKUP_RESULTS_MAX = 20
LOOKUP_TERMS_MAX = 4


# ------------------------------------------------------------------------------- incidents
def incident_detail(*, pk: int) -> Incident:
    qs = Incident.objects.select_related(
        "team",
        "integration",
        "commander__profile",
        "comms_lead__profile",
        "acknowledged_by__profile",
        "resolved_by__profile",
        "created_by__profile",
        "escalation_policy",
    ).prefetch_related(Prefetch("services", queryset=Service.objects.order_by("name")))
    try:
        return qs.get(pk=pk)
    except Incident.DoesNotExist as exc:
        raise Http404("No such incident.") from exc


def incident_timeline(*, incident: Incident) -> QuerySet[IncidentEvent]:
    return incident.events.select_related("actor__profile", "target__profile").order_by(
        "-at", "-pk"
    )


def incident_people(*, incident: Incident, limit: int = SUGGESTIONS_MAX) -> list:
    """The people the incident page suggests for its roles: the owning team's members and
    everyone already involved (its roles, who declared, acknowledged or resolved it, who acted
    on its timeline or was paged). Anyone else is found with ``people_lookup``."""
    events = IncidentEvent.objects.filter(incident=incident).order_by()
    direct = {
        incident.commander_id,
        incident.comms_lead_id,
        incident.created_by_id,
        incident.acknowledged_by_id,
        incident.resolved_by_id,
    } - {None}
    # One UNION of index lookups, not an OR (which scans every user).
    ids = (
        Membership.objects.filter(team_id=incident.team_id)
        .order_by()
        .values("user_id")
        .union(
            events.filter(actor__isnull=False).values("actor_id"),
            events.filter(target__isnull=False).values("target_id"),
            User.objects.filter(pk__in=direct).order_by().values("pk"),
        )
    )
    return list(
        User.objects.filter(pk__in=ids, is_active=True)
        .select_related("profile")
        .order_by("username")[:limit]
    )


def reassign_teams(*, incident: Incident, user, limit: int = SUGGESTIONS_MAX) -> list[Team]:
    """The teams the incident page suggests to reassign it to: the owners of its services and
    of what they depend on, and the user's own teams. Any other is found with
    ``team_lookup``."""
    service_ids = [s.pk for s in incident.services.all()]
    ids = (
        Service.objects.filter(pk__in=service_ids)
        .order_by()
        .values("team_id")
        .union(
            Service.objects.filter(dependents__in=service_ids).order_by().values("team_id"),
            Membership.objects.filter(user=user).order_by().values("team_id"),
        )
    )
    return list(
        Team.objects.filter(pk__in=ids).exclude(pk=incident.team_id).order_by("name", "pk")[:limit]
    )


def incident_alerts(*, incident: Incident) -> QuerySet[Alert]:
    return incident.alerts.order_by("status", "-received_at", "pk")


_alert_counts = (
    Alert.objects.filter(incident=OuterRef("pk"))
    .order_by()
    .values("incident")
    .annotate(n=Count("*"))
    .values("n")
)


def incident_search(
    *,
    user,
    status: str = "",
    team: Team | None = None,
    service: Service | None = None,
    severity: int | None = None,
    mine: bool = False,
) -> QuerySet[Incident]:
    """The incident list. ``status``: "open" (default view), "triggered", "acknowledged",
    "resolved" or "" for all. ``mine``: incidents of my teams or where I have a role."""
    qs = (
        Incident.objects.select_related("team", "commander__profile")
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("name")))
        # A correlated subquery, not Count("alerts"): a join and GROUP BY would count the
        # alerts of every incident in the table before LIMIT picks one page.
        .annotate(alert_count=Coalesce(Subquery(_alert_counts, output_field=IntegerField()), 0))
    )
    if status == "open":
        qs = qs.filter(status__in=Incident.OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if team is not None:
        qs = qs.filter(team=team)
    if service is not None:
        qs = qs.filter(services=service)
    if severity:
        qs = qs.filter(severity=severity)
    if mine:
        # The team ids as a list, not a join: no DISTINCT over every incident ever, and an OR
        # of index lookups (team, commander, comms lead, acknowledged by).
        team_ids = list(Membership.objects.filter(user=user).values_list("team_id", flat=True))
        qs = qs.filter(
            Q(team_id__in=team_ids)
            | Q(commander=user)
            | Q(comms_lead=user)
            | Q(acknowledged_by=user)
        )
    return qs.order_by("-triggered_at", "-pk")


def _terms(q: str) -> list[str]:
    return q.replace("@", " ").split()[:LOOKUP_TERMS_MAX]


def people_lookup(*, q: str, team: Team | None = None, limit: int = LOOKUP_RESULTS_MAX) -> list:
    """Active people whose username or name contains every word of ``q`` (``@`` ignored),
    the members of ``team`` first: the people pages' search-as-you-type."""
    qs = User.objects.filter(is_active=True)
    for term in _terms(q):
        qs = qs.filter(
            Q(username__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(profile__display_name__icontains=term)
        )
    order = ["username"]
    if team is not None:
        in_team = Membership.objects.filter(team=team, user=OuterRef("pk"))
        qs = qs.annotate(in_team=Exists(in_team))
        order = ["-in_team", "username"]
    return list(qs.select_related("profile").order_by(*order)[:limit])


def service_lookup(
    *, q: str, team: Team | None = None, limit: int = LOOKUP_RESULTS_MAX
) -> list[Service]:
    """Services in use whose name or slug contains every word of ``q``, those of ``team``
    first: the service fields' search-as-you-type."""
    qs = Service.objects.filter(archived_at__isnull=True)
    for term in _terms(q):
        qs = qs.filter(Q(name__icontains=term) | Q(slug__icontains=term))
    order = ["name", "pk"]
    if team is not None:
        qs = qs.annotate(in_team=Q(team=team))
        order = ["-in_team", *order]
    return list(qs.select_related("team").order_by(*order)[:limit])


def team_lookup(*, q: str, user=None, limit: int = LOOKUP_RESULTS_MAX) -> list[Team]:
    """Teams whose name or slug contains every word of ``q``, the user's own first: the team
    filter's search-as-you-type."""
    qs = Team.objects.all()
    for term in _terms(q):
        qs = qs.filter(Q(name__icontains=term) | Q(slug__icontains=term))
    order = ["name", "pk"]
    if user is not None and user.is_authenticated:
        mine = Membership.objects.filter(team=OuterRef("pk"), user=user)
        qs = qs.annotate(mine=Exists(mine))
        order = ["-mine", *order]
    return list(qs.order_by(*order)[:limit])


def list_filter_suggestions(*, user, limit: int = SUGGESTIONS_MAX) -> dict[str, list]:
    """What the incident list's team and service filters suggest at first: the user's teams
    and their services in use. Any other is found as one types (the look-ups above)."""
    teams = list(Team.objects.filter(memberships__user=user).order_by("name", "pk")[:limit])
    services = (
        Service.objects.filter(team__in=[t.pk for t in teams], archived_at__isnull=True)
        .select_related("team")
        .order_by("name", "pk")[:limit]
    )
    return {"teams": teams, "services": list(services)}


def open_incidents(*, teams=None, service: Service | None = None) -> QuerySet[Incident]:
    qs = (
        Incident.objects.filter(status__in=Incident.OPEN_STATUSES)
        .select_related("team")
        .order_by("severity", "-triggered_at")
    )
    if teams is not None:
        qs = qs.filter(team__in=teams)
    if service is not None:
        qs = qs.filter(services=service)
    return qs


# ---------------------------------------------------------------------------- integrations
def integration_for_token(*, token: str, kind: str | None = None) -> Integration | None:
    """The enabled integration whose token this is (compared in constant time), or None."""
    if len(token) < TOKEN_PREFIX_LENGTH or len(token) > 200:
        return None
    found = None
    for candidate in Integration.objects.filter(token_prefix=token[:TOKEN_PREFIX_LENGTH]):
        if candidate.token_matches(token):
            found = candidate
    if found is None or not found.enabled or (kind and found.kind != kind):
        return None
    return found


@dataclass(frozen=True)
class HookTarget:
    """What a webhook request needs of its integration."""

    pk: int
    rate_limit_per_minute: int


def integration_for_hook(*, token: str, kind: str) -> HookTarget | None:
    """``integration_for_token`` for the webhooks' hot path: the same answer (None for an
    unknown, disabled, rotated or other-kind token; the hash compared in constant time) in
    one query of plain SQL reading only what the request needs, with no model instance."""
    if len(token) < TOKEN_PREFIX_LENGTH or len(token) > 200:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_hook_query(), [token[:TOKEN_PREFIX_LENGTH]])
        rows = cursor.fetchall()
    digest = hash_token(token)
    found = None
    for pk, token_hash, enabled, found_kind, limit in rows:
        if hmac.compare_digest(token_hash, digest):
            found = HookTarget(pk, limit) if enabled and found_kind == kind else None
    return found


@functools.cache
def _hook_query() -> str:
    meta, quote = Integration._meta, connection.ops.quote_name
    names = ("id", "token_hash", "enabled", "kind", "rate_limit_per_minute", "token_prefix")
    pk, token_hash, enabled, kind, limit, prefix = (quote(meta.get_field(n).column) for n in names)
    return (
        f"SELECT {pk}, {token_hash}, {enabled}, {kind}, {limit} "
        f"FROM {quote(meta.db_table)} WHERE {prefix} = %s"
    )


def team_integrations(*, team: Team) -> QuerySet[Integration]:
    return (
        Integration.objects.filter(Q(team=team) | Q(service__team=team))
        .select_related("service", "team")
        .annotate(
            open_count=Count(
                "incidents",
                filter=Q(incidents__status__in=Incident.OPEN_STATUSES),
                distinct=True,
            )
        )
        .order_by("name", "pk")
    )


def integration_owner_team(integration: Integration) -> Team:
    return integration.service.team if integration.service_id else integration.team


# ----------------------------------------------------------------- payloads that failed
@dataclass(frozen=True)
class InboxFailure:
    """An integration with accepted payloads that could not be ingested."""

    integration: Integration
    count: int
    last_failed_at: datetime
    last_error: str


def inbox_failures(
    *, integrations: QuerySet[Integration] | None = None, team: Team | None = None
) -> list[InboxFailure]:
    """Those of ``integrations`` (default: all) whose payloads failed, of ``team`` when
    given. Two queries."""
    if integrations is None:
        integrations = Integration.objects.all()
    if team is not None:
        integrations = integrations.filter(Q(team=team) | Q(service__team=team))
    failed = InboxPayload.objects.filter(failed_at__isnull=False)
    latest_error = failed.filter(integration=OuterRef("integration")).order_by("-failed_at", "-pk")
    rows = list(
        failed.filter(integration__in=integrations)
        .values("integration")
        .annotate(
            count=Count("pk"),
            last=Max("failed_at"),
            error=Subquery(latest_error.values("error")[:1]),
        )
        .order_by("-last")
    )
    by_pk = Integration.objects.select_related("team", "service__team").in_bulk(
        [r["integration"] for r in rows]
    )
    return [InboxFailure(by_pk[r["integration"]], r["count"], r["last"], r["error"]) for r in rows]


def incident_failed_updates(*, incident: Incident) -> list[IncidentEvent]:
    """The "update not applied" lines of ``incident`` whose payload is still failed (one that
    was queued again and ingested no longer counts)."""
    lines = list(incident.events.filter(kind=IncidentEvent.Kind.UPDATE_FAILED))
    if not lines:
        return []
    still = set(
        InboxPayload.objects.filter(
            pk__in=[e.data.get("payload_id") for e in lines], failed_at__isnull=False
        ).values_list("pk", flat=True)
    )
    return [e for e in lines if e.data.get("payload_id") in still]


# ------------------------------------------------------------------------------- policies
def _steps_prefetch() -> Prefetch:
    return Prefetch(
        "steps",
        queryset=EscalationStep.objects.prefetch_related("schedules", "users__profile").order_by(
            "position", "pk"
        ),
    )


def team_policies(*, team: Team) -> QuerySet[EscalationPolicy]:
    return (
        EscalationPolicy.objects.filter(team=team)
        .select_related("service", "team")
        .prefetch_related(_steps_prefetch())
        .order_by("service__name", "name")
    )


def policy_detail(*, pk: int) -> EscalationPolicy:
    try:
        return (
            EscalationPolicy.objects.select_related("team", "service")
            .prefetch_related(_steps_prefetch())
            .get(pk=pk)
        )
    except EscalationPolicy.DoesNotExist as exc:
        raise Http404("No such escalation policy.") from exc


# ----------------------------------------------------------------------------- maintenance
def active_maintenance(*, service: Service, at: datetime | None = None):
    at = at or timezone.now()
    return (
        MaintenanceWindow.objects.filter(service=service, starts_at__lte=at, ends_at__gt=at)
        .select_related("created_by__profile")
        .order_by("-ends_at")
        .first()
    )


@dataclass
class EscalationView:
    """What the incident page says about escalation."""

    state: str  # "paging", "waiting", "stopped", "finished", "suppressed"
    text: str
    next_at: datetime | None = None


def escalation_view(*, incident: Incident) -> EscalationView:
    policy = incident.escalation_policy
    name = policy.name if policy else "no policy (the team's managers are paged)"
    if incident.status == Incident.Status.RESOLVED:
        return EscalationView("stopped", "Escalation stopped: resolved.")
    if incident.status == Incident.Status.ACKNOWLEDGED:
        return EscalationView("stopped", "Escalation stopped: acknowledged.")
    if incident.paging_suppressed_reason and incident.next_escalation_at is None:
        return EscalationView("suppressed", incident.paging_suppressed_reason)
    if incident.next_escalation_at is None:
        return EscalationView("finished", f"Escalation finished ({name}).")
    if incident.next_escalation_at <= timezone.now():
        return EscalationView("paging", f"Paging now ({name}).", incident.next_escalation_at)
    return EscalationView(
        "waiting",
        f"Next step {incident.escalation_level + 1} of {name}",
        incident.next_escalation_at,
    )
