"""API test helpers: a client authenticated with a real personal token."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """``api(user)``: an APIClient that sends ``Authorization: Token <a new token of user>``;
    ``api()``: an anonymous one."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            token = factories.ApiTokenFactory(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.raw}")
        return client

    return make


class World:
    """One of everything, owned by ``team``: the people in each role, a service, a rota with
    a layer and an override, an incident with an alert, an integration, an escalation policy
    with a step, a draft postmortem with an action item, an open cover request and time off;
    and ``other_team`` with its own service and a published postmortem."""

    def __init__(self):
        from datetime import timedelta

        from django.utils import timezone

        from oncall import selectors as rota
        from oncall.swaps import services as swap_services

        f = factories
        self.team = f.TeamFactory(slug="payments", name="Payments")
        self.manager = f.MembershipFactory(team=self.team, role="manager").user
        self.member = f.MembershipFactory(team=self.team, role="member").user
        self.outsider = f.UserFactory()
        self.staff = f.UserFactory(is_staff=True)
        self.other_team = f.TeamFactory(slug="search", name="Search")
        self.other_manager = f.MembershipFactory(team=self.other_team, role="manager").user
        self.service = f.ServiceFactory(team=self.team, slug="checkout", name="Checkout")
        self.other_service = f.ServiceFactory(team=self.other_team, slug="index", name="Index")
        self.schedule = f.ScheduleFactory(team=self.team, name="Primary")
        self.layer = f.LayerFactory(
            schedule=self.schedule, position=0, participants=[self.member, self.manager]
        )
        now = timezone.now()
        self.override = f.OverrideFactory(
            schedule=self.schedule,
            user=self.member,
            created_by=self.member,
            start=now + timedelta(days=1),
            end=now + timedelta(days=2),
        )
        self.integration = f.IntegrationFactory(team=self.team)
        self.incident = f.IncidentFactory(team=self.team, integration=self.integration)
        self.incident.services.set([self.service])
        self.alert = f.AlertFactory(incident=self.incident, integration=self.integration)
        self.policy = f.EscalationPolicyFactory(team=self.team)
        self.step = f.EscalationStepFactory(policy=self.policy, position=0, users=[self.manager])
        # Postmortems: a draft (its team and staff only) with an item the member owns, and a
        # published one (everyone).
        self.postmortem = f.PostmortemFactory(incident__team=self.team)
        f.PostmortemSectionFactory(postmortem=self.postmortem, title="Summary", body="Disk.")
        self.action_item = f.ActionItemFactory(postmortem=self.postmortem, owner=self.member)
        self.published = f.PostmortemFactory(incident__team=self.other_team, published=True)
        # Swaps: the member asks the team to cover their next whole shift (through the
        # service, so it holds against the rota); their shift after that is free to ask for.
        self.team.max_consecutive_days = 60
        self.team.save(update_fields=["max_consecutive_days"])
        upcoming = [
            s
            for s in rota.user_shifts(user=self.member, start=now, end=now + timedelta(days=60))
            if s.start > now + timedelta(days=3)
        ]
        self.member_shift, self.member_next_shift = upcoming[0], upcoming[1]
        self.swap = swap_services.swap_request_create(
            schedule=self.schedule,
            requester=self.member,
            by=self.member,
            shift_start=self.member_shift.start,
            shift_end=self.member_shift.end,
            reason="Wedding",
        )
        self.time_off = f.TimeOffFactory(
            user=self.member, start=now + timedelta(days=90), end=now + timedelta(days=91)
        )

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def world(db):
    return World()
