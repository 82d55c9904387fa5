"""Writes about people and teams. Each runs in one transaction and keeps the invariants:
a team always keeps at least one manager."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.people.models import Membership, Profile, Team

User = get_user_model()


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None = None,
    email: str = "",
    display_name: str = "",
    time_zone: str = "UTC",
    is_staff: bool = False,
):
    user = User(username=username, email=email, is_staff=is_staff)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.display_name = display_name
    profile.time_zone = time_zone
    profile.full_clean()
    profile.save()
    user.profile = profile  # not the blank copy the post_save signal cached on the user
    return user


@transaction.atomic
def team_create(*, name: str, slug: str, description: str = "", managers=()) -> Team:
    team = Team(name=name, slug=slug, description=description)
    team.full_clean()
    team.save()
    for user in managers:
        Membership.objects.create(user=user, team=team, role=Membership.Role.MANAGER)
    return team


@transaction.atomic
def team_update(*, team: Team, **fields) -> Team:
    for name, value in fields.items():
        setattr(team, name, value)
    team.full_clean()
    team.save(update_fields=list(fields))
    return team


@transaction.atomic
def membership_add(*, team: Team, user, role: str = Membership.Role.MEMBER) -> Membership:
    if Membership.objects.filter(team=team, user=user).exists():
        raise ValidationError({"user": f"{user.get_username()} is already in {team.name}."})
    membership = Membership(team=team, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership


def _lock_managers(team: Team) -> list[int]:
    return list(
        Membership.objects.select_for_update()
        .filter(team=team, role=Membership.Role.MANAGER)
        .values_list("pk", flat=True)
    )


def _locked(membership: Membership) -> Membership:
    """The membership as it is now in the database, row locked (the caller's copy may be stale)."""
    try:
        current = Membership.objects.select_for_update().get(pk=membership.pk)
    except Membership.DoesNotExist as exc:
        raise ValidationError("That person is no longer in the team.") from exc
    membership.role = current.role
    return membership


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Role must be member or manager."})
    managers = _lock_managers(membership.team)
    membership = _locked(membership)
    demoting = membership.role == Membership.Role.MANAGER and role != membership.role
    if demoting and managers == [membership.pk]:
        raise ValidationError({"role": "A team needs at least one manager."})
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    managers = _lock_managers(membership.team)
    membership = _locked(membership)
    if membership.role == Membership.Role.MANAGER and managers == [membership.pk]:
        raise ValidationError(
            "The last manager cannot be removed: make someone else manager first."
        )
    membership.delete()


@transaction.atomic
def profile_update(*, profile: Profile, **fields) -> Profile:
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile
