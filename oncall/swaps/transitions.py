"""The steps every change to a swap or cover request shares, for :mod:`oncall.swaps.services`:
lock the request (then its schedule), refuse a request that is no longer live, check that the
shift is still held and that the taker may take it, and make it take effect (its overrides,
through the rotas service, and the messages to both people)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError

from oncall import services as rota_services
from oncall.models import Schedule
from oncall.swaps.duty import holds
from oncall.swaps.eligibility import eligibility
from oncall.swaps.history import request_save
from oncall.swaps.messages import request_text, tell
from oncall.swaps.models import SwapOverride, SwapRequest
from oncall.swaps.one_request import requests_qs
from portal.people.names import person_name

Status = SwapRequest.Status


def lock_request(pk: int) -> SwapRequest:
    """The request, its row locked until the transaction ends, with what messages need."""
    try:
        request = SwapRequest.objects.select_for_update(of=("self",)).get(pk=pk)
    except SwapRequest.DoesNotExist as exc:
        raise ValidationError("This request no longer exists.") from exc
    # Related rows are read after the lock, so they are as fresh as the request.
    return requests_qs().get(pk=request.pk)


def lock_schedule(schedule_id: int) -> Schedule:
    return (
        Schedule.objects.select_for_update(of=("self",)).select_related("team").get(pk=schedule_id)
    )


def refuse_unless_live(request: SwapRequest, *, by, now: datetime, allowed=(Status.PENDING,)):
    """Refuse to act on a request that is no longer in one of the ``allowed`` states."""
    if request.status in allowed and request.expires_at > now:
        return
    if request.status in SwapRequest.OPEN_STATUSES and request.expires_at <= now:
        raise ValidationError("This request expired when the shift started.")
    if request.status == Status.EXPIRED:
        raise ValidationError("This request expired when the shift started.")
    if request.status in (Status.ACCEPTED, Status.AWAITING_APPROVAL) and request.taker_id:
        if by is not None and request.taker_id == by.pk:
            raise ValidationError("You already took this request.")
        raise ValidationError(f"{person_name(request.taker)} already took this request.")
    if request.status == Status.PENDING:
        raise ValidationError("Nobody has accepted this request yet.")
    messages = {
        Status.WITHDRAWN: "This request was withdrawn.",
        Status.DECLINED: "This request was declined.",
        Status.REJECTED: "A manager rejected this request.",
        Status.REVERTED: "This request was reverted.",
    }
    raise ValidationError(messages.get(request.status, "This request can no longer be changed."))


def check_still_held(request: SwapRequest) -> None:
    if not holds(
        schedule=request.schedule,
        user_id=request.requester_id,
        start=request.start,
        end=request.end,
    ):
        raise ValidationError(
            f"{person_name(request.requester)} no longer holds this shift (the rota changed): "
            "the request cannot take effect."
        )
    if request.kind == SwapRequest.Kind.SWAP and not holds(
        schedule=request.schedule,
        user_id=request.target_id,
        start=request.swap_start,
        end=request.swap_end,
    ):
        raise ValidationError(
            f"{person_name(request.target)} no longer holds the shift offered in exchange "
            "(the rota changed): the swap cannot take effect."
        )


def check_taker(request: SwapRequest, taker, *, you: bool, now: datetime) -> None:
    """The taker (and, in a swap, the requester for the shift they get) may take it."""
    give = (request.swap_start, request.swap_end) if request.swap_start else None
    why = eligibility(
        schedule=request.schedule,
        user=taker,
        take=(request.start, request.end),
        give=give,
        you=you,
        now=now,
    )
    if why:
        raise ValidationError(f"{why}.")
    if request.kind == SwapRequest.Kind.SWAP:
        why = eligibility(
            schedule=request.schedule,
            user=request.requester,
            take=(request.swap_start, request.swap_end),
            give=(request.start, request.end),
            now=now,
        )
        if why:
            raise ValidationError(f"The swap cannot take effect: {why}.")


def take_effect(request: SwapRequest, *, taker, by, now: datetime) -> None:
    """Create the overrides that realise the request, link them, mark it in effect and tell
    both people. The caller holds the request's and the schedule's locks."""
    ref = f"{request.get_kind_display().lower()} request #{request.pk}"
    cover = rota_services.override_create(
        schedule=request.schedule,
        user=taker,
        start=request.start,
        end=request.end,
        reason=f"Covering for {person_name(request.requester)} ({ref})",
        by=by,
        now=now,
    )
    SwapOverride.objects.create(request=request, override=cover, covers_for=request.requester)
    if request.kind == SwapRequest.Kind.SWAP:
        back = rota_services.override_create(
            schedule=request.schedule,
            user=request.requester,
            start=request.swap_start,
            end=request.swap_end,
            reason=f"Swap with {person_name(taker)} ({ref})",
            by=by,
            now=now,
        )
        SwapOverride.objects.create(request=request, override=back, covers_for=taker)
    request.taker = taker
    request.status = Status.ACCEPTED
    request_save(request, now, "taker", "status")
    for user in {request.requester, taker}:
        if user.pk == request.requester_id:
            subject = f"{person_name(taker)} takes your shift: {request.schedule.name}"
            body = f"{person_name(taker)} is now on call for {request_text(request, user)}."
        else:
            subject = f"You cover {person_name(request.requester)} on {request.schedule.name}"
            body = f"You are now on call for {request_text(request, user)}."
        tell(request, user, "effective", subject, body + " It is in the calendar.")
    if request.created_by_id not in (None, request.requester_id, taker.pk):
        tell(
            request,
            request.created_by,
            "effective",
            f"In effect: {person_name(taker)} covers {person_name(request.requester)}",
            f"{person_name(taker)} is now on call for {request_text(request, request.created_by)}.",
        )
