"""Read queries about people and teams, shared by views, the API and reports."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from portal.people.models import Membership, Team

User = get_user_model()


def role_in_team(*, user, team: Team) -> str | None:
    """The user's role in the team ("member", "manager") or None for outsiders."""
    if not user.is_authenticated:
        return None
    cache = getattr(user, "_runwell_roles", None)
    if cache is None:
        cache = dict(Membership.objects.filter(user=user).values_list("team_id", "role"))
        user._runwell_roles = cache
    return cache.get(team.pk)


def forget_roles(*, user) -> None:
    """Drop the roles ``role_in_team`` remembered for this user (after changing them)."""
    if hasattr(user, "_runwell_roles"):
        del user._runwell_roles


def is_member(*, user, team: Team) -> bool:
    return role_in_team(user=user, team=team) is not None


def is_manager(*, user, team: Team) -> bool:
    return role_in_team(user=user, team=team) == Membership.Role.MANAGER


def can_manage_team(*, user, team: Team) -> bool:
    return user.is_authenticated and (user.is_staff or is_manager(user=user, team=team))


def team_for_manager_or_404(*, user, slug: str) -> Team:
    """The team, if the user manages it (or is staff); 404 if it does not exist.

    Raises PermissionDenied (403) for a logged-in user who may see the team but not manage it.
    """
    from django.core.exceptions import PermissionDenied

    team = get_object_or_404(Team, slug=slug)
    if not can_manage_team(user=user, team=team):
        raise PermissionDenied("Only the team's managers can do that.")
    return team


def teams_of(*, user) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user).distinct()


def managed_teams(*, user) -> QuerySet[Team]:
    if user.is_staff:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user, memberships__role=Membership.Role.MANAGER)


def team_list() -> QuerySet[Team]:
    return Team.objects.annotate(
        member_count=Count("memberships", distinct=True),
        service_count=Count(
            "services", filter=Q(services__archived_at__isnull=True), distinct=True
        ),
    ).order_by("name")


def team_detail(*, slug: str) -> Team:
    qs = Team.objects.prefetch_related(
        Prefetch(
            "memberships",
            # Managers first: "manager" sorts before "member".
            queryset=Membership.objects.select_related("user__profile").order_by(
                "role", "user__username"
            ),
        )
    )
    try:
        return qs.get(slug=slug)
    except Team.DoesNotExist as exc:
        raise Http404("No such team.") from exc


def team_managers(*, team: Team) -> QuerySet:
    return User.objects.filter(
        memberships__team=team, memberships__role=Membership.Role.MANAGER, is_active=True
    )


def managers_of(*, user) -> QuerySet:
    """Everyone who manages a team the user belongs to."""
    team_ids = Membership.objects.filter(user=user).values("team_id")
    return (
        User.objects.filter(
            memberships__team_id__in=team_ids,
            memberships__role=Membership.Role.MANAGER,
            is_active=True,
        )
        .exclude(pk=user.pk)
        .distinct()
    )
