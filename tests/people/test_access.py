"""Who may do what: one table over every URL of the people and catalog apps and the project
pages (dashboard, profile, health, login), for every role. A refused request writes nothing;
an allowed write really writes.

Roles: anonymous; outsider (logged in, in no team); member and manager of the team that owns
the service; other_manager (manages a different team); staff.
"""

import pytest
from django.urls import reverse

from portal.catalog import urls as catalog_urls
from portal.catalog.models import Service, ServiceTransfer
from portal.people import urls as people_urls
from portal.people.models import Membership, Profile, Team
from tests import factories

ROLES = ["anonymous", "outsider", "member", "manager", "other_manager", "staff"]
LOGIN = "login"  # expected: redirected to the login page


def _everyone(code):
    return dict.fromkeys(ROLES, code) | {"anonymous": LOGIN}


def _managers(code, *, other_manager=403):
    """The owning team's managers and staff; everyone else refused."""
    return {
        "anonymous": LOGIN,
        "outsider": 403,
        "member": 403,
        "manager": code,
        "other_manager": other_manager,
        "staff": code,
    }


def _staff(code):
    return dict.fromkeys(ROLES, 403) | {"anonymous": LOGIN, "staff": code}


PROFILE_DATA = {
    "display_name": "Changed",
    "time_zone": "Europe/Paris",
    "work_days": ["0", "1"],
    "work_start": "08:00",
    "work_end": "16:00",
    "sleep_start": "23:00",
    "sleep_end": "07:00",
}
SERVICE_DATA = {
    "name": "Ledger v2",
    "slug": "ledger-v2",
    "team": "{team}",
    "tier": "1",
    "description": "",
    "runbook_url": "https://runbooks.example.com/ledger",
    "repository_url": "",
    "tags": "money",
}

# (url name, method, args, POST data, expected status per role). Args and data may name
# "{team}", "{team_slug}", "{target}", "{service}", "{other}" from the world fixture.
TABLE = [
    ("dashboard", "get", [], None, _everyone(200)),
    ("healthz", "get", [], None, dict.fromkeys(ROLES, 200)),
    ("login", "get", [], None, dict.fromkeys(ROLES, 302) | {"anonymous": 200}),
    ("logout", "post", [], {}, dict.fromkeys(ROLES, 302)),
    ("people:profile", "get", [], None, _everyone(200)),
    ("people:profile", "post", [], PROFILE_DATA, _everyone(302)),
    ("people:team_list", "get", [], None, _everyone(200)),
    ("people:team_create", "get", [], None, _staff(200)),
    (
        "people:team_create",
        "post",
        [],
        {"name": "New team", "slug": "new-team", "first_manager": "member"},
        _staff(302),
    ),
    ("people:team_detail", "get", ["{team_slug}"], None, _everyone(200)),
    ("people:team_edit", "get", ["{team_slug}"], None, _managers(200)),
    (
        "people:team_edit",
        "post",
        ["{team_slug}"],
        {"name": "Owners", "slug": "owners", "description": "Edited", "max_consecutive_days": 7},
        _managers(302),
    ),
    (
        "people:member_add",
        "post",
        ["{team_slug}"],
        {"username": "newbie", "role": "member"},
        _managers(302),
    ),
    (
        "people:member_role",
        "post",
        ["{team_slug}", "{target}"],
        {"role": "manager"},
        _managers(302),
    ),
    ("people:member_remove", "post", ["{team_slug}", "{target}"], {}, _managers(302)),
    ("catalog:service_list", "get", [], None, _everyone(200)),
    # Managing any team lets one open the form; it offers only the teams one manages.
    ("catalog:service_create", "get", [], None, _managers(200, other_manager=200)),
    ("catalog:service_create", "post", [], SERVICE_DATA, _managers(302, other_manager=400)),
    ("catalog:service_detail", "get", ["{service}"], None, _everyone(200)),
    ("catalog:service_edit", "get", ["{service}"], None, _managers(200)),
    (
        "catalog:service_edit",
        "post",
        ["{service}"],
        SERVICE_DATA | {"slug": "ledger"},
        _managers(302),
    ),
    ("catalog:service_transfer", "get", ["{service}"], None, _managers(200)),
    # A transfer is chosen, then confirmed: the choice answers with the confirmation page.
    (
        "catalog:service_transfer",
        "post",
        ["{service}"],
        {"to_team": "{other}", "note": "reorg"},
        _managers(200),
    ),
    (
        "catalog:service_transfer",
        "post",
        ["{service}"],
        {"to_team": "{other}", "note": "reorg", "confirm": "1"},
        _managers(302),
    ),
    # Archiving is confirmed on a page (GET) that says what it does; the POST archives.
    ("catalog:service_archive", "get", ["{service}"], None, _managers(200)),
    ("catalog:service_archive", "post", ["{service}"], {"action": "archive"}, _managers(302)),
]


