"""People and team reads against the database."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from portal.people import access, selectors
from tests import factories

pytestmark = pytest.mark.django_db


def test_roles_and_permissions(team, manager, member, outsider, staff):
    assert access.role_in_team(user=manager, team=team) == "manager"
    assert access.role_in_team(user=member, team=team) == "member"
    assert access.role_in_team(user=outsider, team=team) is None
    assert access.role_in_team(user=AnonymousUser(), team=team) is None
    assert access.is_member(user=member, team=team)
    assert not access.is_member(user=outsider, team=team)
    assert access.is_manager(user=manager, team=team)
    assert not access.is_manager(user=member, team=team)
    assert access.can_manage_team(user=manager, team=team)
    assert access.can_manage_team(user=staff, team=team)
    assert not access.can_manage_team(user=member, team=team)
    assert not access.can_manage_team(user=outsider, team=team)
    assert not access.can_manage_team(user=AnonymousUser(), team=team)


def test_roles_are_read_once_per_user_object(team, manager, django_assert_num_queries):
    other = factories.TeamFactory()
    with django_assert_num_queries(1):
        assert access.is_manager(user=manager, team=team)
        assert not access.is_member(user=manager, team=other)
    access.forget_roles(user=manager)
    with django_assert_num_queries(1):
        assert access.is_manager(user=manager, team=team)


def test_team_for_manager_or_404(team, manager, member, staff):
    assert access.team_for_manager_or_404(user=manager, slug=team.slug) == team
    assert access.team_for_manager_or_404(user=staff, slug=team.slug) == team
    with pytest.raises(PermissionDenied):
        access.team_for_manager_or_404(user=member, slug=team.slug)
    with pytest.raises(Http404):
        access.team_for_manager_or_404(user=manager, slug="no-such-team")


def test_teams_of_and_managed_teams(team, manager, staff):
    other = factories.TeamFactory()
    factories.MembershipFactory(team=other, user=manager, role="member")
    factories.TeamFactory()  # a team the manager is not in
    assert set(selectors.teams_of(user=manager)) == {team, other}
    assert list(access.managed_teams(user=manager)) == [team]
    assert access.managed_teams(user=staff).count() == 3


def test_team_list_counts_members_and_live_services(team, manager, member):
    factories.ServiceFactory(team=team)
    archived = factories.ServiceFactory(team=team)
    archived.archived_at = archived.created_at
    archived.save()
    empty = factories.TeamFactory(name="Zzz empty")
    rows = {t.pk: (t.member_count, t.service_count) for t in selectors.team_list()}
    assert rows == {team.pk: (2, 1), empty.pk: (0, 0)}


def test_team_detail_lists_managers_first(team, django_assert_num_queries):
    factories.MembershipFactory(team=team, user=factories.UserFactory(username="aaron"))
    factories.MembershipFactory(
        team=team, user=factories.UserFactory(username="zelda"), role="manager"
    )
    factories.MembershipFactory(team=team, user=factories.UserFactory(username="bea"))
    with django_assert_num_queries(2):
        detail = selectors.team_detail(slug=team.slug)
        names = [(m.user.username, m.role, m.user.profile.name) for m in detail.memberships.all()]
    assert names == [
        ("zelda", "manager", "zelda"),
        ("aaron", "member", "aaron"),
        ("bea", "member", "bea"),
    ]
    with pytest.raises(Http404):
        selectors.team_detail(slug="nope")


def test_team_managers_and_managers_of(team, manager, member):
    inactive = factories.MembershipFactory(team=team, role="manager").user
    inactive.is_active = False
    inactive.save()
    assert list(selectors.team_managers(team=team)) == [manager]
    assert list(selectors.managers_of(user=member)) == [manager]
    assert list(selectors.managers_of(user=manager)) == []


def test_team_members_are_the_active_people_of_any_role(team, manager, member):
    gone = factories.UserFactory(is_active=False)
    factories.MembershipFactory(team=team, user=gone)
    factories.MembershipFactory(team=factories.TeamFactory())  # someone else's team
    assert set(selectors.team_members(team=team)) == {manager, member}
