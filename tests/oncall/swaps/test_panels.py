"""Dashboard and team panels: shown only when something waits for the viewer."""

import pytest
from django.test import RequestFactory

from oncall.swaps import panels, services
from tests import factories
from tests.oncall.swaps.conftest import next_shift

pytestmark = pytest.mark.django_db


def as_user(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def ask(schedule, who, **kwargs):
    shift = next_shift(schedule, who)
    return services.swap_request_create(
        schedule=schedule,
        requester=who,
        by=who,
        shift_start=shift.start,
        shift_end=shift.end,
        **kwargs,
    )


def test_dashboard_panel_shows_requests_to_me_and_open_ones(schedule, alice, bob, carol):
    assert panels.dashboard_panel(as_user(bob), None) is None
    ask(schedule, alice, target=bob)
    ask(schedule, carol)
    panel = panels.dashboard_panel(as_user(bob), None)
    assert [r.requester for r in panel.context["to_me"]] == [alice]
    assert panel.context["to_me"][0].actions.accept
    assert panel.context["open_count"] == 1


def test_dashboard_panel_flags_my_time_off_clash(schedule, alice):
    shift = next_shift(schedule, alice)
    factories.TimeOffFactory(user=alice, start=shift.start, end=shift.end)
    panel = panels.dashboard_panel(as_user(alice), None)
    assert [c.shift.start for c in panel.context["clashes"]] == [shift.start]


def test_team_panel_is_for_managers(team, schedule, manager, alice, bob):
    ask(schedule, alice, target=bob)
    assert panels.team_panel(as_user(bob), team) is None
    panel = panels.team_panel(as_user(manager), team)
    assert len(panel.context["team_requests"]) == 1
    assert panel.context["team_requests"][0].actions.withdraw


def test_dashboard_renders(client, schedule, alice, bob):
    ask(schedule, alice, target=bob)
    client.force_login(bob)
    response = client.get("/")
    assert response.status_code == 200 and b"Swaps and cover" in response.content
