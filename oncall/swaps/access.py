"""Who may see and act on swap and cover requests and time off.

The only place in ``oncall.swaps`` answering it, for pages, the API, panels, template tags and
the services (which raise their own errors with the answer); it builds on
:mod:`portal.people.access` and :mod:`oncall.access`. A request is seen by its people and the
schedule's team (and staff); members ask for cover on their team's schedules, managers for
anyone; the named colleague answers a request addressed to them, any member of the team one
open to everyone; the requester (or whoever asked for them) withdraws; managers approve,
reject and revert at once; the two people concerned revert together. Time off is its
person's (staff may remove anyone's).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from oncall import access as rota_access
from oncall import selectors as rota
from oncall.models import Schedule
from oncall.swaps.models import SwapRequest, TimeOff
from oncall.swaps.one_request import request_detail
from portal.people.access import can_manage_team, is_member, is_staff, managed_teams
from portal.people.models import Team


def _people(request: SwapRequest) -> set[int]:
    return {
        pk
        for pk in (request.requester_id, request.created_by_id, request.target_id, request.taker_id)
        if pk is not None
    }


def can_view_request(*, user, request: SwapRequest) -> bool:
    if not user.is_authenticated:
        return False
    if is_staff(user) or user.pk in _people(request):
        return True
    return is_member(user=user, team=request.schedule.team)


def can_manage_request(*, user, request: SwapRequest) -> bool:
    """Managers of the schedule's team (and staff) approve, reject and revert at once."""
    return can_manage_team(user=user, team=request.schedule.team)


def can_answer_request(*, user, request: SwapRequest) -> bool:
    """The named colleague, or for an open request any member of the team (not staff as
    such: taking a shift needs a place in the team)."""
    if request.target_id is not None:
        return request.target_id == user.pk
    return is_member(user=user, team=request.schedule.team)


def can_withdraw_request(*, user, request: SwapRequest) -> bool:
    own = user.pk in (request.requester_id, request.created_by_id)
    return own or can_manage_request(user=user, request=request)


def is_request_party(*, user, request: SwapRequest) -> bool:
    """One of the two people a request in effect concerns (who may ask to revert it)."""
    return user.pk in (request.requester_id, request.taker_id)


def can_ask_for(*, user, requester_id: int, schedule: Schedule) -> bool:
    """Whether ``user`` may ask for cover of the shift of ``requester_id``: their own, or
    anyone's for a manager of the team."""
    own = user.pk == requester_id
    return own or rota_access.can_manage_schedule(user=user, schedule=schedule)


def can_assign(*, user, schedule: Schedule) -> bool:
    """Managers give a shift to somebody at once, without asking."""
    return rota_access.can_manage_schedule(user=user, schedule=schedule)


def can_delete_time_off(*, user, time_off: TimeOff) -> bool:
    return time_off.user_id == user.pk or is_staff(user)


def history_filter(*, user) -> Q:
    """The requests in ``user``'s history: those they were part of or of teams they manage;
    every request for staff."""
    if is_staff(user):
        return Q()
    mine = Q(requester=user) | Q(target=user) | Q(taker=user) | Q(created_by=user)
    return mine | Q(schedule__team__in=managed_teams(user=user))


def teams_managed_on_swaps_page(*, user) -> list[Team]:
    """The teams whose open requests the swaps page lists for a manager (none for staff, who
    find every request in the history)."""
    return [] if is_staff(user) else list(managed_teams(user=user))


def request_for_viewer_or_404(*, user, pk: int) -> SwapRequest:
    """The request, if the user may see it; 404 unknown, 403 otherwise."""
    swap = request_detail(pk=pk)
    if not can_view_request(user=user, request=swap):
        raise PermissionDenied("Only the schedule's team can see this request.")
    return swap


def schedule_for_asker_or_404(*, user, pk: int) -> Schedule:
    """The schedule, if the user may ask for cover on it (a member of its team, or staff);
    404 unknown, 403 otherwise."""
    schedule = rota.schedule_detail(pk=pk)
    if not rota_access.is_rota_member(user=user, schedule=schedule):
        raise PermissionDenied("Only members of the team can ask for cover on its schedules.")
    return schedule


def schedule_for_swaps_viewer_or_404(*, user, pk: int) -> Schedule:
    """The schedule, if the user may see its swaps card (a member of its team, or staff)."""
    schedule = rota.schedule_detail(pk=pk)
    if not rota_access.is_rota_member(user=user, schedule=schedule):
        raise PermissionDenied("Only members of the team see its swaps.")
    return schedule


def time_off_delete_or_403(*, user, time_off: TimeOff) -> None:
    if not can_delete_time_off(user=user, time_off=time_off):
        raise PermissionDenied("You can remove only your own time off.")
