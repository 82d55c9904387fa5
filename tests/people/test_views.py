"""People pages: profile, team list and page, team settings, members (with and without htmx)."""

import re
from datetime import time as clock

import pytest
from django.test import Client
from django.urls import reverse

from portal.people.models import Membership, Profile, Team
from tests import factories

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "members"}
PROFILE = {
    "display_name": "Dana",
    "time_zone": "Europe/London",
    "work_days": ["0", "1", "2", "3", "4"],
    "work_start": "09:00",
    "work_end": "18:00",
    "sleep_start": "22:00",
    "sleep_end": "08:00",
}


def error_next_to(html: str, field: str) -> str:
    """The error message rendered right under a field by _form.html."""
    match = re.search(rf'id="id_{field}-error"[^>]*>([^<]+)<', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def test_profile_page_shows_zone_and_hours(client, user):
    client.force_login(user)
    html = client.get(reverse("people:profile")).content.decode()
    assert 'value="UTC"' in html
    assert 'value="09:00"' in html and 'value="18:00"' in html
    assert '<option value="Europe/London">' in html  # the zone picker


def test_profile_names_the_work_days_before_their_checkboxes(client, user):
    client.force_login(user)
    html = client.get(reverse("people:profile")).content.decode()
    group = re.search(r"<fieldset>\s*<legend>Work days</legend>(.*?)</fieldset>", html, re.S)
    assert group, "the work days are not a fieldset led by its legend"
    assert group.group(1).count('type="checkbox"') == 7
    assert 'name="work_days"' not in html.split("<legend>Work days</legend>")[0]


def test_team_page_marks_its_section_in_the_navigation(client, member, team):
    client.force_login(member)
    html = client.get(team.get_absolute_url()).content.decode()
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', html)
    assert current == [reverse("people:team_list")]


def test_profile_save(client, user):
    client.force_login(user)
    data = PROFILE | {"time_zone": "America/Chicago", "work_days": ["1", "3"]}
    response = client.post(reverse("people:profile"), data, follow=True)
    assert response.redirect_chain == [(reverse("people:profile"), 302)]
    assert "Profile saved." in response.content.decode()
    profile = Profile.objects.get(user=user)
    assert (profile.display_name, profile.time_zone, profile.work_days) == (
        "Dana",
        "America/Chicago",
        [1, 3],
    )
    # Times are now shown in the profile's zone, named by its name: an abbreviation such as
    # CST would be wrong for half of the dates shown.
    assert "times shown in America/Chicago (" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone"),
        ({"work_start": "18:00", "work_end": "09:00"}, "work_end", "end after they start"),
        ({"sleep_start": "23:00", "sleep_end": "23:00"}, "sleep_end", "same time"),
        ({"work_start": "25:00"}, "work_start", "Enter a valid time"),
        ({"work_days": ["9"]}, "work_days", "valid choice"),
    ],
)
def test_profile_bad_input(client, user, data, field, message):
    client.force_login(user)
    response = client.post(reverse("people:profile"), PROFILE | {"display_name": "X"} | data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in error_next_to(html, field)
    profile = Profile.objects.get(user=user)
    assert (profile.display_name, profile.time_zone, profile.work_end) == ("", "UTC", clock(18))
    # The page and the menu show the saved name, not the rejected one.
    assert "<h1>X</h1>" not in html


def test_team_list_marks_my_teams(client, team, member, django_assert_max_num_queries):
    factories.TeamFactory(name="Not mine")
    for i in range(10):
        factories.TeamFactory(name=f"Extra {i}")
    client.force_login(member)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("people:team_list")).content.decode()
    assert html.count('class="mine"') == 1
    assert team.name in html and "Not mine" in html


def test_team_page_lists_members_and_services(
    client, team, manager, member, django_assert_max_num_queries
):
    factories.ServiceFactory(team=team, name="Ledger")
    for _ in range(10):
        factories.MembershipFactory(team=team)
    client.force_login(member)
    with django_assert_max_num_queries(12):
        response = client.get(team.get_absolute_url())
    html = response.content.decode()
    assert "Ledger" in html
    assert f"@{manager.username}" in html and f"@{member.username}" in html
    assert html.index(f"@{manager.username}") < html.index(f"@{member.username}")
    assert "Add member" not in html and "Team settings" not in html  # a member only reads


def test_team_page_shows_manager_controls(client, team, manager):
    client.force_login(manager)
    html = client.get(team.get_absolute_url()).content.decode()
    assert "Add member" in html and "Team settings" in html


def test_staff_creates_a_team_with_its_first_manager(client, staff, user):
    client.force_login(staff)
    response = client.post(
        reverse("people:team_create"),
        {"name": "Data", "slug": "data", "description": "", "first_manager": user.username},
    )
    team = Team.objects.get(slug="data")
    assert response.status_code == 302 and response["Location"] == team.get_absolute_url()
    assert list(team.memberships.values_list("user", "role")) == [(user.pk, "manager")]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"slug": "taken"}, "slug", "already exists"),
        ({"slug": "Bad slug!"}, "slug", "valid"),
        ({"first_manager": "nobody"}, "first_manager", "valid choice"),
    ],
)
def test_team_create_bad_input(client, staff, user, data, field, message):
    factories.TeamFactory(slug="taken", name="Taken")
    client.force_login(staff)
    base = {"name": "Data", "slug": "data", "description": "", "first_manager": user.username}
    response = client.post(reverse("people:team_create"), base | data)
    assert response.status_code == 400
    assert message in error_next_to(response.content.decode(), field)
    assert Team.objects.count() == 1
    assert not Membership.objects.exists()