@pytest.fixture
def world(db):
    team = factories.TeamFactory(name="Owners", slug="owners")
    other = factories.TeamFactory(name="Others", slug="others")

    def joined(username, team, role):
        user = factories.UserFactory(username=username)
        factories.MembershipFactory(team=team, user=user, role=role)
        return user

    users = {
        "anonymous": None,
        "outsider": factories.UserFactory(username="outsider"),
        "member": joined("member", team, "member"),
        "manager": joined("manager", team, "manager"),
        "other_manager": joined("other_manager", other, "manager"),
        "staff": factories.UserFactory(username="staff", is_staff=True),
    }
    target = Membership.objects.get(user=joined("target", team, "member"))
    factories.UserFactory(username="newbie")
    service = factories.ServiceFactory(name="Ledger", slug="ledger", team=team)
    names = {
        "{team}": str(team.pk),
        "{team_slug}": team.slug,
        "{other}": str(other.pk),
        "{target}": target.pk,
        "{service}": service.slug,
    }
    return {"users": users, "names": names}


def _fill(value, names):
    return names.get(value, value) if isinstance(value, str) else value


def snapshot():
    """Everything the foundation's forms can write, except the actor's own profile."""
    return (
        sorted(Team.objects.values_list("slug", "name", "description")),
        sorted(Membership.objects.values_list("team__slug", "user__username", "role")),
        sorted(Service.objects.values_list("slug", "name", "team__slug", "tier", "archived_at")),
        ServiceTransfer.objects.count(),
        sorted(Profile.objects.values_list("user__username", "display_name", "time_zone")),
    )


def _cases():
    for name, method, args, data, expected in TABLE:
        for role in ROLES:
            yield pytest.param(
                name, method, args, data, role, expected[role], id=f"{method}-{name}-{role}"
            )


@pytest.mark.parametrize(("name", "method", "args", "data", "role", "expected"), _cases())
def test_access(client, world, name, method, args, data, role, expected):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    url = reverse(name, args=[_fill(a, world["names"]) for a in args])
    before = snapshot()
    if method == "get":
        response = client.get(url)
    else:
        payload = {k: _fill(v, world["names"]) for k, v in data.items()}
        response = client.post(url, payload)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == expected, response.content[:500]

    writes = method == "post" and name != "logout"
    if writes and expected == 302:
        assert snapshot() != before, "an allowed write changed nothing"
    else:
        assert snapshot() == before, "a refused or read-only request wrote something"


def test_the_table_covers_every_url():
    named = {f"people:{p.name}" for p in people_urls.urlpatterns}
    named |= {f"catalog:{p.name}" for p in catalog_urls.urlpatterns}
    named |= {"dashboard", "healthz", "login", "logout"}
    assert named == {row[0] for row in TABLE}


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("people:team_detail", ["missing"]),
        ("people:team_edit", ["missing"]),
        ("catalog:service_detail", ["missing"]),
        ("catalog:service_edit", ["missing"]),
        ("catalog:service_transfer", ["missing"]),
        ("catalog:service_archive", ["missing"]),
    ],
)
def test_unknown_objects_are_404(client, world, name, args):
    client.force_login(world["users"]["staff"])
    assert client.get(reverse(name, args=args)).status_code == 404


def test_a_membership_of_another_team_is_404(client, world):
    """A manager cannot reach another team's membership through their own team's URL."""
    client.force_login(world["users"]["manager"])
    foreign = Membership.objects.get(user__username="other_manager")
    before = snapshot()
    url = reverse("people:member_remove", args=["owners", foreign.pk])
    assert client.post(url).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("people:member_add", ["owners"]),
        ("people:member_remove", ["owners", 1]),
        ("logout", []),
    ],
)
def test_post_only_endpoints_refuse_get(client, world, name, args):
    client.force_login(world["users"]["staff"])
    assert client.get(reverse(name, args=args)).status_code == 405
