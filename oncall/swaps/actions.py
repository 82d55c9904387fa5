"""What one viewer may do with a swap or cover request right now: which buttons (accept,
decline, withdraw, approve, revert) they get, as :mod:`oncall.swaps.access` answers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from oncall.swaps import access
from oncall.swaps.lists import take_reasons
from oncall.swaps.models import SwapRequest
from portal.people.names import person_name


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
    manager = access.can_manage_request(user=user, request=request)
    live = request.expires_at > now
    if request.status == SwapRequest.Status.PENDING and live and user.pk != request.requester_id:
        actions.accept = actions.decline = access.can_answer_request(user=user, request=request)
        reason = getattr(request, "my_reason", "")
        if actions.accept and reason:
            actions.accept, actions.accept_blocked = False, reason
    if request.is_open and live:
        actions.withdraw = access.can_withdraw_request(user=user, request=request)
    if request.status == SwapRequest.Status.AWAITING_APPROVAL and live:
        actions.approve = manager
    if request.status == SwapRequest.Status.ACCEPTED and live:
        party = access.is_request_party(user=user, request=request)
        if manager:
            actions.revert, actions.revert_label = True, "Revert"
        elif party and request.revert_asked_by_id is None:
            actions.revert, actions.revert_label = True, "Ask to revert"
        elif party and request.revert_asked_by_id != user.pk:
            actions.revert, actions.revert_label = True, "Confirm revert"
        elif party:
            other = request.taker if user.pk == request.requester_id else request.requester
            actions.waiting_for = person_name(other, nobody="nobody")
    return actions


def with_actions(*, user, requests: list[SwapRequest], now: datetime | None = None) -> None:
    """Set ``actions`` (see :func:`actions_for`) on each of ``requests``, the reasons the rules
    refuse the viewer's Accept loaded once for all of them."""
    now = now or timezone.now()
    take_reasons(user=user, requests=requests, now=now)
    for r in requests:
        r.actions = actions_for(user=user, request=r, now=now)
