"""People and team writes against the database: profiles, teams and the last-manager rule."""

import threading
import time
from datetime import time as clock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from portal.people import services
from portal.people.models import Membership, Profile, Team
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_user_gets_a_profile_with_the_default_hours():
    user = factories.UserFactory()
    profile = Profile.objects.get(user=user)
    assert profile.time_zone == "UTC"
    assert (profile.work_start, profile.work_end) == (clock(9), clock(18))
    assert profile.work_days == [0, 1, 2, 3, 4]
    assert (profile.sleep_start, profile.sleep_end) == (clock(22), clock(8))
    assert profile.name == user.username


def test_user_create_sets_profile_and_password():
    user = services.user_create(
        username="zoe", password="s3cret-pass", display_name="Zoë Quinn", time_zone="Asia/Tokyo"
    )
    assert user.check_password("s3cret-pass")
    assert user.profile.display_name == "Zoë Quinn"
    assert user.profile.time_zone == "Asia/Tokyo"
    assert Profile.objects.filter(user=user).count() == 1


def test_user_create_with_unknown_zone_writes_nothing():
    with pytest.raises(ValidationError) as exc:
        services.user_create(username="zed", time_zone="Mars/Olympus_Mons")
    assert "time_zone" in exc.value.message_dict
    assert not Profile.objects.filter(user__username="zed").exists()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="zed").exists()


def test_profile_update_saves_valid_hours():
    profile = factories.UserFactory().profile
    services.profile_update(
        profile=profile,
        time_zone="America/Chicago",
        work_start=clock(7),
        work_end=clock(15, 30),
        work_days=[1, 2, 3],
        sleep_start=clock(23),
        sleep_end=clock(6),
    )
    profile.refresh_from_db()
    assert profile.time_zone == "America/Chicago"
    assert (profile.work_start, profile.work_end) == (clock(7), clock(15, 30))
    assert profile.work_days == [1, 2, 3]
    assert profile.zone.key == "America/Chicago"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"work_start": clock(18), "work_end": clock(9)}, "work_end"),
        ({"work_start": clock(9), "work_end": clock(9)}, "work_end"),
        ({"sleep_start": clock(23), "sleep_end": clock(23)}, "sleep_end"),
        ({"work_days": [0, 7]}, "work_days"),
        ({"work_days": "weekdays"}, "work_days"),
    ],
)
def test_profile_update_rejects_bad_values_and_writes_nothing(fields, field):
    profile = factories.UserFactory().profile
    with pytest.raises(ValidationError) as exc:
        services.profile_update(profile=profile, **fields)
    assert field in exc.value.message_dict
    stored = Profile.objects.get(pk=profile.pk)
    assert stored.time_zone == "UTC"
    assert (stored.work_start, stored.work_end) == (clock(9), clock(18))
    assert stored.work_days == [0, 1, 2, 3, 4]


def test_team_create_with_first_manager():
    boss = factories.UserFactory()
    team = services.team_create(name="Payments", slug="payments", managers=[boss])
    assert list(team.memberships.values_list("user__username", "role")) == [
        (boss.username, "manager")
    ]


def test_team_create_duplicate_slug_writes_nothing():
    factories.TeamFactory(name="Payments", slug="payments")
    boss = factories.UserFactory()
    with pytest.raises(ValidationError) as exc:
        services.team_create(name="Payments again", slug="payments", managers=[boss])
    assert "slug" in exc.value.message_dict
    assert Team.objects.count() == 1
    assert not Membership.objects.filter(user=boss).exists()


def test_team_update_validates():
    factories.TeamFactory(slug="taken")
    team = factories.TeamFactory(slug="mine", name="Mine")
    services.team_update(team=team, description="We run things.")
    assert Team.objects.get(pk=team.pk).description == "We run things."
    with pytest.raises(ValidationError):
        services.team_update(team=team, slug="taken")
    assert Team.objects.get(pk=team.pk).slug == "mine"


def test_membership_add_and_duplicate(team):
    person = factories.UserFactory()
    membership = services.membership_add(team=team, user=person)
    assert membership.role == Membership.Role.MEMBER
    with pytest.raises(ValidationError):
        services.membership_add(team=team, user=person, role="manager")
    assert Membership.objects.get(team=team, user=person).role == "member"


