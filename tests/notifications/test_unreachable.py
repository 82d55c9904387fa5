"""People with no working contact method are flagged on their team page and to managers."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def test_team_page_flags_unreachable_members(client, team, manager, member):
    factories.ContactMethodFactory(user=manager)
    factories.ContactMethodFactory(user=member, broken_at=timezone.now())
    client.force_login(manager)
    body = client.get(reverse("people:team_detail", args=[team.slug])).content.decode()
    assert body.count("Cannot be reached") == 1
    row = next(line for line in body.splitlines() if f"@{member.username}" in line)
    assert "Cannot be reached" in row


def test_manager_dashboard_lists_unreachable_members(client, team, manager, member):
    factories.ContactMethodFactory(user=manager)
    reachable = factories.MembershipFactory(team=team).user
    factories.ContactMethodFactory(user=reachable, webhook=True)
    client.force_login(manager)
    body = client.get(reverse("dashboard")).content.decode()
    assert "These people have no working contact method" in body
    assert f"@{member.username}" in body and f"@{reachable.username}" not in body


def test_dashboard_panel_warns_the_unreachable_person_and_hides_when_all_is_well(
    client, team, member
):
    client.force_login(member)
    body = client.get(reverse("dashboard")).content.decode()
    assert "You have no working contact method" in body
    factories.ContactMethodFactory(user=member)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Cannot be reached" not in body
