"""What one viewer may do with a swap or cover request: see it, manage it, and which
buttons (accept, decline, withdraw, approve, revert) they get right now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from oncall.swaps.duty import person
from oncall.swaps.models import SwapRequest
from portal.people.access import can_manage_team, is_member


def can_view(*, user, request: SwapRequest) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff or user.pk in _people(request):
        return True
    return is_member(user=user, team=request.schedule.team)


def can_manage(*, user, request: SwapRequest) -> bool:
    return can_manage_team(user=user, team=request.schedule.team)


def _people(request: SwapRequest) -> set[int]:
    return {
        pk
        for pk in (request.requester_id, request.created_by_id, request.target_id, request.taker_id)
        if pk is not None
    }


@dataclass
class Actions:
    """What one viewer may do with a request right now (drives the buttons)."""

    accept: bool = False
    decline: bool = False
    withdraw: bool = False
    approve: bool = False
    revert: bool = False
    revert_label: str = ""
    waiting_for: str = ""  # a revert this viewer asked for, waiting for the other person
    # Why the rules refuse this viewer's Accept (then ``accept`` is False and the button shows
    # disabled with this reason); known when ``take_reasons`` ran on the request.
    accept_blocked: str = ""

    @property
    def any(self) -> bool:
        return bool(
            self.accept
            or self.accept_blocked
            or self.decline
            or self.withdraw
            or self.approve
            or self.revert
        )


def actions_for(*, user, request: SwapRequest, now: datetime | None = None) -> Actions:
    now = now or timezone.now()
    actions = Actions()
    if not user.is_authenticated:
        return actions
    manager = can_manage(user=user, request=request)
    member = is_member(user=user, team=request.schedule.team)
    live = request.expires_at > now
    if request.status == SwapRequest.Status.PENDING and live and user.pk != request.requester_id:
        if request.target_id is None:
            actions.accept = actions.decline = member
        else:
            actions.accept = actions.decline = user.pk == request.target_id
        reason = getattr(request, "my_reason", "")
        if actions.accept and reason:
            actions.accept, actions.accept_blocked = False, reason
    if request.is_open and live:
        actions.withdraw = user.pk in (request.requester_id, request.created_by_id) or manager
    if request.status == SwapRequest.Status.AWAITING_APPROVAL and live:
        actions.approve = manager
    if request.status == SwapRequest.Status.ACCEPTED and live:
        party = user.pk in (request.requester_id, request.taker_id)
        if manager:
            actions.revert, actions.revert_label = True, "Revert"
        elif party and request.revert_asked_by_id is None:
            actions.revert, actions.revert_label = True, "Ask to revert"
        elif party and request.revert_asked_by_id != user.pk:
            actions.revert, actions.revert_label = True, "Confirm revert"
        elif party:
            other = request.taker if user.pk == request.requester_id else request.requester
            actions.waiting_for = person(other)
    return actions
