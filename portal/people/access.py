"""Who may see and change a team: the roles every other app's access rules build on.

The only place that reads a person's role in a team or the staff flag for a permission.
Pages, the API, panels and template tags ask these functions (or the ``access`` module of
the app that owns the object, which asks these), never ``is_staff`` or a membership
directly. ``…_or_404`` raises Http404 for what does not exist; ``…_or_403`` raises
PermissionDenied for what exists but is not this person's to see or change.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from portal.people.models import Membership, Team


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


def is_staff(user) -> bool:
    """Staff see and manage every team."""
    return bool(user.is_authenticated and user.is_staff)


def is_member(*, user, team: Team) -> bool:
    """The user belongs to the team (any role). Staff are not members by being staff."""
    return role_in_team(user=user, team=team) is not None


def is_manager(*, user, team: Team) -> bool:
    return role_in_team(user=user, team=team) == Membership.Role.MANAGER


def can_see_team(*, user, team: Team) -> bool:
    """Members and staff see a team's schedules, incidents, reports and postmortems."""
    return is_staff(user) or is_member(user=user, team=team)


def can_manage_team(*, user, team: Team) -> bool:
    """Managers and staff change a team's setup."""
    return is_staff(user) or is_manager(user=user, team=team)


def can_create_team(*, user) -> bool:
    """Only staff create teams."""
    return is_staff(user)


def managed_teams(*, user) -> QuerySet[Team]:
    """The teams the user may manage: every team for staff."""
    if is_staff(user):
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user, memberships__role=Membership.Role.MANAGER)


def staff_or_403(user, message: str = "Only staff can do that.") -> None:
    if not is_staff(user):
        raise PermissionDenied(message)


def team_for_manager_or_404(*, user, slug: str) -> Team:
    """The team, if the user manages it (or is staff); 404 if it does not exist.

    Raises PermissionDenied (403) for a logged-in user who may see the team but not manage it.
    """
    team = get_object_or_404(Team, slug=slug)
    if not can_manage_team(user=user, team=team):
        raise PermissionDenied("Only the team's managers can do that.")
    return team


def team_for_member_or_403(
    *, user, slug: str, message: str = "Only the team's members can see its reports."
) -> Team:
    """The team if the user belongs to it (or is staff); 404 unknown, 403 otherwise."""
    team = get_object_or_404(Team, slug=slug)
    if not can_see_team(user=user, team=team):
        raise PermissionDenied(message)
    return team