def test_team_edit_duplicate_slug(client, team, manager):
    factories.TeamFactory(slug="taken")
    client.force_login(manager)
    response = client.post(
        reverse("people:team_edit", args=[team.slug]),
        {"name": "Renamed", "slug": "taken", "max_consecutive_days": 7},
    )
    assert response.status_code == 400
    assert "already exists" in error_next_to(response.content.decode(), "slug")
    team.refresh_from_db()
    assert team.slug != "taken" and team.name != "Renamed"
    assert "Renamed settings" not in response.content.decode()


def test_member_add_with_htmx_returns_the_members_partial(client, team, manager):
    newbie = factories.UserFactory(username="newbie")
    client.force_login(manager)
    response = client.post(
        reverse("people:member_add", args=[team.slug]),
        {"username": "newbie", "role": "member"},
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="members"' in html and "@newbie" in html
    assert Membership.objects.get(team=team, user=newbie).role == "member"


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize(
    ("username", "message"),
    [("ghost", "No active user called"), ("{member}", "already in")],
)
def test_member_add_bad_input(client, team, manager, member, htmx, username, message):
    client.force_login(manager)
    before = list(Membership.objects.values_list("pk", "role"))
    response = client.post(
        reverse("people:member_add", args=[team.slug]),
        {"username": username.replace("{member}", member.username), "role": "manager"},
        **(HX if htmx else {}),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert ("<html" in html) is not htmx  # the partial for htmx, the whole page otherwise
    assert list(Membership.objects.values_list("pk", "role")) == before


def test_member_role_change(client, team, manager, member):
    client.force_login(manager)
    m = Membership.objects.get(team=team, user=member)
    url = reverse("people:member_role", args=[team.slug, m.pk])
    response = client.post(url, {"role": "manager"}, **HX)
    assert response.status_code == 200
    assert Membership.objects.get(pk=m.pk).role == "manager"
    response = client.post(url, {"role": "owner"}, **HX)
    assert response.status_code == 400
    assert "Choose member or manager." in response.content.decode()
    assert Membership.objects.get(pk=m.pk).role == "manager"


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize("action", ["demote", "remove"])
def test_the_last_manager_stays(client, team, manager, member, htmx, action):
    client.force_login(manager)
    boss = Membership.objects.get(team=team, user=manager)
    if action == "demote":
        url = reverse("people:member_role", args=[team.slug, boss.pk])
        response = client.post(url, {"role": "member"}, **(HX if htmx else {}))
    else:
        url = reverse("people:member_remove", args=[team.slug, boss.pk])
        response = client.post(url, **(HX if htmx else {}))
    assert response.status_code == 400
    assert (
        "manager" in re.search(r'class="error" role="alert">([^<]+)<', response.content.decode())[1]
    )
    assert Membership.objects.get(pk=boss.pk).role == "manager"


def test_a_manager_who_steps_down_loses_the_controls_at_once(client, team, manager):
    factories.MembershipFactory(team=team, role="manager")
    client.force_login(manager)
    boss = Membership.objects.get(team=team, user=manager)
    response = client.post(
        reverse("people:member_role", args=[team.slug, boss.pk]), {"role": "member"}, **HX
    )
    assert response.status_code == 200
    assert "Add member" not in response.content.decode()


def test_member_remove_without_htmx_redirects(client, team, manager, member):
    client.force_login(manager)
    m = Membership.objects.get(team=team, user=member)
    response = client.post(reverse("people:member_remove", args=[team.slug, m.pk]))
    assert response.status_code == 302 and response["Location"] == team.get_absolute_url()
    assert not Membership.objects.filter(pk=m.pk).exists()


def test_member_cannot_manage_members(client, team, manager, member):
    client.force_login(member)
    boss = Membership.objects.get(team=team, user=manager)
    assert (
        client.post(
            reverse("people:member_role", args=[team.slug, boss.pk]), {"role": "member"}, **HX
        ).status_code
        == 403
    )
    assert (
        client.post(reverse("people:member_remove", args=[team.slug, boss.pk])).status_code == 403
    )
    assert Membership.objects.get(pk=boss.pk).role == "manager"


def test_csrf_is_enforced_for_forms_and_htmx(team, manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    factories.UserFactory(username="newbie")
    url = reverse("people:member_add", args=[team.slug])
    data = {"username": "newbie", "role": "member"}
    assert client.post(url, data).status_code == 403
    assert client.post(url, data, **HX).status_code == 403
    assert not Membership.objects.filter(user__username="newbie").exists()

    page = client.get(team.get_absolute_url()).content.decode()
    token = client.cookies["csrftoken"].value
    # base.html hands htmx the token for every request it makes.
    assert re.search(r"hx-headers='\{\"x-csrftoken\": \"[^\"]+\"\}'", page)
    response = client.post(url, data, HTTP_X_CSRFTOKEN=token, **HX)
    assert response.status_code == 200
    assert Membership.objects.filter(user__username="newbie").exists()


def test_login_and_logout(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "pw"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_login_errors_are_shown(client, user):
    html = client.post(reverse("login"), {"username": user.username, "password": "no"}).content
    assert b"Please enter a correct username and password" in html
    html = client.post(reverse("login"), {"username": "", "password": ""}).content.decode()
    assert "This field is required." in error_next_to(html, "username")
