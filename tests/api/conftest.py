"""API test helpers: a client authenticated with a real personal token, a world with one of
everything, and what both schema fuzzers (test_schemathesis.py, test_schemathesis_run.py)
share: the WSGI application called in-process, no throttles, one savepoint per operation."""

from collections.abc import Callable

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from rest_framework.test import APIClient

from portal.wsgi import application
from tests import factories


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


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, called in-process like Django's test client does: the
    per-request connection clean-up is off, so requests share the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def unthrottled(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": None, "anon": None},
    }


def run_rolled_back(label: str, run: Callable[[], object], failures: list[str]) -> None:
    """``run()`` inside a savepoint rolled back afterwards, so one operation's writes (a renamed
    team, a removed member) cannot starve the next of real objects. A failure is added to
    ``failures`` under ``label``, so a run reports every operation's failures."""
    savepoint = transaction.savepoint()
    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:
        failures.append(f"{label}:\n{exc}")
    finally:
        transaction.savepoint_rollback(savepoint)
