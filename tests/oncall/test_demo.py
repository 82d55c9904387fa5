"""The rota demo seeder: idempotent, and the demo user is on a rota."""

import io
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from oncall import coverage, demo, selectors
from oncall.models import Layer, LayerParticipant, Override, Schedule
from portal import demo as portal_demo
from portal.people.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db


def counts():
    return tuple(m.objects.count() for m in (Schedule, Layer, LayerParticipant, Override))


def test_small_seed_is_idempotent_and_puts_demo_on_call():
    portal_demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    demo.seed(scale="small", rng=random.Random(1), stdout=io.StringIO())
    first = counts()
    assert first[0] == 4 and first[1] == 5
    demo.seed(scale="small", rng=random.Random(2), stdout=io.StringIO())
    assert counts() == first
    user = factories.UserFactory(username="demo")
    now = timezone.now()
    shifts = selectors.user_shifts(user=user, start=now, end=now + timedelta(days=28))
    assert {s.schedule.name for s in shifts} >= {"Payments primary", "Platform on call"}
    search = Schedule.objects.get(name="Search daytime")
    assert coverage.schedule_gaps(schedule=search)  # nights and weekends show as gaps


def test_large_seed_gives_each_generated_team_two_schedules():
    for i in range(3):
        team = factories.TeamFactory(slug=f"team-{i:03d}", name=f"Gen {i}")
        for _ in range(4):
            factories.MembershipFactory(team=team)
    factories.TeamFactory(slug="team-lonely")  # no members: no rota
    out = io.StringIO()
    demo.seed(scale="large", rng=random.Random(7), stdout=out)
    assert Schedule.objects.count() == 6
    for schedule in Schedule.objects.all():
        assert 2 <= schedule.layers.count() <= 3
        members = set(
            Membership.objects.filter(team=schedule.team).values_list("user_id", flat=True)
        )
        assert (
            set(
                LayerParticipant.objects.filter(layer__schedule=schedule).values_list(
                    "user_id", flat=True
                )
            )
            <= members
        )
        assert set(schedule.overrides.values_list("user_id", flat=True)) <= members
    assert Override.objects.exists()
    before = counts()
    demo.seed(scale="large", rng=random.Random(8), stdout=out)
    assert counts() == before
