"""Reads about swap and cover requests and time off, by concept:

* ``duty``: who is on call when, and who is away;
* ``eligibility``: who may take a shift, and whom to suggest;
* ``actions``: what a viewer may do with a request (who may at all: ``access``);
* ``one_request``: one request with its events and overrides;
* ``lists``: the lists on the swaps page;
* ``clashes``: time off, the shifts it clashes with, and the swaps card of a schedule;
* ``notes``: what the calendar and "My shifts" add to a shift.

This module only re-exports the names the swaps pages, the API and the forms read through
it (``oncall/swaps/views.py``, ``oncall/swaps/api.py``); new code
imports the module that owns the concept.
"""

from oncall.swaps.actions import actions_for, with_actions
from oncall.swaps.clashes import schedule_swaps, team_clashes, upcoming_time_off
from oncall.swaps.eligibility import candidates, swappable_shifts
from oncall.swaps.lists import (
    history,
    my_requests,
    open_requests_for,
    requests_to_me,
    take_reasons,
    team_requests,
    team_schedules_of,
)
from oncall.swaps.one_request import request_detail, request_events, request_overrides

__all__ = [
    "actions_for",
    "candidates",
    "history",
    "my_requests",
    "open_requests_for",
    "request_detail",
    "request_events",
    "request_overrides",
    "requests_to_me",
    "schedule_swaps",
    "swappable_shifts",
    "take_reasons",
    "team_clashes",
    "team_requests",
    "team_schedules_of",
    "upcoming_time_off",
    "with_actions",
]
