"""A request's history: every change to a swap or cover request is saved with its
``updated_at`` and recorded as a ``SwapEvent`` (who, what, when), by the services and by
the beat's expiry (``oncall.swaps.reminders``) alike."""

from datetime import datetime

from oncall.swaps.models import SwapEvent, SwapRequest


def event_record(
    request: SwapRequest, *, actor, action: str, now: datetime, note: str = ""
) -> None:
    SwapEvent.objects.create(request=request, actor=actor, action=action, note=note, at=now)


def request_save(request: SwapRequest, now: datetime, *fields: str) -> None:
    request.updated_at = now
    request.save(update_fields=[*fields, "updated_at"])
