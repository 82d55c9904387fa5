"""Writes about swap and cover requests (time off: :mod:`oncall.swaps.time_off`). Each runs
in one transaction, records the change as a ``SwapEvent`` (who, what, when) and tells the
people concerned through ``portal.notifications.services.notify`` (idempotent by dedup key).

Invariants:

* a request is about time its requester holds in the final schedule, checked when it is made
  and again when it is accepted or approved, inside the transaction;
* no two open requests move the same moment of a schedule;
* acting on a request locks its row first (``select_for_update``), then the schedule's: of two
  colleagues accepting one open request at the same moment exactly one wins;
* a request takes effect by creating its overrides through the rotas service, in the same
  transaction, linked to it by ``SwapOverride``; a revert removes exactly those.

The steps the changes share (locking, liveness, checks, taking effect) are in
:mod:`oncall.swaps.transitions`; who may act, in :mod:`oncall.swaps.access`.

Bad input raises ``ValidationError`` (nothing written); acting without the right raises
``PermissionDenied``.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from oncall import services as rota_services
from oncall.models import Schedule
from oncall.swaps import access
from oncall.swaps.duty import holds
from oncall.swaps.eligibility import candidates
from oncall.swaps.history import event_record, request_save
from oncall.swaps.lists import overlapping_open
from oncall.swaps.messages import request_text, span_text, tell
from oncall.swaps.models import SwapEvent, SwapRequest
from oncall.swaps.transitions import (
    check_still_held,
    check_taker,
    lock_request,
    lock_schedule,
    refuse_unless_live,
    take_effect,
)
from portal.people.names import person_name
from portal.people.selectors import team_managers
from portal.wording import possessive

Status = SwapRequest.Status
Action = SwapEvent.Action


# --------------------------------------------------------------------------------------------
# Asking
# --------------------------------------------------------------------------------------------


@transaction.atomic
def swap_request_create(
    *,
    schedule: Schedule,
    requester,
    by,
    shift_start: datetime,
    shift_end: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    kind: str = SwapRequest.Kind.COVER,
    target=None,
    swap_start: datetime | None = None,
    swap_end: datetime | None = None,
    reason: str = "",
    assign: bool = False,
    now: datetime | None = None,
) -> SwapRequest:
    """Ask for cover of ``[start, end)`` (default: the whole shift) of the requester's shift
    ``[shift_start, shift_end)`` on ``schedule`` — from ``target`` or, without one, from
    everyone eligible — or, with ``kind="swap"``, offer it to ``target`` in exchange for their
    shift ``[swap_start, swap_end)``. ``by`` is the requester or a manager of the team acting
    for them; a manager may also ``assign`` it to ``target`` at once."""
    now = now or timezone.now()
    start = start or shift_start
    end = end or shift_end
    if not access.can_ask_for(user=by, requester_id=requester.pk, schedule=schedule):
        raise PermissionDenied("Only a manager of the team can ask for cover for somebody else.")
    if assign and not access.can_assign(user=by, schedule=schedule):
        raise PermissionDenied("Only a manager of the team can assign a shift directly.")
    is_swap = kind == SwapRequest.Kind.SWAP
    if kind not in SwapRequest.Kind.values:
        raise ValidationError({"kind": "Choose cover or swap."})
    if is_swap and (target is None or swap_start is None or swap_end is None):
        raise ValidationError({"swap_shift": "Choose the colleague's shift you take in exchange."})
    if assign and target is None:
        raise ValidationError({"target": "Choose who takes the shift."})
    if not is_swap:
        swap_start = swap_end = None
    if end <= start:
        raise ValidationError({"end": "The end must be after the start."})
    if shift_end <= shift_start or start < shift_start or end > shift_end:
        raise ValidationError(
            {
                "start": "The time you give away must lie within the shift "
                f"({span_text(shift_start, shift_end, by)})."
            }
        )
    if start <= now:
        raise ValidationError(
            {"start": "That time has already begun: ask for cover from a later time."}
        )
    if target is not None and target.pk == requester.pk:
        raise ValidationError({"target": "Ask somebody else than the person holding the shift."})
    schedule = lock_schedule(schedule.pk)
    if not holds(schedule=schedule, user_id=requester.pk, start=shift_start, end=shift_end):
        who = "You do" if by.pk == requester.pk else f"{person_name(requester)} does"
        raise ValidationError(f"{who} not hold this shift on {schedule.name}.")
    if is_swap:
        if swap_start <= now:
            raise ValidationError({"swap_shift": "That shift has already begun."})
        if not holds(schedule=schedule, user_id=target.pk, start=swap_start, end=swap_end):
            raise ValidationError({"swap_shift": _not_held(target, schedule)})
    spans = [(start, end)] + ([(swap_start, swap_end)] if is_swap else [])
    clash = overlapping_open(schedule=schedule, spans=spans).first()
    if clash is not None:
        raise ValidationError(
            f"There is already an open request for this time (#{clash.pk}): "
            "withdraw it before asking again."
        )
    request = SwapRequest(
        schedule=schedule,
        kind=kind,
        requester=requester,
        created_by=by,
        target=target,
        shift_start=shift_start,
        shift_end=shift_end,
        start=start,
        end=end,
        swap_start=swap_start,
        swap_end=swap_end,
        reason=reason.strip(),
        expires_at=min(start, swap_start) if is_swap else start,
        created_at=now,
        updated_at=now,
    )
    if target is not None:
        try:
            check_taker(request, target, you=False, now=now)
        except ValidationError as exc:
            raise ValidationError({"swap_shift" if is_swap else "target": exc.messages[0]}) from exc
    request.save()
    note = "" if by.pk == requester.pk else f"for {person_name(requester)}"
    event_record(request, actor=by, action=Action.CREATED, now=now, note=note)
    if assign:
        event_record(
            request, actor=by, action=Action.ASSIGNED, now=now, note=f"to {person_name(target)}"
        )
        take_effect(request, taker=target, by=by, now=now)
        return request
    _ask(request)
    return request


def _not_held(target, schedule: Schedule) -> str:
    return f"{person_name(target)} does not hold that shift on {schedule.name}."


def _ask(request: SwapRequest) -> None:
    requester = person_name(request.requester)
    if request.target is not None:
        verb = "proposes a swap" if request.kind == SwapRequest.Kind.SWAP else "asks you to cover"
        user = request.target
        tell(
            request,
            user,
            "ask",
            f"{requester} {verb}: {request.schedule.name}",
            f"{requester} asks you to take {request_text(request, user)}. Accept or decline in one "
            "click from your inbox or the swaps page.",
        )
        return
    for candidate in candidates(
        schedule=request.schedule,
        start=request.start,
        end=request.end,
        exclude_user_ids=[request.requester_id],
    ):
        if candidate.eligible:
            user = candidate.user
            tell(
                request,
                user,
                "ask",
                f"Cover wanted: {request.schedule.name}",
                f"{requester} asks anyone on the team to take {request_text(request, user)}. "
                "The first to accept takes it.",
            )


# --------------------------------------------------------------------------------------------
# Answering
# --------------------------------------------------------------------------------------------


@transaction.atomic
def swap_request_accept(*, request: SwapRequest, by, now: datetime | None = None) -> SwapRequest:
    """``by`` takes the request: it takes effect at once, or waits for a manager when the team
    requires approval."""
    now = now or timezone.now()
    request = lock_request(request.pk)
    if by.pk == request.requester_id:
        raise ValidationError("You cannot accept your own request.")
    team = request.schedule.team
    if not access.can_answer_request(user=by, request=request):
        if request.target_id is not None:
            raise PermissionDenied(f"This request is addressed to {person_name(request.target)}.")
        raise PermissionDenied(f"Only members of {team.name} can take this request.")
    refuse_unless_live(request, by=by, now=now)
    request.schedule = lock_schedule(request.schedule_id)
    check_still_held(request)
    check_taker(request, by, you=True, now=now)
    event_record(request, actor=by, action=Action.ACCEPTED, now=now)
    if not team.swap_approval_required:
        take_effect(request, taker=by, by=by, now=now)
        return request
    request.taker = by
    request.status = Status.AWAITING_APPROVAL
    request_save(request, now, "taker", "status")
    tell(
        request,
        request.requester,
        "taken",
        f"{person_name(by)} accepted your request; a manager must approve it",
        f"{person_name(by)} accepted to take {request_text(request, request.requester)}. "
        f"{team.name} needs a manager's approval before it takes effect.",
    )
    for manager in team_managers(team=team).select_related("profile"):
        tell(
            request,
            manager,
            "approve",
            f"Approve: {person_name(by)} covers {person_name(request.requester)} on "
            f"{request.schedule.name}",
            f"{person_name(by)} accepted to take {request_text(request, manager)} from "
            f"{person_name(request.requester)}. Approve or reject it.",
        )
    return request


@transaction.atomic
def swap_request_decline(*, request: SwapRequest, by, now: datetime | None = None) -> SwapRequest:
    """The named colleague says no (the request ends); on an open request a colleague passes
    (it stays open for the others and leaves their lists)."""
    now = now or timezone.now()
    request = lock_request(request.pk)
    if by.pk == request.requester_id:
        raise ValidationError("Withdraw your own request instead of declining it.")
    if not access.can_answer_request(user=by, request=request):
        if request.target_id is not None:
            raise PermissionDenied(f"This request is addressed to {person_name(request.target)}.")
        raise PermissionDenied("Only members of the team can answer this request.")
    refuse_unless_live(request, by=by, now=now)
    if request.target_id is None:
        if not request.events.filter(actor=by, action=Action.PASSED).exists():
            event_record(request, actor=by, action=Action.PASSED, now=now)
        return request
    request.status = Status.DECLINED
    request_save(request, now, "status")
    event_record(request, actor=by, action=Action.DECLINED, now=now)
    tell(
        request,
        request.requester,
        "declined",
        f"{person_name(by)} declined your request: {request.schedule.name}",
        f"{person_name(by)} cannot take {request_text(request, request.requester)}. "
        "Ask somebody else or open the request to the whole team.",
    )
    return request


@transaction.atomic
def swap_request_withdraw(*, request: SwapRequest, by, now: datetime | None = None) -> SwapRequest:
    now = now or timezone.now()
    request = lock_request(request.pk)
    if not access.can_withdraw_request(user=by, request=request):
        raise PermissionDenied("Only the requester (or a manager) can withdraw this request.")
    refuse_unless_live(request, by=by, now=now, allowed=SwapRequest.OPEN_STATUSES)
    request.status = Status.WITHDRAWN
    request_save(request, now, "status")
    event_record(request, actor=by, action=Action.WITHDRAWN, now=now)
    for user in {request.target, request.taker} - {None, by}:
        tell(
            request,
            user,
            "withdrawn",
            f"Withdrawn: {possessive(person_name(request.requester))} request"
            f" on {request.schedule.name}",
            f"{person_name(by)} withdrew the request about {request_text(request, user)}. "
            "Nothing changes.",
        )
    return request


@transaction.atomic
def swap_request_approve(*, request: SwapRequest, by, now: datetime | None = None) -> SwapRequest:
    now = now or timezone.now()
    request = lock_request(request.pk)
    if not access.can_manage_request(user=by, request=request):
        raise PermissionDenied("Only a manager of the team can approve requests.")
    refuse_unless_live(request, by=by, now=now, allowed=(Status.AWAITING_APPROVAL,))
    request.schedule = lock_schedule(request.schedule_id)
    check_still_held(request)
    check_taker(request, request.taker, you=False, now=now)
    event_record(request, actor=by, action=Action.APPROVED, now=now)
    take_effect(request, taker=request.taker, by=by, now=now)
    return request


@transaction.atomic
def swap_request_reject(
    *, request: SwapRequest, by, note: str = "", now: datetime | None = None
) -> SwapRequest:
    now = now or timezone.now()
    request = lock_request(request.pk)
    if not access.can_manage_request(user=by, request=request):
        raise PermissionDenied("Only a manager of the team can reject requests.")
    refuse_unless_live(request, by=by, now=now, allowed=(Status.AWAITING_APPROVAL,))
    request.status = Status.REJECTED
    request_save(request, now, "status")
    event_record(request, actor=by, action=Action.REJECTED, now=now, note=note.strip()[:300])
    why = f" ({note.strip()})" if note.strip() else ""
    for user in {request.requester, request.taker} - {None}:
        tell(
            request,
            user,
            "rejected",
            f"Rejected by {person_name(by)}: {request.schedule.name}",
            f"{person_name(by)} rejected the change to {request_text(request, user)}{why}. "
            f"{person_name(request.requester)} stays on call.",
        )
    return request


@transaction.atomic
def swap_request_revert(*, request: SwapRequest, by, now: datetime | None = None) -> SwapRequest:
    """Undo a request in effect before its shift starts: at once for a manager; otherwise the
    requester or the taker asks and the other confirms. Removes exactly its overrides."""
    now = now or timezone.now()
    request = lock_request(request.pk)
    manager = access.can_manage_request(user=by, request=request)
    party = access.is_request_party(user=by, request=request)
    if not (manager or party):
        raise PermissionDenied("Only the two people concerned or a manager can revert this.")
    if request.status != Status.ACCEPTED:
        raise ValidationError("Only a request in effect can be reverted.")
    if request.expires_at <= now:
        raise ValidationError("The shift has started: this can no longer be reverted.")
    other = request.taker if by.pk == request.requester_id else request.requester
    if not manager and request.revert_asked_by_id in (None, by.pk):
        if request.revert_asked_by_id == by.pk:
            raise ValidationError(
                f"You already asked; waiting for {person_name(other)} to confirm."
            )
        request.revert_asked_by = by
        request_save(request, now, "revert_asked_by")
        event_record(request, actor=by, action=Action.REVERT_ASKED, now=now)
        tell(
            request,
            other,
            "revert-ask",
            f"{person_name(by)} asks to undo: {request.schedule.name}",
            f"{person_name(by)} asks to undo the change to {request_text(request, other)}. "
            "Confirm to put the rota back as it was.",
        )
        return request
    lock_schedule(request.schedule_id)
    for link in request.links.select_related("override"):
        rota_services.override_remove(override=link.override, now=now)
    request.status = Status.REVERTED
    request_save(request, now, "status")
    note = "confirmed" if request.revert_asked_by_id not in (None, by.pk) else ""
    event_record(request, actor=by, action=Action.REVERTED, now=now, note=note)
    for user in {request.requester, request.taker} - {None, by}:
        tell(
            request,
            user,
            "reverted",
            f"Undone: {request.schedule.name}",
            f"{person_name(by)} reverted the change to {request_text(request, user)}: "
            f"{person_name(request.requester)} is on call again as before.",
        )
    return request
