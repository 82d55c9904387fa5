"""Who may see and change incidents, integrations, escalation policies and their steps, and a
service's maintenance: the one place pages, the API and panels ask.

Everyone signed in reads incidents and alerts; members of the owning team and staff act on an
incident; a team's managers and staff manage its integrations, escalation policies and its
services' maintenance. Built on :mod:`portal.people.access`. ``…_or_404`` raises Http404 for
what does not exist, and PermissionDenied (403) for what is not this person's to change.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from incidents import selectors
from incidents.models import EscalationPolicy, EscalationStep, Incident, Integration
from portal.catalog.models import Service
from portal.catalog.selectors import service_detail
from portal.people.access import can_manage_team, can_see_team, is_staff
from portal.people.models import Membership

POLICY_MANAGERS_ONLY = "Only the team's managers can change its escalation policies."


# ------------------------------------------------------------------------------- incidents
def can_act(*, user, incident: Incident) -> bool:
    """Members of the owning team and staff act on an incident; everyone else may look."""
    return user.is_authenticated and can_see_team(user=user, team=incident.team)


def incident_for_actor_or_403(*, user, pk: int) -> Incident:
    incident = selectors.incident_detail(pk=pk)
    if not can_act(user=user, incident=incident):
        raise PermissionDenied("Only members of the owning team can act on this incident.")
    return incident


# ---------------------------------------------------------------------------- integrations
def integrations_visible_to(qs: QuerySet[Integration], *, user) -> QuerySet[Integration]:
    """The integrations of ``qs`` whose failures ``user`` is shown: those of their teams
    (every one for staff)."""
    if is_staff(user):
        return qs
    mine = Membership.objects.filter(user=user).values("team_id")
    return qs.filter(Q(team__in=mine) | Q(service__team__in=mine))


def integration_for_manager_or_404(*, user, pk: int) -> Integration:
    """The integration, if the user manages its owning team (or is staff)."""
    integration = get_object_or_404(
        Integration.objects.select_related("team", "service__team"), pk=pk
    )
    team = selectors.integration_owner_team(integration)
    if not can_manage_team(user=user, team=team):
        raise PermissionDenied("Only the owning team's managers can change its integrations.")
    return integration


# ------------------------------------------------------------------------------- policies
def policy_for_manager_or_404(*, user, pk: int) -> EscalationPolicy:
    """The policy with its steps (``selectors.policy_detail``), if the user manages its team."""
    policy = selectors.policy_detail(pk=pk)
    if not can_manage_team(user=user, team=policy.team):
        raise PermissionDenied(POLICY_MANAGERS_ONLY)
    return policy


def step_for_manager_or_404(*, user, pk: int, policy_pk: int | None = None) -> EscalationStep:
    """The step (of the policy ``policy_pk``, when given), if the user manages its team."""
    found = EscalationStep.objects.select_related("policy__team").prefetch_related(
        "schedules", "users__profile"
    )
    if policy_pk is not None:
        found = found.filter(policy_id=policy_pk)
    step = get_object_or_404(found, pk=pk)
    if not can_manage_team(user=user, team=step.policy.team):
        raise PermissionDenied(POLICY_MANAGERS_ONLY)
    return step


# ----------------------------------------------------------------------------- maintenance
def service_for_maintenance_or_403(*, user, slug: str) -> Service:
    """The service, if the user may put it in maintenance (its team's managers and staff);
    404 for an unknown slug."""
    service = service_detail(slug=slug)
    if not can_manage_team(user=user, team=service.team):
        raise PermissionDenied("Only the owning team's managers can put it in maintenance.")
    return service
