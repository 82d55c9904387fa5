"""Read queries about people and teams, shared by views, the API and reports."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from portal.people.models import Membership, Profile, Team

User = get_user_model()


def teams_of(*, user) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user).distinct()


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


def team_members(*, team: Team) -> QuerySet:
    """The team's active people, any role: whom a rota, a page or a form may name."""
    return User.objects.filter(memberships__team=team, is_active=True)


def team_managers(*, team: Team) -> QuerySet:
    return User.objects.filter(
        memberships__team=team, memberships__role=Membership.Role.MANAGER, is_active=True
    )


def active_memberships(*, team_ids) -> dict[int, list[Membership]]:
    """``{team id: its memberships of active people, with users and profiles}`` for many teams
    in one query (what ``team_members`` and ``team_managers`` give, team by team)."""
    result: dict[int, list[Membership]] = {tid: [] for tid in team_ids}
    rows = Membership.objects.filter(team_id__in=list(team_ids), user__is_active=True)
    for membership in rows.select_related("user__profile").order_by("pk"):
        result[membership.team_id].append(membership)
    return result


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


def team_memberships(*, team: Team) -> list[Membership]:
    """The team's memberships, oldest first, with their users and profiles: one query."""
    return list(Membership.objects.filter(team=team).select_related("user__profile").order_by("pk"))


def users_with_profiles(*, user_ids) -> QuerySet:
    """These people with their profiles (one query when evaluated)."""
    return User.objects.filter(pk__in=user_ids).select_related("profile")


def profiles_by_user(*, user_ids) -> dict[int, Profile]:
    """``{user id: profile}`` for those of ``user_ids`` who have one: one query."""
    return {p.user_id: p for p in Profile.objects.filter(user_id__in=user_ids)}


def manager_memberships() -> QuerySet[Membership]:
    """Every manager membership of an active person, with team, user and profile, by team and
    user (one query when evaluated)."""
    return (
        Membership.objects.filter(role=Membership.Role.MANAGER, user__is_active=True)
        .select_related("user__profile", "team")
        .order_by("team_id", "user_id")
    )