def test_membership_add_rejects_unknown_role(team):
    with pytest.raises(ValidationError):
        services.membership_add(team=team, user=factories.UserFactory(), role="owner")
    assert not team.memberships.exists()


def test_set_role_promotes_and_demotes(team, manager, member):
    m = Membership.objects.get(team=team, user=member)
    services.membership_set_role(membership=m, role="manager")
    assert Membership.objects.get(pk=m.pk).role == "manager"
    # Two managers now: either may step down.
    boss = Membership.objects.get(team=team, user=manager)
    services.membership_set_role(membership=boss, role="member")
    assert Membership.objects.get(pk=boss.pk).role == "member"


def test_last_manager_cannot_be_demoted(team, manager, member):
    boss = Membership.objects.get(team=team, user=manager)
    with pytest.raises(ValidationError) as exc:
        services.membership_set_role(membership=boss, role="member")
    assert "at least one manager" in str(exc.value)
    assert Membership.objects.get(pk=boss.pk).role == "manager"


def test_set_role_rejects_unknown_role(team, member):
    m = Membership.objects.get(team=team, user=member)
    with pytest.raises(ValidationError):
        services.membership_set_role(membership=m, role="owner")
    assert Membership.objects.get(pk=m.pk).role == "member"


def test_stale_copy_cannot_demote_the_last_manager(team, manager, member):
    """The check reads the role in the database, not the caller's possibly stale copy."""
    other = Membership.objects.get(team=team, user=member)
    boss = Membership.objects.get(team=team, user=manager)
    stale_other = Membership.objects.get(pk=other.pk)  # loaded while still a member
    services.membership_set_role(membership=other, role="manager")
    services.membership_set_role(membership=boss, role="member")
    # stale_other says "member", but it is the last manager now.
    with pytest.raises(ValidationError):
        services.membership_remove(membership=stale_other)
    assert Membership.objects.get(pk=other.pk).role == "manager"


def test_remove_member_and_last_manager(team, manager, member):
    services.membership_remove(membership=Membership.objects.get(team=team, user=member))
    assert not Membership.objects.filter(team=team, user=member).exists()
    boss = Membership.objects.get(team=team, user=manager)
    with pytest.raises(ValidationError) as exc:
        services.membership_remove(membership=boss)
    assert "last manager" in str(exc.value)
    assert Membership.objects.filter(pk=boss.pk).exists()


def test_a_manager_may_leave_when_another_remains(team, manager):
    second = factories.MembershipFactory(team=team, role="manager")
    services.membership_remove(membership=Membership.objects.get(team=team, user=manager))
    assert list(team.memberships.values_list("pk", flat=True)) == [second.pk]


def test_last_manager_rule_is_per_team(team, manager):
    """Being a manager of another team does not count."""
    other_team = factories.TeamFactory()
    factories.MembershipFactory(team=other_team, user=manager, role="manager")
    with pytest.raises(ValidationError):
        services.membership_remove(membership=Membership.objects.get(team=team, user=manager))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_stepping_down_at_once_leave_one_manager():
    """Two managers demote themselves concurrently: the second waits for the first's lock and
    is then refused, so the team still has a manager."""
    team = factories.TeamFactory()
    a = factories.MembershipFactory(team=team, role="manager")
    b = factories.MembershipFactory(team=team, role="manager")
    outcome = {}

    def demote_b():
        try:
            services.membership_set_role(membership=Membership.objects.get(pk=b.pk), role="member")
            outcome["b"] = "demoted"
        except ValidationError:
            outcome["b"] = "refused"
        finally:
            connections.close_all()

    with transaction.atomic():
        services.membership_set_role(membership=Membership.objects.get(pk=a.pk), role="member")
        thread = threading.Thread(target=demote_b)
        thread.start()
        # Wait (bounded) until the other transaction is blocked on our row locks.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # else frozen per transaction
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.02)
        else:
            pytest.fail("the second demotion never waited for the first one's lock")
    thread.join(10)
    assert outcome == {"b": "refused"}
    roles = dict(Membership.objects.filter(team=team).values_list("pk", "role"))
    assert roles == {a.pk: "member", b.pk: "manager"}
